// Scalar widening of one weight element, exact for every value (the same
// results as SafeTensors' FloatConversion): BF16 is the top half of an F32;
// F16 (IEEE binary16) has 5 exponent bits and 10 mantissa bits.
#ifndef LORAD_WIDEN_SCALAR_H
#define LORAD_WIDEN_SCALAR_H

#include <stdint.h>
#include <string.h>
#include "c_kernels.h"

static inline float lorad_bits_to_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline float lorad_f16_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, mantissa = h & 0x3FF;
    const int exponent = (h >> 10) & 0x1F;
    if (exponent == 0) {   // zero or subnormal: mantissa · 2⁻²⁴, exact in F32
        const float magnitude = (float)mantissa * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31) return lorad_bits_to_float(sign | 0x7F800000u | (mantissa << 13));
    return lorad_bits_to_float(sign | (uint32_t)(exponent - 15 + 127) << 23 | (mantissa << 13));
}

/// Element `p` (of `format`) as an F32.
static inline float lorad_widen_one(int format, const char *p) {
    uint16_t h;
    if (format == LORAD_FORMAT_F32) {
        float f;
        memcpy(&f, p, sizeof f);
        return f;
    }
    memcpy(&h, p, sizeof h);
    return format == LORAD_FORMAT_BF16 ? lorad_bits_to_float((uint32_t)h << 16) : lorad_f16_to_float(h);
}

#endif
