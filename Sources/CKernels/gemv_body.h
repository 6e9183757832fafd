// The matrix-vector kernels, written once for every vector width. Included by
// gemv_avx2.c and gemv_avx512.c after their ISA header (isa_avx2.h,
// isa_avx512.h), which defines:
//   KERNEL(name)      the name with the instruction set's suffix
//   TARGET            the per-function target attribute
//   VF, LANES         the float vector type and its lane count
//   VZERO()           a zero vector
//   VFMA(a, b, c)     a·b + c, fused
//   VLOADF(p)         LANES floats from p (unaligned)
//   VSTOREF(p, v)     LANES floats to p (unaligned)
//   VLOAD_BF16(p)     LANES BF16 values from p, widened: each into the top
//                     half of an F32 lane (BF16 is F32's top 16 bits)
//   VLOAD_F16(p)      LANES F16 values from p, widened by vcvtph2ps (exact)
//   VSUM(v)           horizontal sum
//
// Design: one or two input rows (decode of one or two sequences) read each
// thread's share of W as one sequential stream (`stream`, below). From 3
// input rows on (the portable Swift version in Kernels' BatchedGEMV does
// this for every row count): tiles of `wr`
// weight rows × up to 4 input rows of accumulators, one vector register
// each; every weight vector is loaded and widened once per tile and used by
// all the tile's input rows. While a tile streams its rows, the rows it
// needs next are prefetched, one cache line per row per 64 bytes of
// progress. Beyond 4 input rows the columns go in blocks of BLOCK elements
// that every group of 4 input rows uses while the block sits in L1, the
// groups' accumulators parked in between.

#include "widen_vector.h"

#define INLINE static inline __attribute__((always_inline)) TARGET
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/// Columns per block when there are more than 4 input rows: the block's
/// weight rows, 8 input rows of it and the prefetched next block stay well
/// inside a 32 KiB L1 (BatchedGEMV.blockFloats measured 256 against 512).
#define BLOCK 256

/// acc[i][j] += W row i · x row j over one vector of columns at element c.
INLINE void KERNEL(step)(const int format, const int wr, const int xr, VF acc[4][4],
                         const char *const wp[4], const float *const xp[4], ptrdiff_t c) {
    const ptrdiff_t es = KERNEL(element_size)(format);
    VF wv[4];
    for (int i = 0; i < wr; i++) wv[i] = KERNEL(load_w)(format, wp[i] + c * es);
    for (int j = 0; j < xr; j++) {
        const VF xv = VLOADF(xp[j] + c);
        for (int i = 0; i < wr; i++) acc[i][j] = VFMA(wv[i], xv, acc[i][j]);
    }
}

/// acc += the tile over columns [lo, hi) (a multiple of LANES apart); with
/// `prefetch`, one line of each pf[i] + (column · element size) per 64 bytes.
INLINE void KERNEL(accumulate)(const int format, const int wr, const int xr, const int prefetch, VF acc[4][4],
                               const char *const wp[4], const float *const xp[4], ptrdiff_t lo, ptrdiff_t hi,
                               const uintptr_t pf[4]) {
    const ptrdiff_t es = KERNEL(element_size)(format), line = 64 / es;   // line is a multiple of LANES
    ptrdiff_t c = lo;
    if (prefetch) {
        for (; c + line <= hi; c += line) {
            for (int i = 0; i < wr; i++) __builtin_prefetch((const void *)(pf[i] + (uintptr_t)(c * es)), 0, 3);
            for (ptrdiff_t u = 0; u < line; u += LANES) KERNEL(step)(format, wr, xr, acc, wp, xp, c + u);
        }
    }
    for (; c < hi; c += LANES) KERNEL(step)(format, wr, xr, acc, wp, xp, c);
}

/// One group of `xr` input rows over one column block, its accumulators
/// taken from and returned to `parked` (zero at the first block).
INLINE void KERNEL(group)(const int format, const int wr, const int xr, const int prefetch, const int first,
                          VF parked[4][4], const char *const wp[4], const float *const xp[4],
                          ptrdiff_t lo, ptrdiff_t hi, const uintptr_t pf[4]) {
    VF acc[4][4];
    for (int i = 0; i < wr; i++)
        for (int j = 0; j < xr; j++) acc[i][j] = first ? VZERO() : parked[i][j];
    KERNEL(accumulate)(format, wr, xr, prefetch, acc, wp, xp, lo, hi, pf);
    for (int i = 0; i < wr; i++)
        for (int j = 0; j < xr; j++) parked[i][j] = acc[i][j];
}

