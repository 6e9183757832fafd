// Decode attention, written once for every vector width. Included by
// attention_avx2.c and attention_avx512.c after their ISA header
// (isa_avx2.h, isa_avx512.h): the same vocabulary as gemv_body.h plus
// VSET1, VADD, VSUB, VMUL, VMAX, VMIN, VHMAX (horizontal max), VSUM8
// (eight horizontal sums), VZERO_BELOW and the 32-bit integer lane
// operations VI_* / VAS_INT / VAS_FLOAT.
//
// What it computes is transformers' `eager_attention_forward` for one query
// row — softmax(q·kᵀ · scaling) · v — for every query head that shares one
// key/value head (`repeat_kv`'s grouping), over that head's positions.
//
// Design: the cache is (count, head_dim) per KV head, one contiguous stream
// for K and one for V. Both passes walk it a block of positions at a time
// (LORAD_ATTENTION_BLOCK_FLOATS floats: 64 positions of a 64-wide head); a
// 16-bit block is widened once into an F32 scratch in L1 (vcvtph2ps for F16,
// a shift into the top half for BF16), an F32 block is used in place, and
// every query head of the group then reads the block from L1 — the cache
// crosses the memory bus once per step however many heads share it.
//   scores: 8 positions a tile, one accumulator each, the query's vectors
//           streamed from L1 against the 8 key rows; VSUM8 reduces the 8
//           accumulators together.
//   softmax: max-subtracted, exp by the Cephes expf reduction (as
//           Kernels' VectorMath.exp), normalised by the F32 sum.
//   values: up to 8 vectors of output columns held in registers while the
//           block's positions go by: per position one broadcast weight and
//           one FMA per vector, 8 independent accumulation chains.

#include "widen_vector.h"

#define AINLINE static inline __attribute__((always_inline)) TARGET
#define AMIN(a, b) ((a) < (b) ? (a) : (b))
/// Output vectors the value pass keeps in registers at once.
#define VALUE_VECTORS 8

/// The block's rows as F32: the cache itself when it is F32, else the
/// `count` elements at src widened into `scratch`, asking for the line
/// `ahead` bytes on per 64 bytes widened. Widening is where a 16-bit pass
/// reads memory; the prefetches keep lines arriving while the heads then
/// compute on the block (two blocks ahead: 4–24 % faster than none over the
/// bench's 1024-position caches, 8 of 9 runs alternating in one process;
/// on this Zen 3 the hardware prefetcher alone leaves the bus idle while
/// the heads compute). Prefetching
/// past the end of the cache is harmless: prefetches never fault.
AINLINE const float *KERNEL(attention_rows)(const int format, const char *src, ptrdiff_t count, float *scratch,
                                            ptrdiff_t ahead) {
    if (format == LORAD_FORMAT_F32) return (const float *)src;
    const ptrdiff_t line = 32;   // 16-bit elements in 64 bytes: a multiple of LANES
    ptrdiff_t i = 0;
    for (; i + line <= count; i += line) {
        __builtin_prefetch(src + 2 * i + ahead, 0, 3);
        for (ptrdiff_t j = 0; j < line; j += LANES) VSTOREF(scratch + i + j, KERNEL(load_w)(format, src + 2 * (i + j)));
    }
    KERNEL(widen)(format, src + 2 * i, scratch + i, count - i);
    return scratch;
}

/// q · row over hd columns; the vector part in `acc` order, then the tail.
AINLINE float KERNEL(attention_dot)(const float *q, const float *row, ptrdiff_t hd) {
    const ptrdiff_t vend = hd & ~(ptrdiff_t)(LANES - 1);
    VF acc = VZERO();
    for (ptrdiff_t c = 0; c < vend; c += LANES) acc = VFMA(VLOADF(q + c), VLOADF(row + c), acc);
    float sum = VSUM(acc);
    for (ptrdiff_t c = vend; c < hd; c++) sum += q[c] * row[c];
    return sum;
}

/// s[t] = scale · q · k_t for t < n; k (n, hd) F32.
AINLINE void KERNEL(attention_scores)(const float *q, const float *k, ptrdiff_t n, ptrdiff_t hd, float scale,
                                      float *s) {
    const ptrdiff_t vend = hd & ~(ptrdiff_t)(LANES - 1);
    ptrdiff_t t = 0;
    for (; t + 8 <= n; t += 8) {
        const float *rows = k + t * hd;
        VF acc[8];
        for (int j = 0; j < 8; j++) acc[j] = VZERO();
        for (ptrdiff_t c = 0; c < vend; c += LANES) {
            const VF qv = VLOADF(q + c);
            for (int j = 0; j < 8; j++) acc[j] = VFMA(qv, VLOADF(rows + j * hd + c), acc[j]);
        }
        float sums[8];
        VSUM8(acc, sums);
        for (int j = 0; j < 8; j++) {
            float sum = sums[j];
            for (ptrdiff_t c = vend; c < hd; c++) sum += q[c] * rows[j * hd + c];
            s[t + j] = sum * scale;
        }
    }
    for (; t < n; t++) s[t] = KERNEL(attention_dot)(q, k + t * hd, hd) * scale;
}

