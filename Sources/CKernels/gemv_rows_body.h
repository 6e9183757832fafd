// The matrix-vector kernel for 3–32 input rows, written once for every
// vector width (the ISA header defines VF, LANES, VZERO, VFMA, VLOADF, VSUM,
// KERNEL and TARGET first; widen_vector.h the weight loads). Included by
// gemv_body.h, whose run_any sends those row counts here.
//
// Tiles of 3 weight rows × groups of up to ROWS_GROUP input rows (the ISA
// header's: 4 for AVX2, where 12 accumulators + 3 weight vectors + 1 input
// vector fill the 16 YMM registers, 7 loads for 12 FMAs per vector of
// columns; 8 for AVX-512's 32 ZMM registers, so a batch of 8 widens each
// weight vector once), horizontal sums once per output, a tile's three per
// input row together (rows_store). Past one group the columns go in blocks
// of ROWS_BLOCK that every group uses while the block sits in L1 (each
// group's accumulators parked in between), and each group widens the
// block's weights again in registers.
//
// Groups of 8 against 4 on Zen 4 (AVX-512, a token's projections of the
// SmolLM-135M shape, 8 input rows, 2 threads, 2 MiB pages, the two
// alternating 9 times in one process; medians): BF16 15.9 against 18.0 ms,
// F16 15.8 against 17.8, F32 27.5 against 29.0.
//
// BF16 is widened in pairs (rows_step_pairs) against x's rows permuted once
// per call into the thread's scratch (permute_pairs): one vpand or vpslld
// per LANES weights instead of vpmovzxwd + vpslld. A token's projections of
// the SmolLM-135M shape, 2 threads, weights on 2 MiB pages (Zen 3), against
// the plain widening: 1.00–1.07× at 5–12 rows; with the next-tile prefetch
// of 16-bit rows (rows_run) 1.04–1.21×, the two together; 3–4 rows and
// 16–32 rows unchanged within the machine's noise.
//
// The same tiling as the code this replaced (gemv_body.h's `run`, generic
// over the tile's width, inlined whole into lorad_gemv). What is new is
// where clang allocates registers: each group's inner loop is its own
// function per format, group size and prefetch choice (rows_group_any).
// Inlined into the tile and block loops, the 16-bit 3 × 4 loops kept
// pointers and accumulators on the stack, 52–65 spills and reloads per 48
// FMAs, against 0 out of line. One thread on a 48 × 576 matrix in L1
// (Zen 3, the repository's -O2 -fno-omit-frame-pointer), GFLOP/s old → new:
// BF16 3 rows 59 → 68, 4 rows 46 → 75, 8 rows 56 → 71, 32 rows 64 → 71;
// F16 4 rows 43 → 61, 8 rows 55 → 70; F32 unchanged (82–86).
//
// Tried and dropped, same harness and machine:
// - Widening each block once into an F32 scratch in L1 and running every
//   group from it (the widening repeats ceil(rows / 4) times per weight
//   element here): 67 against 71–74 GFLOP/s at 8 rows BF16, 67 against 80
//   F16; over the model's shapes on 2 threads 0.90× (BF16) and 0.88× (F16)
//   of widening in registers. The extra store and reload cost more than the
//   widening (vpmovzxwd + vpslld, or vcvtph2ps) they save.
// - Vectors along the input rows (x transposed once, the weights widened
//   once, one vbroadcastss of W[i][k] per FMA, no horizontal sums): half
//   the F32 speed in L1, 0.6–0.97× over the model's shapes: as if Zen 3
//   issued one vbroadcastss per cycle, 12 per 12 FMAs being twice the FMA
//   time.

#include "thread_scratch.h"

#define RINLINE static inline __attribute__((always_inline)) TARGET
#define RMIN(a, b) ((a) < (b) ? (a) : (b))

/// Columns per block past one group: 3 weight rows, 8 input rows of it
/// and the prefetched next block stay well inside a 32 KiB L1
/// (BatchedGEMV.blockFloats measured 256 against 512).
#define ROWS_BLOCK 256

/// acc[i][j] += W row i · x row j over one vector of columns at element c:
/// each weight vector loaded and widened once for the xr input rows.
RINLINE void KERNEL(rows_step)(const int format, const int xr, VF acc[3][ROWS_GROUP], const char *const wp[3],
                               const float *const xp[ROWS_GROUP], ptrdiff_t c) {
    const ptrdiff_t es = KERNEL(element_size)(format);
    VF wv[3];
    for (int i = 0; i < 3; i++) wv[i] = KERNEL(load_w)(format, wp[i] + c * es);
    for (int j = 0; j < xr; j++) {
        const VF xv = VLOADF(xp[j] + c);
        for (int i = 0; i < 3; i++) acc[i][j] = VFMA(wv[i], xv, acc[i][j]);
    }
}

