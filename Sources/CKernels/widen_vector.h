// Loading weight or cache elements of any format as F32 vectors, written
// once for every vector width (the ISA header defines VF, LANES, VLOADF,
// VLOAD_BF16, VLOAD_F16, VSTOREF, KERNEL and TARGET first). Included by the
// kernel bodies (gemv_body.h, attention_body.h), each in its own file per
// instruction set.
#ifndef LORAD_WIDEN_VECTOR_H
#define LORAD_WIDEN_VECTOR_H

#include "widen_scalar.h"

#define WINLINE static inline __attribute__((always_inline)) TARGET

WINLINE ptrdiff_t KERNEL(element_size)(const int format) { return format == LORAD_FORMAT_F32 ? 4 : 2; }

/// LANES elements at p, widened exactly to F32.
WINLINE VF KERNEL(load_w)(const int format, const char *p) {
    if (format == LORAD_FORMAT_F32) return VLOADF((const float *)p);
    if (format == LORAD_FORMAT_BF16) return VLOAD_BF16(p);
    return VLOAD_F16(p);
}

/// 2·LANES BF16 elements at p as two F32 vectors from one load of 32-bit
/// lanes: the even-indexed elements (each lane's low half, shifted up:
/// one vpslld) and the odd-indexed ones (each lane's high half, already
/// F32 once the low half is masked off: one vpand). The matching x is
/// permuted once per call (gemv_rows_body.h's permute_pairs).
WINLINE VF KERNEL(load_pair_even)(const char *p) { return VAS_FLOAT(VI_SLL(VLOADI(p), 16)); }
WINLINE VF KERNEL(load_pair_odd)(const char *p) { return VLOAD_HIGH_HALVES(p); }

/// dst[i] = src[i] widened to F32 (exact) for i < count.
WINLINE void KERNEL(widen)(const int format, const char *src, float *dst, ptrdiff_t count) {
    const ptrdiff_t es = KERNEL(element_size)(format);
    ptrdiff_t i = 0;
    for (; i + LANES <= count; i += LANES) VSTOREF(dst + i, KERNEL(load_w)(format, src + i * es));
    for (; i < count; i++) dst[i] = lorad_widen_one(format, src + i * es);
}

#undef WINLINE
#endif
