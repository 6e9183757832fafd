// Decode attention, written once for every vector width. Included by
// attention_avx2.c and attention_avx512.c after their ISA header
// (isa_avx2.h, isa_avx512.h): the same vocabulary as gemv_body.h plus
// VSET1, VADD, VSUB, VMUL, VMAX, VMIN, VHMAX (horizontal max), VSUM8
// (eight horizontal sums), VSUM4 (four, as one 128-bit vector),
// VZERO_BELOW and the 32-bit integer lane operations VI_* / VAS_INT /
// VAS_FLOAT, and ATTENTION_PREFETCH (whether a 16-bit cache is prefetched
// ahead of the score tiles).
//
// What it computes is transformers' `eager_attention_forward` for one query
// row — softmax(q·kᵀ · scaling) · v — for every query head that shares one
// key/value head (`repeat_kv`'s grouping), over that head's positions.
//
// Design: the cache is (count, head_dim) per KV head, one contiguous stream
// for K and one for V, read together a block of positions at a time, once
// for all the heads, with the softmax kept online (FlashAttention's
// recurrence, Dao et al. 2022): per head a running max m and sum l of
// e^(s - m); a block whose max exceeds m first rescales l and the output
// accumulators by e^(m_old - m_new). Per block:
//   scores: register tiles of 3 heads × 4 positions (3 over F16), each key
//           vector loaded (and widened: vcvtph2ps for F16, a shift into the
//           top half for BF16) once for the 3 heads; a head's four
//           positions reduced together (VSUM4) into one 128-bit store
//           (F16's three: VSUM8 over the tile). The tiles also prefetch K
//           and V a fixed distance ahead where ATTENTION_PREFETCH says.
//   softmax: the block's max, e^(s - m) by the Cephes expf reduction (as
//           Kernels' VectorMath.exp), the running sum (attention_softmax.h).
//   values: register tiles of 3 heads × 4 output vectors (3 over a 16-bit
//           cache), the accumulators rescaled as they are loaded, each value
//           vector widened once for the 3 heads: per position 3 broadcast
//           weights and 3 FMAs per vector.
// Why fused: the two-pass kernel this replaced (scores over all of K, then
// values over all of V, a 16-bit block widened into an L1 scratch first)
// read K and V as two separate sweeps and ran the widening, the score pass
// and the value pass each at a fraction of the load ports; widening in the
// tiles and one sweep of both streams took 0.65–0.80 of its time over
// 16-bit caches on a Zen 3 (the `lorad-bench model --long-context`
// "attention alone" rows).
//
// A head whose max over all positions is not finite (+inf scores, or none
// above -inf) is redone by the two-pass path, whose softmax spreads the
// weight over the maxima as Kernels' Softmax.inPlace does.

#include "widen_vector.h"
#include "attention_softmax.h"

