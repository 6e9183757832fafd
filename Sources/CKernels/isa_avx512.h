// The AVX-512 (F, BW, VL) vocabulary of the width-generic kernel bodies: 16
// lanes a vector, chosen at start-up where cpuid and XCR0 allow
// (KernelPath). This machine kind has no AVX-512, so
// scripts/check-avx512-emulated.sh compiles the *_avx512.c files against
// SIMDe's portable intrinsics and checks them against a scalar reference;
// LORAD_INTRINSICS_HEADER is that script's hook and is unset in every real
// build. Included first by each *_avx512.c file.
#ifndef LORAD_ISA_AVX512_H
#define LORAD_ISA_AVX512_H

#if defined(LORAD_INTRINSICS_HEADER)
#include LORAD_INTRINSICS_HEADER
#define TARGET
#else
#include <immintrin.h>
#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))
#endif

#define KERNEL(name) name##_avx512
#define VF __m512
#define VI __m512i
#define LANES 16
/// Input rows per group of gemv_rows_body.h's 3-row tiles: 3 × 8
/// accumulators + 3 weight vectors + 1 input vector = 28 of the 32 ZMM
/// registers, so a batch of 8 widens each weight vector once, not twice.
#define ROWS_GROUP 8
/// No software prefetch in the one-stream kernel (gemv_body.h): on Zen 4
/// (a token's projections of the SmolLM-135M shape, 1 input row, 2
/// threads, 2 MiB pages, the variants alternating 21 times in one process)
/// the AVX-512 stream read BF16 at 29.7 GB/s without it against 19.7 with
/// AVX2's 1024 bytes ahead, F16 30.4 against 21.7, F32 34.3 against 25.8
/// (and 4096 bytes ahead was no better); one thread alone 23.4 against
/// 11.6 GB/s (BF16). The hardware prefetchers follow the one stream; the
/// extra prefetch instructions only compete with its loads.
#define STREAM_AHEAD 0
/// No software prefetch in decode attention either (attention_body.h). On
/// Zen 4, 8 sequences × 30 layers × 3 KV heads (3 query heads each) at
/// 1024 positions, 2 threads, the caches on 2 MiB pages, with and without
/// alternating 31 times in one process, three runs (medians): F16 cache
/// 7.20 against 7.90 ms, 7.62 against 8.60, 10.80 against 10.91; BF16
/// 6.69 against 8.83, 8.38 against 8.33, 7.15 against 8.23.
#define ATTENTION_PREFETCH 0
/// The 3–32-row tiles' prefetch of W (gemv_rows_body.h): two tiles ahead
/// for 16-bit weights, into L2 (locality 2: prefetcht1), which keeps the
/// L1's miss buffers for the tiles' own loads. On Zen 4, a token's
/// projections, 2 threads, the variants alternating in one process
/// (medians), one tile into L1 → two tiles into L2: BF16 3 rows 16.6 →
/// 10.0 ms, 4 rows 16.4 → 9.5, 8 rows 16.2 → 12.2; F16 8 rows 16.5 → 11.9;
/// F32 8 rows (the next tile, into L2) 27.1 → 15.5; 16–32 rows, where
/// the multiplying sets the pace, unchanged within the noise.
#define ROWS_PREFETCH_TILES 2
#define ROWS_PREFETCH_LOCALITY 2
#define VZERO() _mm512_setzero_ps()
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUB(a, b) _mm512_sub_ps(a, b)
#define VMUL(a, b) _mm512_mul_ps(a, b)
/// max/min return the second operand when either is NaN (vmaxps/vminps).
#define VMAX(a, b) _mm512_max_ps(a, b)
#define VMIN(a, b) _mm512_min_ps(a, b)
#define VLOADF(p) _mm512_loadu_ps(p)
#define VSTOREF(p, v) _mm512_storeu_ps(p, v)
#define VLOAD_BF16(p) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p))), 16))
#define VLOAD_F16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define VSUM(v) _mm512_reduce_add_ps(v)
#define VHMAX(v) _mm512_reduce_max_ps(v)
/// v where x is not below `low` (NaN counts as not below), else 0.
#define VZERO_BELOW(v, x, low) _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, low, _CMP_NLT_UQ), v)
#define VI_SET1(x) _mm512_set1_epi32(x)
#define VI_ADD(a, b) _mm512_add_epi32(a, b)
#define VI_SUB(a, b) _mm512_sub_epi32(a, b)
#define VI_SLL(a, n) _mm512_slli_epi32(a, n)
#define VLOADI(p) _mm512_loadu_si512((const void *)(p))
/// The LANES 32-bit lanes at p with their low 16 bits cleared: the odd
/// BF16 elements of a pair-packed load, already F32.
#define VLOAD_HIGH_HALVES(p) _mm512_castsi512_ps(_mm512_and_si512(VLOADI(p), _mm512_set1_epi32((int)0xFFFF0000u)))
/// The 2·LANES floats at p split into their even- and odd-indexed elements,
/// each in order (vpermt2ps over the two vectors).
#define VDEINTERLEAVE(p, even, odd)                                                                        \
    do {                                                                                                   \
        const __m512 da_ = _mm512_loadu_ps(p), db_ = _mm512_loadu_ps((p) + 16);                            \
        (even) = _mm512_permutex2var_ps(                                                                   \
            da_, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), db_);       \
        (odd) = _mm512_permutex2var_ps(                                                                    \
            da_, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), db_);       \
    } while (0)
#define VAS_INT(v) _mm512_castps_si512(v)
#define VAS_FLOAT(v) _mm512_castsi512_ps(v)
/// Eight vectors' horizontal sums into dst[0..<8].
#define VSUM8(acc, dst) lorad_sum8_avx512(acc, dst)
/// Four vectors' horizontal sums, in order, as one 128-bit vector.
#define VSUM4(acc) lorad_sum4_avx512(acc)

/// v's two 256-bit halves added.
static inline __attribute__((always_inline)) TARGET __m256 lorad_fold_avx512(__m512 v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/// Each vector folded to 8 lanes, then the eight summed by the AVX2
/// pairwise-add tree.
static inline __attribute__((always_inline)) TARGET void lorad_sum8_avx512(const __m512 a[8], float *dst) {
    __m256 h[8];
    for (int i = 0; i < 8; i++) h[i] = lorad_fold_avx512(a[i]);
    const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(h[0], h[1]), _mm256_hadd_ps(h[2], h[3]));
    const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(h[4], h[5]), _mm256_hadd_ps(h[6], h[7]));
    _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31)));
}

/// Each vector folded to 8 lanes, then the AVX2 three-vhaddps tree.
static inline __attribute__((always_inline)) TARGET __m128 lorad_sum4_avx512(const __m512 a[4]) {
    __m256 h[4];
    for (int i = 0; i < 4; i++) h[i] = lorad_fold_avx512(a[i]);
    const __m256 u = _mm256_hadd_ps(_mm256_hadd_ps(h[0], h[1]), _mm256_hadd_ps(h[2], h[3]));
    return _mm_add_ps(_mm256_castps256_ps128(u), _mm256_extractf128_ps(u, 1));
}

#endif