/// rows_step for BF16 over 2·LANES columns at element c, x's rows permuted
/// (`permute_pairs`: evens, then odds, per 2·LANES columns). One 2·LANES
/// load of BF16 holds each odd element in the top half of a 32-bit lane —
/// already that element as F32 once the even one below it is masked off —
/// and each even element in the bottom half, one shift away from its F32:
/// one vpand or vpslld per LANES weights instead of vpmovzxwd + vpslld.
RINLINE void KERNEL(rows_step_pairs)(const int xr, VF acc[3][ROWS_GROUP], const char *const wp[3],
                                     const float *const xp[ROWS_GROUP], ptrdiff_t c) {
    VF wv[3];
    for (int i = 0; i < 3; i++) wv[i] = KERNEL(load_pair_even)(wp[i] + c * 2);
    for (int j = 0; j < xr; j++) {
        const VF xv = VLOADF(xp[j] + c);
        for (int i = 0; i < 3; i++) acc[i][j] = VFMA(wv[i], xv, acc[i][j]);
    }
    for (int i = 0; i < 3; i++) wv[i] = KERNEL(load_pair_odd)(wp[i] + c * 2);
    for (int j = 0; j < xr; j++) {
        const VF xv = VLOADF(xp[j] + c + LANES);
        for (int i = 0; i < 3; i++) acc[i][j] = VFMA(wv[i], xv, acc[i][j]);
    }
}

/// One unit of columns at element c: rows_step_pairs's 2·LANES with
/// `pairs`, else rows_step's LANES.
RINLINE void KERNEL(rows_step_unit)(const int format, const int pairs, const int xr, VF acc[3][ROWS_GROUP],
                                    const char *const wp[3], const float *const xp[ROWS_GROUP], ptrdiff_t c) {
    if (pairs) KERNEL(rows_step_pairs)(xr, acc, wp, xp, c);
    else KERNEL(rows_step)(format, xr, acc, wp, xp, c);
}

/// acc[i][j] += W row i · x row j over columns [0, len) (a multiple of the
/// unit: LANES, or 2·LANES with `pairs`, BF16 only, x's rows permuted), W's
/// rows in `format`; with `prefetch`, one line at wp[i] + ahead per 64
/// bytes of progress, into the cache level ROWS_PREFETCH_LOCALITY names.
/// One offset for the three rows, not three addresses: they cost general
/// registers clang then reloaded from the stack inside the loop.
RINLINE void KERNEL(rows_dot)(const int format, const int pairs, const int xr, const int prefetch,
                              VF acc[3][ROWS_GROUP], const char *const wp[3], const float *const xp[ROWS_GROUP],
                              ptrdiff_t len, ptrdiff_t ahead) {
    const ptrdiff_t es = KERNEL(element_size)(format), line = 64 / es;
    const ptrdiff_t unit = pairs ? 2 * LANES : LANES;   // line is a multiple of unit
    ptrdiff_t c = 0;
    if (prefetch) {
        for (; c + line <= len; c += line) {
            for (int i = 0; i < 3; i++)
                __builtin_prefetch((const void *)((uintptr_t)wp[i] + (uintptr_t)(c * es + ahead)), 0,
                                   ROWS_PREFETCH_LOCALITY);
            for (ptrdiff_t u = c; u < c + line; u += unit) KERNEL(rows_step_unit)(format, pairs, xr, acc, wp, xp, u);
        }
    }
    for (; c < len; c += unit) KERNEL(rows_step_unit)(format, pairs, xr, acc, wp, xp, c);
}

/// One group of `xr` input rows over one column block, its accumulators
/// taken from and returned to `parked` (zero at the first block).
RINLINE void KERNEL(rows_group)(const int format, const int pairs, const int xr, const int prefetch, const int first,
                                VF parked[3][ROWS_GROUP], const char *const wp[3], const float *const xp[ROWS_GROUP],
                                ptrdiff_t len, ptrdiff_t ahead) {
    VF acc[3][ROWS_GROUP];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < xr; j++) acc[i][j] = first ? VZERO() : parked[i][j];
    KERNEL(rows_dot)(format, pairs, xr, prefetch, acc, wp, xp, len, ahead);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < xr; j++) parked[i][j] = acc[i][j];
}