#define AINLINE static inline __attribute__((always_inline)) TARGET
#define AMIN(a, b) ((a) < (b) ? (a) : (b))
/// Query heads one pass over the cache takes; a larger group (no real
/// model's: they share a KV head among at most 8) goes this many heads at
/// a time, each batch its own pass.
#define PASS_HEADS 16
/// Query heads a register tile holds: 3 × 4 accumulators + 3 queries or
/// weights + 1 cache vector = 16 registers, AVX2's whole file.
#define TILE_HEADS 3
/// Positions a score tile takes and output vectors a value tile holds, per
/// cache format: where widening needs a register of its own the compiler
/// spilled an accumulator of the 3 × 4 tile to the stack every iteration
/// (the value tile over BF16 and F16, the score tile over F16); the
/// narrower tiles took 13–18 % less time a step over those caches (one
/// thread, 1024 positions, the C harness), and over F32 the 3 × 4 tiles
/// stay the faster.
#define TILE_POSITIONS(format) ((format) == LORAD_FORMAT_F16 ? 3 : 4)
#define TILE_VECTORS(format) ((format) == LORAD_FORMAT_F32 ? 4 : 3)
/// Bytes of K (and of V) a block holds: both blocks fit L1 (32 KiB on Zen 3)
/// while the head tiles and column tiles go over them; a block is also how
/// often the online softmax rescales. Over F32, 8 and 16 KiB measured the
/// same (8 KiB 0.98–0.99× the time). Over a 16-bit cache, 8 KiB blocks
/// with PREFETCH_BYTES 4 KiB (against 16 and 8) took 1.05–1.09× less time
/// over BF16 and 1.01–1.04× over F16 (8 sequences × 30 layers × 3 KV heads
/// at 1024 positions, 2 threads, Zen 3; 1.14× at 300 positions), where the
/// unchanged kernel against itself read 0.98–1.04×: the 16-bit K and V
/// blocks and what is prefetched ahead of them no longer outgrow L1.
#define BLOCK_BYTES(format) ((format) == LORAD_FORMAT_F32 ? 16384 : 8192)
/// How far ahead of the score tiles K and V are prefetched. Over a 16-bit
/// cache the hardware prefetcher alone left the bus idle while the tiles
/// computed (one thread over the bench's 1024-position caches: 16–19 ms a
/// step prefetching against 22–26 ms without); over F32 it measured the
/// same or better without, so F32 relies on the hardware prefetcher. Where
/// the ISA header's ATTENTION_PREFETCH is 0 (AVX-512: on Zen 4 the
/// hardware prefetcher keeps up alone) no format prefetches.
#define PREFETCH_BYTES 4096

/// s[h·ls + t] = scale · q_h · k_t for h < nh, t < np: nh query heads
/// (stride hd) against np cache rows at k (stride hd elements of
/// `format`), each key vector widened once in registers for the nh heads.
/// nh ≤ TILE_HEADS and np ≤ 4 are constants per inlined copy.
AINLINE void KERNEL(score_tile)(const int format, const int nh, const int np, const float *q, const char *k,
                                ptrdiff_t hd, float scale, float *s, ptrdiff_t ls) {
    const ptrdiff_t es = KERNEL(element_size)(format), vend = hd & ~(ptrdiff_t)(LANES - 1);
    VF acc[16];   // (nh, np), then zeros: two VSUM8 reductions
    for (int i = 0; i < 16; i++) acc[i] = VZERO();
    for (ptrdiff_t c = 0; c < vend; c += LANES) {
        VF qv[TILE_HEADS];
        for (int h = 0; h < nh; h++) qv[h] = VLOADF(q + h * hd + c);
        for (int t = 0; t < np; t++) {
            const VF kv = KERNEL(load_w)(format, k + (t * hd + c) * es);
            for (int h = 0; h < nh; h++) acc[h * np + t] = VFMA(qv[h], kv, acc[h * np + t]);
        }
    }
    if (np == 4 && vend == hd) {
        // A head's four scores are contiguous in s: one VSUM4 and one
        // 128-bit store each, against two VSUM8 and twelve scalar stores
        // for the tile. One thread, 3 heads × 64 dimensions, a cache in L2
        // (Zen 3): 1.04–1.28× over BF16, 1.04–1.46× over F32; 2 threads
        // over 8 sequences' 1024-position caches from memory, where the
        // reads set the pace, 0.95–1.08×.
        for (int h = 0; h < nh; h++)
            _mm_storeu_ps(s + h * ls, _mm_mul_ps(VSUM4(acc + h * 4), _mm_set1_ps(scale)));
        return;
    }
    float sums[16];
    VSUM8(acc, sums);
    if (nh * np > 8) VSUM8(acc + 8, sums + 8);
    for (int h = 0; h < nh; h++)
        for (int t = 0; t < np; t++) {
            float sum = sums[h * np + t];
            for (ptrdiff_t c = vend; c < hd; c++) sum += q[h * hd + c] * lorad_widen_one(format, k + (t * hd + c) * es);
            s[h * ls + t] = sum * scale;
        }
}

