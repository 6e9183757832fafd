// AVX-512 intrinsics in portable C (SIMDe, Debian's libsimde-dev), for
// running CKernels' *_avx512.c kernels on a CPU without AVX-512. The few
// intrinsics SIMDe 0.7.4 lacks are written out here from their definitions
// in Intel's Intrinsics Guide.
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <simde/x86/f16c.h>
#include <stdint.h>
#include <string.h>

#ifndef _mm512_cvtepu16_epi32
/// vpmovzxwd: 16 unsigned 16-bit lanes zero-extended to 32 bits.
static inline __m512i emulated_cvtepu16_epi32(__m256i a) {
    uint16_t s[16];
    uint32_t d[16];
    __m512i r;
    memcpy(s, &a, sizeof s);
    for (int i = 0; i < 16; i++) d[i] = s[i];
    memcpy(&r, d, sizeof r);
    return r;
}
#define _mm512_cvtepu16_epi32 emulated_cvtepu16_epi32
#endif

#ifndef _mm512_cvtph_ps
/// vcvtph2ps: 16 F16 lanes to F32, through SIMDe's 8-lane version.
static inline __m512 emulated_cvtph_ps(__m256i a) {
    __m128i halves[2];
    __m256 wide[2];
    __m512 r;
    memcpy(halves, &a, sizeof halves);
    wide[0] = _mm256_cvtph_ps(halves[0]);
    wide[1] = _mm256_cvtph_ps(halves[1]);
    memcpy(&r, wide, sizeof r);
    return r;
}
#define _mm512_cvtph_ps emulated_cvtph_ps
#endif

#ifndef _mm512_reduce_add_ps
static inline float emulated_reduce_add_ps(__m512 a) {
    float lanes[16], s = 0;
    memcpy(lanes, &a, sizeof lanes);
    for (int i = 0; i < 16; i++) s += lanes[i];
    return s;
}
#define _mm512_reduce_add_ps emulated_reduce_add_ps
#endif

#ifndef _mm512_reduce_max_ps
/// The largest of 16 lanes; NaN lanes skipped, as the vmaxps tree does.
static inline float emulated_reduce_max_ps(__m512 a) {
    float lanes[16], m = -__builtin_inff();
    memcpy(lanes, &a, sizeof lanes);
    for (int i = 0; i < 16; i++) if (lanes[i] > m) m = lanes[i];
    return m;
}
#define _mm512_reduce_max_ps emulated_reduce_max_ps
#endif

#ifndef _mm512_srai_epi32
/// vpsrad: 16 signed 32-bit lanes shifted right arithmetically.
static inline __m512i emulated_srai_epi32(__m512i a, int n) {
    int32_t lanes[16];
    __m512i r;
    memcpy(lanes, &a, sizeof lanes);
    for (int i = 0; i < 16; i++) lanes[i] >>= n;
    memcpy(&r, lanes, sizeof r);
    return r;
}
#define _mm512_srai_epi32 emulated_srai_epi32
#endif
