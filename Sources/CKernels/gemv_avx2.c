// The AVX2 + FMA + F16C kernels: every x86-64 server core since 2013 (Intel
// Haswell, AMD Zen) and the path every CI machine exercises.
#include "c_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define KERNEL(name) name##_avx2
#define TARGET __attribute__((target("avx2,fma,f16c")))
#define VF __m256
#define LANES 8
#define VZERO() _mm256_setzero_ps()
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VLOADF(p) _mm256_loadu_ps(p)
#define VSTOREF(p, v) _mm256_storeu_ps(p, v)
#define VLOAD_BF16(p) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p))), 16))
#define VLOAD_F16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define VSUM(v) lorad_sum_avx2(v)

static inline __attribute__((always_inline)) TARGET float lorad_sum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#include "gemv_body.h"
#endif