/// e^x for x ≤ 0 (max-subtracted scores) or NaN: x = n·ln 2 + r, |r| ≤ ln2/2,
/// e^r by Cephes expf's degree-5 polynomial, 2^n built in the exponent
/// field (in two halves, as VectorMath.exp does); below ln(FLT_MIN) exactly
/// 0, NaN stays NaN.
AINLINE VF KERNEL(attention_exp)(const VF v) {
    const VF low = VSET1(-87.33654f), magic = VSET1(12582912.0f);   // ln(FLT_MIN); 1.5·2²³
    const VF x = VMIN(VSET1(0.0f), VMAX(low, v));   // VMAX(low, NaN) is NaN
    // n = round(x / ln 2): adding 1.5·2²³ leaves n in the low mantissa bits.
    const VF shifted = VADD(VMUL(x, VSET1(1.44269504088896341f)), magic);
    const VF n = VSUB(shifted, magic);
    const VI whole = VI_SUB(VAS_INT(shifted), VI_SET1(0x4B400000));
    // r = x - n·ln 2, ln 2 split into an exact head and a tail.
    VF r = VSUB(x, VMUL(n, VSET1(0.693359375f)));
    r = VADD(r, VMUL(n, VSET1(2.12194440e-4f)));
    const VF r2 = VMUL(r, r);
    VF p = VSET1(1.9875691500e-4f);
    p = VADD(VMUL(p, r), VSET1(1.3981999507e-3f));
    p = VADD(VMUL(p, r), VSET1(8.3334519073e-3f));
    p = VADD(VMUL(p, r), VSET1(4.1665795894e-2f));
    p = VADD(VMUL(p, r), VSET1(1.6666665459e-1f));
    p = VADD(VMUL(p, r), VSET1(5.0000001201e-1f));
    VF y = VADD(VADD(VMUL(p, r2), r), VSET1(1.0f));
    const VI half = VI_SRA(whole, 1), rest = VI_SUB(whole, half);
    y = VMUL(y, VAS_FLOAT(VI_SLL(VI_ADD(half, VI_SET1(127)), 23)));
    y = VMUL(y, VAS_FLOAT(VI_SLL(VI_ADD(rest, VI_SET1(127)), 23)));
    return VZERO_BELOW(y, v, low);
}

/// s ← softmax(s) over n values, max-subtracted as torch.softmax does. A
/// NaN is skipped by the max and makes the sum (so every weight) NaN. When
/// the max is not finite (+inf scores, or every score -inf) the weight is
/// spread evenly over the maxima, as Kernels' Softmax.inPlace does.
AINLINE void KERNEL(attention_softmax)(float *s, ptrdiff_t n) {
    const ptrdiff_t vend = n & ~(ptrdiff_t)(LANES - 1);
    float m = -__builtin_inff();
    if (vend > 0) {
        VF mv = VSET1(-__builtin_inff());
        for (ptrdiff_t i = 0; i < vend; i += LANES) mv = VMAX(VLOADF(s + i), mv);   // NaN lanes keep mv
        m = VHMAX(mv);
    }
    for (ptrdiff_t i = vend; i < n; i++) if (s[i] > m) m = s[i];
    if (!__builtin_isfinite(m)) {
        ptrdiff_t ties = 0;
        for (ptrdiff_t i = 0; i < n; i++) ties += s[i] == m;
        for (ptrdiff_t i = 0; i < n; i++) s[i] = (s[i] == m && ties > 0) ? 1.0f / (float)ties : 0.0f;
        return;
    }
    const VF mv = VSET1(m);
    VF sumv = VZERO();
    for (ptrdiff_t i = 0; i < vend; i += LANES) {
        const VF e = KERNEL(attention_exp)(VSUB(VLOADF(s + i), mv));
        VSTOREF(s + i, e);
        sumv = VADD(sumv, e);
    }
    float sum = VSUM(sumv);
    if (vend < n) {
        // The tail through one padded vector: -inf lanes exponentiate to 0.
        float tail[LANES];
        for (ptrdiff_t i = 0; i < LANES; i++) tail[i] = vend + i < n ? s[vend + i] - m : -__builtin_inff();
        VSTOREF(tail, KERNEL(attention_exp)(VLOADF(tail)));
        for (ptrdiff_t i = vend; i < n; i++) {
            s[i] = tail[i - vend];
            sum += s[i];
        }
    }
    const VF inv = VSET1(1.0f / sum);
    ptrdiff_t i = 0;
    for (; i < vend; i += LANES) VSTOREF(s + i, VMUL(VLOADF(s + i), inv));
    for (; i < n; i++) s[i] *= 1.0f / sum;
}