/// score_tile for nh heads over n positions, TILE_POSITIONS at a time and
/// the last few by a narrower copy. With `prefetch`, each tile first asks
/// for the K and V lines PREFETCH_BYTES past its rows (never faults).
AINLINE void KERNEL(score_heads)(const int format, const int nh, const float *q, const char *k, const char *v,
                                 const int prefetch, ptrdiff_t n, ptrdiff_t hd, float scale, float *s,
                                 ptrdiff_t ls) {
    const ptrdiff_t row = hd * KERNEL(element_size)(format);
    const int tile = TILE_POSITIONS(format);
    ptrdiff_t t = 0;
    for (; t + tile <= n; t += tile) {
        if (prefetch)
            for (ptrdiff_t i = 0; i < tile * row; i += 64) {
                __builtin_prefetch(k + t * row + PREFETCH_BYTES + i, 0, 3);
                __builtin_prefetch(v + t * row + PREFETCH_BYTES + i, 0, 3);
            }
        KERNEL(score_tile)(format, nh, tile, q, k + t * row, hd, scale, s + t, ls);
    }
    switch (n - t) {
    case 1: KERNEL(score_tile)(format, nh, 1, q, k + t * row, hd, scale, s + t, ls); break;
    case 2: KERNEL(score_tile)(format, nh, 2, q, k + t * row, hd, scale, s + t, ls); break;
    case 3: KERNEL(score_tile)(format, nh, 3, q, k + t * row, hd, scale, s + t, ls); break;
    default: break;
    }
}

/// s[h·ls + t] = scale · q_h · k_t for every head h < heads and t < n:
/// TILE_HEADS heads at a time, then the last 1–2; only the first head
/// tile prefetches (the others read the same rows).
AINLINE void KERNEL(scores)(const int format, ptrdiff_t heads, const float *q, const char *k, const char *v,
                            const int prefetch, ptrdiff_t n, ptrdiff_t hd, float scale, float *s, ptrdiff_t ls) {
    ptrdiff_t h = 0;
    for (; h + TILE_HEADS <= heads; h += TILE_HEADS)
        KERNEL(score_heads)(format, TILE_HEADS, q + h * hd, k, v, prefetch && h == 0, n, hd, scale, s + h * ls, ls);
    switch (heads - h) {
    case 1: KERNEL(score_heads)(format, 1, q + h * hd, k, v, prefetch && h == 0, n, hd, scale, s + h * ls, ls); break;
    case 2: KERNEL(score_heads)(format, 2, q + h * hd, k, v, prefetch && h == 0, n, hd, scale, s + h * ls, ls); break;
    default: break;
    }
}

/// o_h[c0 ..< c0 + nv·LANES] ← alpha[h] · o_h[…] + Σ_t p[h·lp + t] · v_t[…]
/// for h < nh, t < n: each value vector widened once in registers for the
/// nh heads. nh ≤ TILE_HEADS and nv ≤ 4 are constants per inlined copy.
AINLINE void KERNEL(value_tile)(const int format, const int nh, const int nv, const float *p, ptrdiff_t lp,
                                const float *alpha, const char *v, ptrdiff_t n, ptrdiff_t hd, ptrdiff_t c0,
                                float *o) {
    const ptrdiff_t es = KERNEL(element_size)(format);
    VF acc[TILE_HEADS][4];
    for (int h = 0; h < nh; h++)
        for (int i = 0; i < nv; i++) acc[h][i] = VMUL(VLOADF(o + h * hd + c0 + i * LANES), VSET1(alpha[h]));
    for (ptrdiff_t t = 0; t < n; t++) {
        VF w[TILE_HEADS];
        for (int h = 0; h < nh; h++) w[h] = VSET1(p[h * lp + t]);
        for (int i = 0; i < nv; i++) {
            const VF vv = KERNEL(load_w)(format, v + (t * hd + c0 + i * LANES) * es);
            for (int h = 0; h < nh; h++) acc[h][i] = VFMA(w[h], vv, acc[h][i]);
        }
    }
    for (int h = 0; h < nh; h++)
        for (int i = 0; i < nv; i++) VSTOREF(o + h * hd + c0 + i * LANES, acc[h][i]);
}

