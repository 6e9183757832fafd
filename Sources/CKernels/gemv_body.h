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
//   VSUM4(acc)        four vectors' horizontal sums, in order, as one
//                     128-bit vector
//   STREAM_AHEAD      bytes of software prefetch ahead of the one-stream
//                     kernel's reads (0: none)
//   ROWS_GROUP        input rows per group of gemv_rows_body.h's tiles
//   ROWS_PREFETCH_TILES, ROWS_PREFETCH_LOCALITY  how far ahead and into
//                     which cache level those tiles prefetch W
//
// Design: one or two input rows (decode of one or two sequences) read each
// thread's share of W as one sequential stream (`stream`, below; BF16 by
// `stream_pairs`). From 3 input rows on, gemv_rows_body.h: tiles of 3
// weight rows × groups of input rows over column blocks (the portable
// Swift version in Kernels' BatchedGEMV does that tiling for every
// row count).

#include "widen_vector.h"
#include "gemv_rows_body.h"

#define INLINE static inline __attribute__((always_inline)) TARGET

/// Unrolled vectors per weight row step of the one-stream kernel, by input
/// rows: 4 FMA chains per row hide the FMA latency; for one row 8 (256
/// bytes of F32 a step, 128 of F16) measured 1.013–1.023× the single-stream
/// decode tokens/s of 4 over F32 and F16 (medians of 16 alternations in one
/// process, three runs; Zen 3, 2 threads). Two rows keep 4: 16
/// accumulators would outgrow AVX2's registers.
#define STREAM_UNROLL(xr) ((xr) == 1 ? 8 : 4)

/// y[j·ldy] = Σ of input row j's `count` accumulators (in order) + the
/// columns [vend, n) of W's row against x as given, for the xr input rows:
/// the end of every output row of `stream` and `stream_pairs`.
INLINE void KERNEL(stream_store)(const int format, const int xr, const int count, VF acc[][8], const char *row,
                                 const float *x, ptrdiff_t vend, ptrdiff_t n, float *y, ptrdiff_t ldy) {
    const ptrdiff_t es = KERNEL(element_size)(format);
    for (int j = 0; j < xr; j++) {
        VF v = acc[j][0];
        for (int u = 1; u < count; u++) v = VADD(v, acc[j][u]);
        float s = VSUM(v);
        for (ptrdiff_t t = vend; t < n; t++) s += lorad_widen_one(format, row + t * es) * x[j * n + t];
        y[j * ldy] = s;
    }
}

/// One or two input rows: every weight row is read start to end before the
/// next one, so a thread's share of W (consecutive rows, row-major) is one
/// sequential stream that the hardware prefetcher follows from row to row,
/// with `STREAM_AHEAD` bytes of software prefetch on top where that
/// measured faster (the ISA header says where). A tile of 4 rows
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
    const int unroll = STREAM_UNROLL(xr);
    const ptrdiff_t step = unroll * LANES, step_bytes = step * es;
    const ptrdiff_t vend = n & ~(ptrdiff_t)(LANES - 1);
    for (ptrdiff_t o = out_lo; o < out_hi; o++) {
        const char *row = w + o * row_bytes;
        VF acc[2][8];   // STREAM_UNROLL(1)
        for (int j = 0; j < xr; j++)
            for (int u = 0; u < unroll; u++) acc[j][u] = VZERO();
        ptrdiff_t c = 0;
        for (; c + step <= n; c += step) {
            const char *p = row + c * es;
            // Past the end of W near the last rows: harmless, prefetches never fault.
            if (STREAM_AHEAD > 0)
                for (ptrdiff_t b = 0; b < step_bytes; b += 64) __builtin_prefetch(p + STREAM_AHEAD + b, 0, 3);
            for (int u = 0; u < unroll; u++) {
                const VF wv = KERNEL(load_w)(format, p + u * LANES * es);
                for (int j = 0; j < xr; j++) acc[j][u] = VFMA(wv, VLOADF(x + j * n + c + u * LANES), acc[j][u]);
            }
        }
        for (; c < vend; c += LANES) {
            const VF wv = KERNEL(load_w)(format, row + c * es);
            for (int j = 0; j < xr; j++) acc[j][0] = VFMA(wv, VLOADF(x + j * n + c), acc[j][0]);
        }
        KERNEL(stream_store)(format, xr, unroll, acc, row, x, vend, n, y + o, ldy);
    }
}

/// Units of 2·LANES BF16 per unrolled step of `stream_pairs`: 128 bytes of
/// W for one input row (4 AVX2 units, 8 accumulators), 64 for two (16
/// accumulators would outgrow AVX2's registers). One row over 64 bytes a
/// step measured 1.02× plain `stream`, over 128 bytes 1.05×, over 256
/// bytes 0.90×.
#define PAIR_UNITS(xr) (((xr) == 1 ? 128 : 64) / (4 * LANES))

/// acc[j][a] += W's even elements · x row j's, acc[j][a + 1] += the odd
/// ones, over the 2·LANES columns at c (p: W's row at c; xs: x permuted).
INLINE void KERNEL(pair_unit)(const int xr, VF acc[][8], int a, const char *p, const float *xs, ptrdiff_t n,
                              ptrdiff_t c) {
    const VF even = KERNEL(load_pair_even)(p), odd = KERNEL(load_pair_odd)(p);
    for (int j = 0; j < xr; j++) {
        acc[j][a] = VFMA(even, VLOADF(xs + j * n + c), acc[j][a]);
        acc[j][a + 1] = VFMA(odd, VLOADF(xs + j * n + c + LANES), acc[j][a + 1]);
    }
}