/// o[c0 + i] += Σ_t p[t] · v_t[c0 + i] for i < nv·LANES; nv a constant
/// per inlined copy so the accumulators live in registers.
AINLINE void KERNEL(attention_value_columns)(const int nv, const float *p, const float *v, ptrdiff_t n,
                                             ptrdiff_t hd, ptrdiff_t c0, float *o) {
    VF acc[VALUE_VECTORS];
    for (int i = 0; i < nv; i++) acc[i] = VLOADF(o + c0 + i * LANES);
    for (ptrdiff_t t = 0; t < n; t++) {
        const VF w = VSET1(p[t]);
        const float *row = v + t * hd + c0;
        for (int i = 0; i < nv; i++) acc[i] = VFMA(w, VLOADF(row + i * LANES), acc[i]);
    }
    for (int i = 0; i < nv; i++) VSTOREF(o + c0 + i * LANES, acc[i]);
}

/// o += Σ_t p[t] · v_t for t < n; v (n, hd) F32.
AINLINE void KERNEL(attention_values)(const float *p, const float *v, ptrdiff_t n, ptrdiff_t hd, float *o) {
    const ptrdiff_t vend = hd & ~(ptrdiff_t)(LANES - 1);
    ptrdiff_t c = 0;
    for (; c + VALUE_VECTORS * LANES <= vend; c += VALUE_VECTORS * LANES)
        KERNEL(attention_value_columns)(VALUE_VECTORS, p, v, n, hd, c, o);
    switch ((vend - c) / LANES) {
    case 1: KERNEL(attention_value_columns)(1, p, v, n, hd, c, o); break;
    case 2: KERNEL(attention_value_columns)(2, p, v, n, hd, c, o); break;
    case 3: KERNEL(attention_value_columns)(3, p, v, n, hd, c, o); break;
    case 4: KERNEL(attention_value_columns)(4, p, v, n, hd, c, o); break;
    case 5: KERNEL(attention_value_columns)(5, p, v, n, hd, c, o); break;
    case 6: KERNEL(attention_value_columns)(6, p, v, n, hd, c, o); break;
    case 7: KERNEL(attention_value_columns)(7, p, v, n, hd, c, o); break;
    default: break;
    }
    for (c = vend; c < hd; c++) {
        float sum = o[c];
        for (ptrdiff_t t = 0; t < n; t++) sum += p[t] * v[t * hd + c];
        o[c] = sum;
    }
}

AINLINE void KERNEL(attend)(const int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t hd, float scale,
                            const float *q, const char *keys, const char *values, float *scores, float *out) {
    float scratch[LORAD_ATTENTION_BLOCK_FLOATS];
    const ptrdiff_t es = KERNEL(element_size)(format), block = LORAD_ATTENTION_BLOCK_FLOATS / hd;
    const ptrdiff_t ahead = 2 * block * hd * es;
    for (ptrdiff_t t0 = 0; t0 < count; t0 += block) {
        const ptrdiff_t n = AMIN(block, count - t0);
        const float *k = KERNEL(attention_rows)(format, keys + t0 * hd * es, n * hd, scratch, ahead);
        for (ptrdiff_t h = 0; h < heads; h++)
            KERNEL(attention_scores)(q + h * hd, k, n, hd, scale, scores + h * count + t0);
    }
    for (ptrdiff_t h = 0; h < heads; h++) KERNEL(attention_softmax)(scores + h * count, count);
    for (ptrdiff_t i = 0; i < heads * hd; i++) out[i] = 0;
    for (ptrdiff_t t0 = 0; t0 < count; t0 += block) {
        const ptrdiff_t n = AMIN(block, count - t0);
        const float *v = KERNEL(attention_rows)(format, values + t0 * hd * es, n * hd, scratch, ahead);
        for (ptrdiff_t h = 0; h < heads; h++)
            KERNEL(attention_values)(scores + h * count + t0, v, n, hd, out + h * hd);
    }
}

TARGET void KERNEL(lorad_attention)(int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t head_dim, float scale,
                                    const float *q, const void *keys, const void *values, float *scores,
                                    float *out) {
    if (heads <= 0 || count <= 0 || head_dim <= 0 || head_dim > LORAD_ATTENTION_BLOCK_FLOATS) return;
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
#undef VALUE_VECTORS