/// value_tile for nh heads over every column: TILE_VECTORS vectors at a
/// time, then the last few vectors, then the scalar tail columns.
AINLINE void KERNEL(value_heads)(const int format, const int nh, const float *p, ptrdiff_t lp, const float *alpha,
                                 const char *v, ptrdiff_t n, ptrdiff_t hd, float *o) {
    const ptrdiff_t es = KERNEL(element_size)(format), vend = hd & ~(ptrdiff_t)(LANES - 1);
    const int tile = TILE_VECTORS(format);
    ptrdiff_t c = 0;
    for (; c + tile * LANES <= vend; c += tile * LANES)
        KERNEL(value_tile)(format, nh, tile, p, lp, alpha, v, n, hd, c, o);
    switch ((vend - c) / LANES) {
    case 1: KERNEL(value_tile)(format, nh, 1, p, lp, alpha, v, n, hd, c, o); break;
    case 2: KERNEL(value_tile)(format, nh, 2, p, lp, alpha, v, n, hd, c, o); break;
    case 3: KERNEL(value_tile)(format, nh, 3, p, lp, alpha, v, n, hd, c, o); break;
    default: break;
    }
    for (int h = 0; h < nh; h++)
        for (c = vend; c < hd; c++) {
            float sum = o[h * hd + c] * alpha[h];
            for (ptrdiff_t t = 0; t < n; t++) sum += p[h * lp + t] * lorad_widen_one(format, v + (t * hd + c) * es);
            o[h * hd + c] = sum;
        }
}

/// o_h ← alpha[h] · o_h + Σ_t p[h·lp + t] · v_t for every head h < heads
/// (o (heads, hd)): TILE_HEADS heads at a time, then the last 1–2.
AINLINE void KERNEL(values)(const int format, ptrdiff_t heads, const float *p, ptrdiff_t lp, const float *alpha,
                            const char *v, ptrdiff_t n, ptrdiff_t hd, float *o) {
    ptrdiff_t h = 0;
    for (; h + TILE_HEADS <= heads; h += TILE_HEADS)
        KERNEL(value_heads)(format, TILE_HEADS, p + h * lp, lp, alpha + h, v, n, hd, o + h * hd);
    switch (heads - h) {
    case 1: KERNEL(value_heads)(format, 1, p + h * lp, lp, alpha + h, v, n, hd, o + h * hd); break;
    case 2: KERNEL(value_heads)(format, 2, p + h * lp, lp, alpha + h, v, n, hd, o + h * hd); break;
    default: break;
    }
}

/// The two-pass computation for heads ≤ PASS_HEADS: every score (scores:
/// (heads, count)), each head's softmax over all of them, then the values.
/// Used when a head's max is not finite, where the online recurrence has
/// no finite max to subtract.
AINLINE void KERNEL(attend_two_pass)(const int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t hd, float scale,
                                     const float *q, const char *keys, const char *values, float *scores,
                                     float *out) {
    float ones[PASS_HEADS];
    for (ptrdiff_t h = 0; h < heads; h++) ones[h] = 1;
    KERNEL(scores)(format, heads, q, keys, values, 0, count, hd, scale, scores, count);
    for (ptrdiff_t h = 0; h < heads; h++) KERNEL(attention_softmax)(scores + h * count, count);
    for (ptrdiff_t i = 0; i < heads * hd; i++) out[i] = 0;
    KERNEL(values)(format, heads, scores, count, ones, values, count, hd, out);
}