/// One out-of-line copy of the group per format (BF16 twice: plain and
/// pairs), group size and prefetch choice, so each inner loop is
/// register-allocated on its own (see the top of this file: inlined, the
/// 16-bit loops spilled 52–65 times per 48 FMAs and a token's BF16
/// projections at 8 rows took 1.2× as long). A call per group and column
/// block (≥ 128 columns of up to 12 FMAs per vector) is small beside the
/// loop it runs.
#define ROWS_GROUP_FN(NAME, FORMAT, PAIRS, XR, PF)                                                              \
    static __attribute__((noinline)) TARGET void KERNEL(rows_group_##NAME##_##XR##_##PF)(                      \
        const int first, VF parked[3][ROWS_GROUP], const char *const wp[3], const float *const xp[ROWS_GROUP], \
        ptrdiff_t len, ptrdiff_t ahead) {                                                                      \
        KERNEL(rows_group)(FORMAT, PAIRS, XR, PF, first, parked, wp, xp, len, ahead);                          \
    }
#define ROWS_GROUP_FNS_4(NAME, FORMAT, PAIRS)                                                                   \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 1, 0) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 2, 0)                          \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 3, 0) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 4, 0)                          \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 1, 1) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 2, 1)                          \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 3, 1) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 4, 1)
#if ROWS_GROUP == 8
#define ROWS_GROUP_FNS(NAME, FORMAT, PAIRS)                                                                     \
    ROWS_GROUP_FNS_4(NAME, FORMAT, PAIRS)                                                                       \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 5, 0) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 6, 0)                          \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 7, 0) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 8, 0)                          \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 5, 1) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 6, 1)                          \
    ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 7, 1) ROWS_GROUP_FN(NAME, FORMAT, PAIRS, 8, 1)
#elif ROWS_GROUP == 4
#define ROWS_GROUP_FNS(NAME, FORMAT, PAIRS) ROWS_GROUP_FNS_4(NAME, FORMAT, PAIRS)
#else
#error "ROWS_GROUP must be 4 or 8"
#endif
ROWS_GROUP_FNS(f32, LORAD_FORMAT_F32, 0)
ROWS_GROUP_FNS(bf16, LORAD_FORMAT_BF16, 0)
ROWS_GROUP_FNS(bf16pairs, LORAD_FORMAT_BF16, 1)
ROWS_GROUP_FNS(f16, LORAD_FORMAT_F16, 0)
#undef ROWS_GROUP_FNS
#undef ROWS_GROUP_FNS_4
#undef ROWS_GROUP_FN

/// The out-of-line group for this format (and pairing), group size and
/// prefetch choice.
RINLINE void KERNEL(rows_group_any)(const int format, const int pairs, ptrdiff_t xr, const int prefetch, const int first,
                                    VF parked[3][ROWS_GROUP], const char *const wp[3],
                                    const float *const xp[ROWS_GROUP], ptrdiff_t len, ptrdiff_t ahead) {
#define ROWS_CASE(NAME, XR)                                                                                      \
    case 2 * XR: KERNEL(rows_group_##NAME##_##XR##_0)(first, parked, wp, xp, len, ahead); break;                \
    case 2 * XR + 1: KERNEL(rows_group_##NAME##_##XR##_1)(first, parked, wp, xp, len, ahead); break;
#if ROWS_GROUP == 8
#define ROWS_CASES_PAST_4(NAME) ROWS_CASE(NAME, 5) ROWS_CASE(NAME, 6) ROWS_CASE(NAME, 7) ROWS_CASE(NAME, 8)
#else
#define ROWS_CASES_PAST_4(NAME)
#endif
#define ROWS_CALL(NAME)                                                                                          \
    switch (xr * 2 + prefetch) {                                                                                 \
    ROWS_CASE(NAME, 1) ROWS_CASE(NAME, 2) ROWS_CASE(NAME, 3) ROWS_CASE(NAME, 4) ROWS_CASES_PAST_4(NAME)          \
    default: break;                                                                                              \
    }
    if (format == LORAD_FORMAT_F32) { ROWS_CALL(f32) }
    else if (format == LORAD_FORMAT_BF16 && pairs) { ROWS_CALL(bf16pairs) }
    else if (format == LORAD_FORMAT_BF16) { ROWS_CALL(bf16) }
    else { ROWS_CALL(f16) }
#undef ROWS_CALL
#undef ROWS_CASES_PAST_4
#undef ROWS_CASE
}

/// x's rows with every 2·LANES columns up to `vend` reordered as their even
/// elements, then their odd ones (rows_step_pairs).
/// x, dst: (rows, n)
RINLINE void KERNEL(permute_pairs)(ptrdiff_t rows, ptrdiff_t n, ptrdiff_t vend, const float *x, float *dst) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        for (ptrdiff_t c = 0; c < vend; c += 2 * LANES) {
            VF even, odd;
            VDEINTERLEAVE(x + r * n + c, even, odd);
            VSTOREF(dst + r * n + c, even);
            VSTOREF(dst + r * n + c + LANES, odd);
        }
    }
}