/// `stream` for BF16 against x's rows permuted by rows_prepare (xs; x as
/// given for the columns past the last whole unit): 32-byte loads of W,
/// each widened by one vpslld (even elements) and one vpand (odd), as in
/// rows_step_pairs, against a 16-byte vpmovzxwd and a vpslld per 8 weights
/// in `stream`. About half the instructions per byte of W, so the core runs
/// further ahead of the weight stream. The SmolLM-135M-shaped model's BF16
/// decode, 1 stream, the two decoded in turn 16 times in one process (Zen 3,
/// 2 threads): median 1.045–1.06× the tokens/s of `stream` (1.033× against
/// `stream` unrolled to 128 bytes a step as well); 2 streams 1.03×.
INLINE void KERNEL(stream_pairs)(const int xr, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n, const char *w,
                                 const float *xs, const float *x, float *y, ptrdiff_t ldy) {
    const int units = PAIR_UNITS(xr);
    const ptrdiff_t row_bytes = n * 2, unit = 2 * LANES, step = units * unit;
    const ptrdiff_t vend = n & ~(ptrdiff_t)(unit - 1);
    for (ptrdiff_t o = out_lo; o < out_hi; o++) {
        const char *row = w + o * row_bytes;
        VF acc[2][8];   // per input row: even, odd per unit (2·PAIR_UNITS(1) ≤ 8)
        for (int j = 0; j < xr; j++)
            for (int u = 0; u < 2 * units; u++) acc[j][u] = VZERO();
        ptrdiff_t c = 0;
        for (; c + step <= vend; c += step) {
            const char *p = row + c * 2;
            // Past the end of W near the last rows: harmless, prefetches never fault.
            if (STREAM_AHEAD > 0)
                for (ptrdiff_t b = 0; b < step * 2; b += 64) __builtin_prefetch(p + STREAM_AHEAD + b, 0, 3);
            for (int u = 0; u < units; u++) KERNEL(pair_unit)(xr, acc, 2 * u, p + u * unit * 2, xs, n, c + u * unit);
        }
        for (; c < vend; c += unit) KERNEL(pair_unit)(xr, acc, 0, row + c * 2, xs, n, c);
        KERNEL(stream_store)(LORAD_FORMAT_BF16, xr, 2 * units, acc, row, x, vend, n, y + o, ldy);
    }
}

/// One stream for 1–2 input rows (above; BF16 by stream_pairs while this
/// thread's scratch can hold x permuted); from 3 rows on gemv_rows_body.h's
/// tiles of 3 weight rows × groups of ROWS_GROUP input rows.
INLINE void KERNEL(run_any)(const int format, ptrdiff_t rows, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n,
                            const void *w, const float *x, float *y, ptrdiff_t ldy) {
    if (format == LORAD_FORMAT_BF16 && rows <= 2) {
        const KERNEL(rows_input) in = KERNEL(rows_prepare)(format, rows, n, x);
        if (in.pairs) {
            if (rows == 1) KERNEL(stream_pairs)(1, out_lo, out_hi, n, (const char *)w, in.xs, x, y, ldy);
            else KERNEL(stream_pairs)(2, out_lo, out_hi, n, (const char *)w, in.xs, x, y, ldy);
            return;
        }
    }
    if (rows == 1) KERNEL(stream)(format, 1, out_lo, out_hi, n, (const char *)w, x, y, ldy);
    else if (rows == 2) KERNEL(stream)(format, 2, out_lo, out_hi, n, (const char *)w, x, y, ldy);
    else KERNEL(rows_run)(format, rows, out_lo, out_hi, n, (const char *)w, x, y, ldy);
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

/// 3–32 input rows over all `out` output rows, shared by the `lanes`
/// threads of one job (each calls this with its own `lane`): a lane first
/// takes the output rows it owns, in chunks from the front, so it streams
/// its own contiguous share of W as a static split would; once its share
/// is done it takes the chunks the other lanes have not reached yet. A
/// static split leaves the faster thread waiting for the slower at every
/// projection, and on a shared machine the two cores' speeds differ from
/// one projection to the next. (Few input rows keep the static split —
/// Kernels' BatchedGEMV.sharedMinRows: near the memory bound a chunk taken
/// from another lane's share is a second stream.)
TARGET void KERNEL(lorad_gemv_shared)(int format, ptrdiff_t rows, ptrdiff_t out, ptrdiff_t n, const void *w,
                                      const float *x, float *y, ptrdiff_t ldy, ptrdiff_t chunk, ptrdiff_t lanes,
                                      ptrdiff_t lane, ptrdiff_t *taken) {
    if (rows < 3 || rows > 32 || out <= 0 || n <= 0 || chunk <= 0 || chunk % 3 != 0 || lanes <= 0 || lane < 0 ||
        lane >= lanes)
        return;
    const char *wc = (const char *)w;
    switch (format) {
    case LORAD_FORMAT_F32: KERNEL(rows_shared)(LORAD_FORMAT_F32, rows, out, n, wc, x, y, ldy, chunk, lanes, lane, taken); break;
    case LORAD_FORMAT_BF16: KERNEL(rows_shared)(LORAD_FORMAT_BF16, rows, out, n, wc, x, y, ldy, chunk, lanes, lane, taken); break;
    case LORAD_FORMAT_F16: KERNEL(rows_shared)(LORAD_FORMAT_F16, rows, out, n, wc, x, y, ldy, chunk, lanes, lane, taken); break;
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
#undef STREAM_UNROLL
#undef PAIR_UNITS
