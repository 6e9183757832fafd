#include "c_kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>

/// XCR0, the register in which the OS says which vector state it saves on a
/// context switch (Intel SDM vol. 1, 13.3: a feature is usable only when
/// CPUID reports it and XCR0 enables its state).
static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

unsigned lorad_cpu_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return 0;
    const unsigned long long xcr0 = read_xcr0();
    const int ymm = (xcr0 & 0x6) == 0x6;      // SSE + AVX state
    const int zmm = (xcr0 & 0xE6) == 0xE6;    // + opmask, ZMM_Hi256, Hi16_ZMM
    if (!ymm || __get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned subleaves = a;
    const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    unsigned features = 0;
    if (avx2 && fma && f16c) features |= LORAD_CPU_AVX2;
    if (zmm && avx512f && avx512bw && avx512vl && (features & LORAD_CPU_AVX2)) {
        features |= LORAD_CPU_AVX512;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            if ((a >> 5) & 1) features |= LORAD_CPU_AVX512_BF16;
        }
    }
    return features;
}
#endif
