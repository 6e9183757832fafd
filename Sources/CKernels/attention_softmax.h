// The softmax pieces of decode attention, written once for every vector
// width: e^x of max-subtracted scores, a block's max, e^(s - m) with its
// sum, and the whole softmax the two-pass path uses. Included by
// attention_body.h (the ISA header defines VF, VI, LANES, VSET1, VADD,
// VSUB, VMUL, VMAX, VMIN, VFMA, VHMAX, VSUM, VZERO_BELOW, VLOADF, VSTOREF,
// the VI_* lane operations, VAS_INT, VAS_FLOAT, KERNEL and TARGET first).
#ifndef LORAD_ATTENTION_SOFTMAX_H
#define LORAD_ATTENTION_SOFTMAX_H

#define SINLINE static inline __attribute__((always_inline)) TARGET

/// e^x for x ≤ 0 (max-subtracted scores) or NaN: x = n·ln 2 + r, |r| ≤ ln2/2,
/// e^r by Cephes expf's degree-5 polynomial, 2^n built in the exponent
/// field; below ln(FLT_MIN) exactly 0, NaN stays NaN. VectorMath.exp scales
/// in two halves because its n reaches 128 at the top clamp; here x is
/// clamped to [ln(FLT_MIN), 0], so n is in [-126, 0] and 2^n is one normal
/// float: one multiply rounds y·2^n exactly as the two halves would (each
/// half is a power of two; only the last step can leave the normal range).
/// 4–7 % less time for the whole kernel over a 16-bit cache (one thread, 3
/// heads × 64 dimensions, 256 positions in L2; Zen 3).
///
/// The reduction and Horner steps are fused multiply-adds (VectorMath.exp
/// rounds each product and sum apart): half the dependent steps of a
/// latency-bound chain per block of scores. Every float in [ln(FLT_MIN), 0]
/// within 0.98 ulp of exp in double, as with the unfused steps. The whole
/// kernel over F16 caches, 3 heads × 64 dimensions, one thread (Zen 3):
/// 4–5 % less time at 256 positions in L2, 1–5 % over 720 caches of 1024
/// positions from memory.
SINLINE VF KERNEL(attention_exp)(const VF v) {
    const VF low = VSET1(-87.33654f), magic = VSET1(12582912.0f);   // ln(FLT_MIN); 1.5·2²³
    const VF x = VMIN(VSET1(0.0f), VMAX(low, v));   // VMAX(low, NaN) is NaN
    // n = round(x / ln 2): adding 1.5·2²³ leaves n in the low mantissa bits.
    const VF shifted = VADD(VMUL(x, VSET1(1.44269504088896341f)), magic);
    const VF n = VSUB(shifted, magic);
    const VI whole = VI_SUB(VAS_INT(shifted), VI_SET1(0x4B400000));
    // r = x - n·ln 2, ln 2 split into an exact head and a tail.
    VF r = VFMA(n, VSET1(-0.693359375f), x);
    r = VFMA(n, VSET1(2.12194440e-4f), r);
    const VF r2 = VMUL(r, r);
    VF p = VSET1(1.9875691500e-4f);
    p = VFMA(p, r, VSET1(1.3981999507e-3f));
    p = VFMA(p, r, VSET1(8.3334519073e-3f));
    p = VFMA(p, r, VSET1(4.1665795894e-2f));
    p = VFMA(p, r, VSET1(1.6666665459e-1f));
    p = VFMA(p, r, VSET1(5.0000001201e-1f));
    VF y = VADD(VFMA(p, r2, r), VSET1(1.0f));
    y = VMUL(y, VAS_FLOAT(VI_SLL(VI_ADD(whole, VI_SET1(127)), 23)));
    return VZERO_BELOW(y, v, low);
}

/// max of s[0..<n], NaN skipped (vmaxps keeps the running max); -inf when
/// nothing is above it.
SINLINE float KERNEL(attention_max)(const float *s, ptrdiff_t n) {
    const ptrdiff_t vend = n & ~(ptrdiff_t)(LANES - 1);
    float m = -__builtin_inff();
    if (vend > 0) {
        VF mv = VSET1(-__builtin_inff());
        for (ptrdiff_t i = 0; i < vend; i += LANES) mv = VMAX(VLOADF(s + i), mv);   // NaN lanes keep mv
        m = VHMAX(mv);
    }
    for (ptrdiff_t i = vend; i < n; i++) if (s[i] > m) m = s[i];
    return m;
}

/// s[i] ← e^(s[i] - m) for i < n (m finite, ≥ every s[i]); returns their sum.
SINLINE float KERNEL(attention_exp_sum)(float *s, ptrdiff_t n, float m) {
    const ptrdiff_t vend = n & ~(ptrdiff_t)(LANES - 1);
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
    return sum;
}

/// e^x of one value (x ≤ 0, -inf or NaN) by the vector exp.
SINLINE float KERNEL(attention_exp1)(float x) {
    float lanes[LANES];
    VSTOREF(lanes, KERNEL(attention_exp)(VSET1(x)));
    return lanes[0];
}

/// s ← softmax(s) over n values, max-subtracted as torch.softmax does. A
/// NaN is skipped by the max and makes the sum (so every weight) NaN. When
/// the max is not finite (+inf scores, or every score -inf) the weight is
/// spread evenly over the maxima, as Kernels' Softmax.inPlace does.
SINLINE void KERNEL(attention_softmax)(float *s, ptrdiff_t n) {
    const float m = KERNEL(attention_max)(s, n);
    if (!__builtin_isfinite(m)) {
        ptrdiff_t ties = 0;
        for (ptrdiff_t i = 0; i < n; i++) ties += s[i] == m;
        for (ptrdiff_t i = 0; i < n; i++) s[i] = (s[i] == m && ties > 0) ? 1.0f / (float)ties : 0.0f;
        return;
    }
    const float inv = 1.0f / KERNEL(attention_exp_sum)(s, n, m);
    const ptrdiff_t vend = n & ~(ptrdiff_t)(LANES - 1);
    ptrdiff_t i = 0;
    for (; i < vend; i += LANES) VSTOREF(s + i, VMUL(VLOADF(s + i), VSET1(inv)));
    for (; i < n; i++) s[i] *= inv;
}

#undef SINLINE
#endif