/// The group's xr as a compile-time constant in each branch.
INLINE void KERNEL(group_any)(const int format, const int wr, ptrdiff_t xr, const int prefetch, const int first,
                              VF parked[4][4], const char *const wp[4], const float *const xp[4],
                              ptrdiff_t lo, ptrdiff_t hi, const uintptr_t pf[4]) {
    switch (xr) {
    case 1: KERNEL(group)(format, wr, 1, prefetch, first, parked, wp, xp, lo, hi, pf); break;
    case 2: KERNEL(group)(format, wr, 2, prefetch, first, parked, wp, xp, lo, hi, pf); break;
    case 3: KERNEL(group)(format, wr, 3, prefetch, first, parked, wp, xp, lo, hi, pf); break;
    default: KERNEL(group)(format, wr, 4, prefetch, first, parked, wp, xp, lo, hi, pf); break;
    }
}

/// Output rows [out_lo, out_hi) for all `rows` input rows, `wr` weight rows a tile.
INLINE void KERNEL(run)(const int format, const int wr, ptrdiff_t rows, ptrdiff_t out_lo, ptrdiff_t out_hi,
                        ptrdiff_t n, const char *w, const float *x, float *y, ptrdiff_t ldy) {
    const ptrdiff_t es = KERNEL(element_size)(format), row_bytes = n * es;
    const ptrdiff_t vend = n & ~(ptrdiff_t)(LANES - 1);
    const ptrdiff_t groups = (rows + 3) / 4;
    ptrdiff_t blocks = groups == 1 ? 1 : (vend + BLOCK - 1) / BLOCK;
    if (blocks < 1) blocks = 1;
    const ptrdiff_t blen = ((vend / blocks) + LANES - 1) & ~(ptrdiff_t)(LANES - 1);
    const ptrdiff_t last = out_hi - 1;
    VF parked[8][4][4];   // rows ≤ 32: at most 8 groups
    for (ptrdiff_t o = out_lo; o <= last; o += wr) {
        // The tile's rows (the last repeated past the range: computed, not
        // stored) and the next tile's, as addresses: prefetching past the end
        // of W is harmless, prefetches never fault.
        const char *wp[4];
        uintptr_t next[4];
        for (int i = 0; i < 4; i++) {
            wp[i] = w + MIN(o + i, last) * row_bytes;
            next[i] = (uintptr_t)w + (uintptr_t)((o + wr + i) * row_bytes);
        }
        for (ptrdiff_t k = 0; k < blocks; k++) {
            const ptrdiff_t lo = MIN(k * blen, vend), hi = MIN(lo + blen, vend);
            const int more = k + 1 < blocks;
            // What to prefetch at column c: row i's next block, or after the
            // last block the next tile's first: pf[i] + c · es.
            uintptr_t pf[4];
            for (int i = 0; i < 4; i++)
                pf[i] = more ? (uintptr_t)wp[i] + (uintptr_t)(blen * es) : next[i] - (uintptr_t)(lo * es);
            for (ptrdiff_t g = 0; g < groups; g++) {
                const ptrdiff_t r = 4 * g, xr = MIN(4, rows - r);
                const float *xp[4];
                for (int j = 0; j < 4; j++) xp[j] = x + MIN(r + j, rows - 1) * n;
                if (g == 0) KERNEL(group_any)(format, wr, xr, 1, k == 0, parked[g], wp, xp, lo, hi, pf);
                else KERNEL(group_any)(format, wr, xr, 0, k == 0, parked[g], wp, xp, lo, hi, pf);
            }
        }
        // Horizontal sums plus the columns past the last full vector.
        for (ptrdiff_t g = 0; g < groups; g++) {
            const ptrdiff_t r = 4 * g, xr = MIN(4, rows - r);
            for (int i = 0; i < wr && o + i <= last; i++) {
                for (int j = 0; j < xr; j++) {
                    const float *xj = x + (r + j) * n;
                    float s = VSUM(parked[g][i][j]);
                    for (ptrdiff_t c = vend; c < n; c++) s += lorad_widen_one(format, wp[i] + c * es) * xj[c];
                    y[(r + j) * ldy + o + i] = s;
                }
            }
        }
    }
}

/// Bytes ahead of the read position that the one-stream kernel prefetches:
/// 16 lines. Measured on Zen 3 (BF16, a token's projections of the
/// SmolLM-135M shape, 2 MiB pages, 2 threads): 0 → 29.6 GB/s, 512 → 29.3,
/// 1024 → 32.1, 2048 → 28.0.
#define STREAM_AHEAD 1024

/// Unrolled vectors per weight row step of the one-stream kernel: 4 FMA
/// chains per input row hide the FMA latency without a second stream.
#define STREAM_UNROLL 4

