// The AVX-512 (F, BW, VL) kernels: 16 lanes a vector, chosen at start-up
// where cpuid and XCR0 allow (KernelPath). This machine kind has no AVX-512,
// so scripts/check-avx512-emulated.sh runs these kernels under SIMDe's
// portable intrinsics against a scalar reference; the two macros below are
// that script's hooks and are unset in every real build.
#include "c_kernels.h"

#if defined(__x86_64__)
#if defined(LORAD_INTRINSICS_HEADER)
#include LORAD_INTRINSICS_HEADER
#define TARGET
#else
#include <immintrin.h>
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))
#endif

#define KERNEL(name) name##_avx512
#define VF __m512
#define LANES 16
#define VZERO() _mm512_setzero_ps()
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VLOADF(p) _mm512_loadu_ps(p)
#define VSTOREF(p, v) _mm512_storeu_ps(p, v)
#define VLOAD_BF16(p) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p))), 16))
#define VLOAD_F16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define VSUM(v) _mm512_reduce_add_ps(v)

#include "gemv_body.h"
#endif