/// A tile's outputs for input row j, adjacent in y (yj[0..<count], count
/// ≤ 3 where the range ends mid-tile): the three accumulators reduced
/// together by one VSUM4 (three vhaddps), then the columns past vend added,
/// stored as 8 and/or 4 bytes, never past yj[count - 1] (a chunk's last
/// tile ends where another lane's chunk begins). Each lane of VSUM4 sums
/// its own vector by the same tree, so an output's bits do not depend on
/// which tile, lane or thread computes it. Against a VSUM and a scalar
/// store per output, the SmolLM-135M-shaped model's decode steps with 4, 8
/// and 16 rows × distinct q,v r=8 adapters, the two decoded step by step in
/// turn (Zen 3, 2 threads; medians of 96 step pairs, 10 per format): BF16
/// 1.006–1.027× the speed, F16 1.03–1.05×. (Built from a 16-byte load of
/// the tails' four scalar stores, the reduction waited on store
/// forwarding at every call and gained nothing: 0.98–1.01×.)
RINLINE void KERNEL(rows_store)(const int format, VF parked[3][ROWS_GROUP], int j, int count, const char *const wrow[3],
                                const float *xj, ptrdiff_t vend, ptrdiff_t n, float *yj) {
    const ptrdiff_t es = KERNEL(element_size)(format);
    VF four[4] = {parked[0][j], parked[1][j], parked[2][j], VZERO()};
    __m128 s = VSUM4(four);
    if (vend < n) {
        // The tails as a vector built in registers: a 16-byte load of four
        // scalar stores would wait on store forwarding at every call.
        float tail[3] = {0, 0, 0};
        for (int i = 0; i < count; i++)
            for (ptrdiff_t c = vend; c < n; c++) tail[i] += lorad_widen_one(format, wrow[i] + c * es) * xj[c];
        s = _mm_add_ps(s, _mm_setr_ps(tail[0], tail[1], tail[2], 0.0f));
    }
    if (count == 1) _mm_store_ss(yj, s);
    else _mm_storel_pi((__m64 *)yj, s);
    if (count == 3) _mm_store_ss(yj + 2, _mm_movehl_ps(s, s));
}

/// x as the tiles read it: for BF16, permuted into this thread's scratch
/// (rows_step_pairs), once per call however many output rows follow;
/// otherwise x itself, or when the scratch cannot be had (the plain
/// widening: the same sums to rounding).
typedef struct {
    const float *xs;
    int pairs;
} KERNEL(rows_input);

RINLINE KERNEL(rows_input) KERNEL(rows_prepare)(const int format, ptrdiff_t rows, ptrdiff_t n, const float *x) {
    float *permuted = format == LORAD_FORMAT_BF16 ? lorad_thread_scratch((size_t)(rows * n)) : NULL;
    KERNEL(rows_input) in = {x, permuted != NULL};
    if (in.pairs) {
        KERNEL(permute_pairs)(rows, n, n & ~(ptrdiff_t)(2 * LANES - 1), x, permuted);
        in.xs = permuted;
    }
    return in;
}