/// One or two input rows: every weight row is read start to end before the
/// next one, so a thread's share of W (consecutive rows, row-major) is one
/// sequential stream that the hardware prefetcher follows from row to row,
/// with `STREAM_AHEAD` bytes of software prefetch on top. A tile of 4 rows
/// read side by side is 4 short streams of n elements each (1152 bytes for
/// a 576-wide BF16 row), which the prefetcher keeps losing at every tile:
/// one token's BF16 projections streamed at 24.1 GB/s that way against
/// 31.2 GB/s as one stream (Zen 3, 2 MiB pages, 2 threads; the 2 MiB-page
/// read probe gives 31.5). Each input row keeps STREAM_UNROLL accumulators,
/// summed in a fixed order, so the result does not depend on the split of
/// rows over threads.
INLINE void KERNEL(stream)(const int format, const int xr, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n,
                           const char *w, const float *x, float *y, ptrdiff_t ldy) {
    const ptrdiff_t es = KERNEL(element_size)(format), row_bytes = n * es;
    const ptrdiff_t step = STREAM_UNROLL * LANES, step_bytes = step * es;
    const ptrdiff_t vend = n & ~(ptrdiff_t)(LANES - 1);
    for (ptrdiff_t o = out_lo; o < out_hi; o++) {
        const char *row = w + o * row_bytes;
        VF acc[2][STREAM_UNROLL];
        for (int j = 0; j < xr; j++)
            for (int u = 0; u < STREAM_UNROLL; u++) acc[j][u] = VZERO();
        ptrdiff_t c = 0;
        for (; c + step <= n; c += step) {
            const char *p = row + c * es;
            // Past the end of W near the last rows: harmless, prefetches never fault.
            for (ptrdiff_t b = 0; b < step_bytes; b += 64) __builtin_prefetch(p + STREAM_AHEAD + b, 0, 3);
            for (int u = 0; u < STREAM_UNROLL; u++) {
                const VF wv = KERNEL(load_w)(format, p + u * LANES * es);
                for (int j = 0; j < xr; j++) acc[j][u] = VFMA(wv, VLOADF(x + j * n + c + u * LANES), acc[j][u]);
            }
        }
        for (; c < vend; c += LANES) {
            const VF wv = KERNEL(load_w)(format, row + c * es);
            for (int j = 0; j < xr; j++) acc[j][0] = VFMA(wv, VLOADF(x + j * n + c), acc[j][0]);
        }
        for (int j = 0; j < xr; j++) {
            VF v = acc[j][0];
            for (int u = 1; u < STREAM_UNROLL; u++) v = VADD(v, acc[j][u]);
            float s = VSUM(v);
            for (ptrdiff_t t = vend; t < n; t++) s += lorad_widen_one(format, row + t * es) * x[j * n + t];
            y[j * ldy + o] = s;
        }
    }
}

/// One stream for 1–2 input rows (above); from 3 rows on, tiles of wr = 3
/// weight rows (up to 12 accumulators + 3 weights + 1 input = the 16 AVX2
/// registers), each weight vector widened once for 4 input rows.
INLINE void KERNEL(run_any)(const int format, ptrdiff_t rows, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n,
                            const void *w, const float *x, float *y, ptrdiff_t ldy) {
    if (rows == 1) KERNEL(stream)(format, 1, out_lo, out_hi, n, (const char *)w, x, y, ldy);
    else if (rows == 2) KERNEL(stream)(format, 2, out_lo, out_hi, n, (const char *)w, x, y, ldy);
    else KERNEL(run)(format, 3, rows, out_lo, out_hi, n, (const char *)w, x, y, ldy);
}

TARGET void KERNEL(lorad_gemv)(int format, ptrdiff_t rows, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n,
                               const void *w, const float *x, float *y, ptrdiff_t ldy) {
    if (rows <= 0 || rows > 32 || out_hi <= out_lo || n <= 0) return;
    switch (format) {
    case LORAD_FORMAT_F32: KERNEL(run_any)(LORAD_FORMAT_F32, rows, out_lo, out_hi, n, w, x, y, ldy); break;
    case LORAD_FORMAT_BF16: KERNEL(run_any)(LORAD_FORMAT_BF16, rows, out_lo, out_hi, n, w, x, y, ldy); break;
    case LORAD_FORMAT_F16: KERNEL(run_any)(LORAD_FORMAT_F16, rows, out_lo, out_hi, n, w, x, y, ldy); break;
    default: break;
    }
}

TARGET void KERNEL(lorad_widen)(int format, const void *src, float *dst, ptrdiff_t count) {
    switch (format) {
    case LORAD_FORMAT_F32: KERNEL(widen)(LORAD_FORMAT_F32, (const char *)src, dst, count); break;
    case LORAD_FORMAT_BF16: KERNEL(widen)(LORAD_FORMAT_BF16, (const char *)src, dst, count); break;
    case LORAD_FORMAT_F16: KERNEL(widen)(LORAD_FORMAT_F16, (const char *)src, dst, count); break;
    default: break;
    }
}

#undef INLINE
#undef MIN
#undef BLOCK
#undef STREAM_AHEAD
#undef STREAM_UNROLL
