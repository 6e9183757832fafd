// The AVX2 + FMA + F16C vocabulary the width-generic kernel bodies
// (gemv_body.h, attention_body.h) are written in: every x86-64 server core
// since 2013 (Intel Haswell, AMD Zen) and the path every CI machine
// exercises. Included first by each *_avx2.c file.
#ifndef LORAD_ISA_AVX2_H
#define LORAD_ISA_AVX2_H

#include <immintrin.h>

#define KERNEL(name) name##_avx2
#define TARGET __attribute__((target("avx2,fma,f16c")))
#define VF __m256
#define VI __m256i
#define LANES 8
/// Input rows per group of gemv_rows_body.h's 3-row tiles: 3 × 4
/// accumulators + 3 weight vectors + 1 input vector = the 16 YMM registers.
#define ROWS_GROUP 4
/// Bytes ahead of the read position that the one-stream kernel
/// (gemv_body.h) prefetches: 16 lines. Measured on Zen 3 (BF16, a token's
/// projections of the SmolLM-135M shape, 2 MiB pages, 2 threads): 0 →
/// 29.6 GB/s, 512 → 29.3, 1024 → 32.1, 2048 → 28.0.
#define STREAM_AHEAD 1024
/// Whether decode attention (attention_body.h) prefetches a 16-bit cache
/// ahead of its score tiles: measured faster on Zen 3.
#define ATTENTION_PREFETCH 1
/// The 3–32-row tiles' prefetch of W (gemv_rows_body.h): one tile ahead
/// for 16-bit weights, into L1 (locality 3), as measured on Zen 3.
#define ROWS_PREFETCH_TILES 1
#define ROWS_PREFETCH_LOCALITY 3
#define VZERO() _mm256_setzero_ps()
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VADD(a, b) _mm256_add_ps(a, b)
#define VSUB(a, b) _mm256_sub_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
/// max/min return the second operand when either is NaN (vmaxps/vminps).
#define VMAX(a, b) _mm256_max_ps(a, b)
#define VMIN(a, b) _mm256_min_ps(a, b)
#define VLOADF(p) _mm256_loadu_ps(p)
#define VSTOREF(p, v) _mm256_storeu_ps(p, v)
#define VLOAD_BF16(p) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p))), 16))
#define VLOAD_F16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define VSUM(v) lorad_sum_avx2(v)
#define VHMAX(v) lorad_max_avx2(v)
/// v where x is not below `low` (NaN counts as not below), else 0.
#define VZERO_BELOW(v, x, low) _mm256_and_ps(v, _mm256_cmp_ps(x, low, _CMP_NLT_UQ))
#define VI_SET1(x) _mm256_set1_epi32(x)
#define VI_ADD(a, b) _mm256_add_epi32(a, b)
#define VI_SUB(a, b) _mm256_sub_epi32(a, b)
#define VI_SLL(a, n) _mm256_slli_epi32(a, n)
#define VLOADI(p) _mm256_loadu_si256((const __m256i *)(p))
/// The LANES 32-bit lanes at p with their low 16 bits cleared: the odd
/// BF16 elements of a pair-packed load, already F32. Written as vpand
/// because clang turns an AND with this constant into vpblendw against a
/// zero register, which Zen 3 runs on two of its four vector pipes, one of
/// them an FMA pipe; vpand runs on all four. The 3 × 4 BF16 tiles at 8–32
/// rows in L1, one thread (Zen 3): 1.04–1.07× the speed.
#define VLOAD_HIGH_HALVES(p) lorad_load_high_halves_avx2((const void *)(p))
/// The 2·LANES floats at p split into their even- and odd-indexed elements,
/// each in order: vshufps picks them within 128-bit halves, vpermpd puts
/// the halves in order.
#define VDEINTERLEAVE(p, even, odd)                                                                       \
    do {                                                                                                  \
        const __m256 da_ = _mm256_loadu_ps(p), db_ = _mm256_loadu_ps((p) + 8);                            \
        (even) = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(da_, db_, 0x88)), 0xD8)); \
        (odd) = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(da_, db_, 0xDD)), 0xD8));  \
    } while (0)
#define VAS_INT(v) _mm256_castps_si256(v)
#define VAS_FLOAT(v) _mm256_castsi256_ps(v)
/// Eight vectors' horizontal sums into dst[0..<8].
#define VSUM8(acc, dst) lorad_sum8_avx2(acc, dst)
/// Four vectors' horizontal sums, in order, as one 128-bit vector.
#define VSUM4(acc) lorad_sum4_avx2(acc)

static inline __attribute__((always_inline)) TARGET __m256 lorad_load_high_halves_avx2(const void *p) {
    const __m256i mask = _mm256_set1_epi32((int)0xFFFF0000u);
    __m256i v;
    __asm__("vpand %2, %1, %0" : "=x"(v) : "x"(mask), "m"(*(const __m256i *)p));
    return _mm256_castsi256_ps(v);
}

static inline __attribute__((always_inline)) TARGET float lorad_sum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __attribute__((always_inline)) TARGET float lorad_max_avx2(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// A pairwise-add tree: 6 vhaddps, 2 lane permutes and one add for all eight
/// sums, against ~5 instructions per sum one at a time.
static inline __attribute__((always_inline)) TARGET void lorad_sum8_avx2(const __m256 a[8], float *dst) {
    const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
    _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31)));
}

/// Three vhaddps and one add of the two 128-bit halves for all four sums.
static inline __attribute__((always_inline)) TARGET __m128 lorad_sum4_avx2(const __m256 a[4]) {
    const __m256 u = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
    return _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));
}

#endif