/// Output rows [out_lo, out_hi) for all `rows` (3–32) input rows, x
/// prepared by rows_prepare (in) and as given (x: the columns past the
/// last full unit).
RINLINE void KERNEL(rows_tiles)(const int format, KERNEL(rows_input) in, ptrdiff_t rows, ptrdiff_t out_lo,
                                ptrdiff_t out_hi, ptrdiff_t n, const char *w, const float *x, float *y, ptrdiff_t ldy) {
    const ptrdiff_t es = KERNEL(element_size)(format), row_bytes = n * es;
    const int pairs = in.pairs;
    const float *xs = in.xs;
    const ptrdiff_t unit = pairs ? 2 * LANES : LANES;
    const ptrdiff_t vend = n & ~(ptrdiff_t)(unit - 1);
    const ptrdiff_t groups = (rows + ROWS_GROUP - 1) / ROWS_GROUP;
    ptrdiff_t blocks = groups == 1 ? 1 : (vend + ROWS_BLOCK - 1) / ROWS_BLOCK;
    if (blocks < 1) blocks = 1;
    const ptrdiff_t blen = ((vend / blocks) + unit - 1) & ~(ptrdiff_t)(unit - 1);
    const ptrdiff_t last = out_hi - 1;
    VF parked[32 / ROWS_GROUP][3][ROWS_GROUP];   // rows ≤ 32
    for (ptrdiff_t o = out_lo; o <= last; o += 3) {
        // The tile's rows (the last repeated past the range: computed, not
        // stored).
        const char *wrow[3];
        for (int i = 0; i < 3; i++) wrow[i] = w + RMIN(o + i, last) * row_bytes;
        for (ptrdiff_t k = 0; k < blocks; k++) {
            const ptrdiff_t lo = RMIN(k * blen, vend), len = RMIN(lo + blen, vend) - lo;
            // What the first group prefetches, as an offset from the column
            // it reads (past the last rows some other line of W or past its
            // end: harmless, prefetches never fault). 16-bit: the same
            // columns ROWS_PREFETCH_TILES tiles on (the ISA header's: 1 for
            // AVX2, 2 for AVX-512). F32: the rows' next block, or after the
            // last block the next tile's first. A token's projections at
            // 5–10 rows, 2 threads (Zen 3): BF16 1.07–1.12× with the next
            // tile, F16 1.00–1.05×, F32 0.90–0.97×.
            const ptrdiff_t ahead = es == 2 ? ROWS_PREFETCH_TILES * 3 * row_bytes
                                  : k + 1 < blocks ? blen * es
                                                   : 3 * row_bytes - lo * es;
            const char *wp[3];
            for (int i = 0; i < 3; i++) wp[i] = wrow[i] + lo * es;
            for (ptrdiff_t g = 0; g < groups; g++) {
                const ptrdiff_t r = ROWS_GROUP * g;
                const float *xp[ROWS_GROUP];
                for (int j = 0; j < ROWS_GROUP; j++) xp[j] = xs + RMIN(r + j, rows - 1) * n + lo;
                KERNEL(rows_group_any)(format, pairs, RMIN(ROWS_GROUP, rows - r), g == 0, k == 0, parked[g], wp, xp, len,
                                       ahead);
            }
        }
        // Horizontal sums plus the columns past the last full unit (from x
        // as given: the permutation stops at vend).
        for (ptrdiff_t g = 0; g < groups; g++) {
            const ptrdiff_t r = ROWS_GROUP * g, xr = RMIN(ROWS_GROUP, rows - r);
            for (int j = 0; j < xr; j++)
                KERNEL(rows_store)(format, parked[g], j, (int)RMIN(3, last - o + 1), wrow, x + (r + j) * n, vend, n,
                                   y + (r + j) * ldy + o);
        }
    }
}

/// Output rows [out_lo, out_hi) for all `rows` (3–32) input rows.
RINLINE void KERNEL(rows_run)(const int format, ptrdiff_t rows, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n,
                              const char *w, const float *x, float *y, ptrdiff_t ldy) {
    KERNEL(rows_tiles)(format, KERNEL(rows_prepare)(format, rows, n, x), rows, out_lo, out_hi, n, w, x, y, ldy);
}

/// All `out` output rows for `rows` (3–32) input rows, shared with the
/// other lanes of one job (gemv_body.h's lorad_gemv_shared has the why).
/// The output rows go in chunks of `chunk` (a multiple of 3: the tiles
/// fall on the same rows whichever lane takes a chunk), lane l owning
/// chunks [l·C / lanes, (l + 1)·C / lanes) of the C, taken[l] counting the
/// claims on them so far. This lane takes its own from the front, then the
/// other lanes' remaining ones, each claim one atomic increment.
RINLINE void KERNEL(rows_shared)(const int format, ptrdiff_t rows, ptrdiff_t out, ptrdiff_t n, const char *w,
                                 const float *x, float *y, ptrdiff_t ldy, ptrdiff_t chunk, ptrdiff_t lanes,
                                 ptrdiff_t lane, ptrdiff_t *taken) {
    const ptrdiff_t chunks = (out + chunk - 1) / chunk;
    KERNEL(rows_input) in;
    int prepared = 0;
    for (ptrdiff_t k = 0; k < lanes; k++) {
        const ptrdiff_t l = (lane + k) % lanes, start = l * chunks / lanes, end = (l + 1) * chunks / lanes;
        for (;;) {
            const ptrdiff_t c = start + __atomic_fetch_add(taken + l, 1, __ATOMIC_RELAXED);
            if (c >= end) break;
            if (!prepared) {
                in = KERNEL(rows_prepare)(format, rows, n, x);
                prepared = 1;
            }
            const ptrdiff_t lo = c * chunk, hi = RMIN(lo + chunk, out);
            KERNEL(rows_tiles)(format, in, rows, lo, hi, n, w, x, y, ldy);
        }
    }
}

#undef RINLINE
#undef RMIN
#undef ROWS_BLOCK