/// One pass over the cache for heads ≤ PASS_HEADS query heads with the
/// online softmax (the design note at the top); scores holds (heads,
/// block) floats of one block's weights. Returns 0, out unfinished, when
/// some head's max over all positions is not finite.
AINLINE int KERNEL(attend_online)(const int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t hd, float scale,
                                  const float *q, const char *keys, const char *values, float *scores,
                                  float *out) {
    float m[PASS_HEADS], l[PASS_HEADS], alpha[PASS_HEADS];
    const ptrdiff_t row = hd * KERNEL(element_size)(format);
    const ptrdiff_t block = AMIN(count, BLOCK_BYTES(format) / row > 0 ? BLOCK_BYTES(format) / row : 1);
    const int prefetch = ATTENTION_PREFETCH && format != LORAD_FORMAT_F32;
    for (ptrdiff_t h = 0; h < heads; h++) { m[h] = -__builtin_inff(); l[h] = 0; }
    for (ptrdiff_t i = 0; i < heads * hd; i++) out[i] = 0;
    for (ptrdiff_t t0 = 0; t0 < count; t0 += block) {
        const ptrdiff_t n = AMIN(block, count - t0);
        const char *k = keys + t0 * row, *v = values + t0 * row;
        KERNEL(scores)(format, heads, q, k, v, prefetch, n, hd, scale, scores, block);
        for (ptrdiff_t h = 0; h < heads; h++) {
            float *s = scores + h * block;
            const float bm = KERNEL(attention_max)(s, n);
            alpha[h] = 1;
            if (bm > m[h]) {   // never for NaN: the max skips NaN, as softmax's does
                alpha[h] = KERNEL(attention_exp1)(m[h] - bm);   // 0 while m is -inf (nothing summed yet)
                l[h] *= alpha[h];
                m[h] = bm;
            }
            if (m[h] == -__builtin_inff()) {
                // Nothing above -inf yet: these positions weigh 0 against any
                // later finite max, but a NaN stays NaN (it makes softmax's
                // sum, so every weight, NaN).
                for (ptrdiff_t t = 0; t < n; t++) s[t] = s[t] != s[t] ? s[t] : 0;
                for (ptrdiff_t t = 0; t < n; t++) l[h] += s[t];
            } else {
                l[h] += KERNEL(attention_exp_sum)(s, n, m[h]);
            }
        }
        KERNEL(values)(format, heads, scores, block, alpha, v, n, hd, out);
    }
    for (ptrdiff_t h = 0; h < heads; h++)
        if (!__builtin_isfinite(m[h])) return 0;
    for (ptrdiff_t h = 0; h < heads; h++) {
        const float inv = 1.0f / l[h];
        float *o = out + h * hd;
        ptrdiff_t c = 0;
        for (; c + LANES <= hd; c += LANES) VSTOREF(o + c, VMUL(VLOADF(o + c), VSET1(inv)));
        for (; c < hd; c++) o[c] *= inv;
    }
    return 1;
}

AINLINE void KERNEL(attend)(const int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t hd, float scale,
                            const float *q, const char *keys, const char *values, float *scores, float *out) {
    for (ptrdiff_t h0 = 0; h0 < heads; h0 += PASS_HEADS) {
        const ptrdiff_t nh = AMIN(PASS_HEADS, heads - h0);
        const float *qh = q + h0 * hd;
        float *oh = out + h0 * hd;
        if (!KERNEL(attend_online)(format, nh, count, hd, scale, qh, keys, values, scores, oh))
            KERNEL(attend_two_pass)(format, nh, count, hd, scale, qh, keys, values, scores, oh);
    }
}

TARGET void KERNEL(lorad_attention)(int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t head_dim, float scale,
                                    const float *q, const void *keys, const void *values, float *scores,
                                    float *out) {
    if (heads <= 0 || count <= 0 || head_dim <= 0) return;
    const char *k = (const char *)keys, *v = (const char *)values;
    switch (format) {
    case LORAD_FORMAT_F32: KERNEL(attend)(LORAD_FORMAT_F32, heads, count, head_dim, scale, q, k, v, scores, out); break;
    case LORAD_FORMAT_BF16: KERNEL(attend)(LORAD_FORMAT_BF16, heads, count, head_dim, scale, q, k, v, scores, out); break;
    case LORAD_FORMAT_F16: KERNEL(attend)(LORAD_FORMAT_F16, heads, count, head_dim, scale, q, k, v, scores, out); break;
    default: break;
    }
}

#undef AINLINE
#undef AMIN
#undef PASS_HEADS
#undef TILE_HEADS
#undef TILE_POSITIONS
#undef TILE_VECTORS
#undef BLOCK_BYTES
#undef PREFETCH_BYTES
