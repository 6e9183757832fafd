// x86-64 SIMD kernels written with C intrinsics, so each instruction set gets
// its own function (per-function target attributes) inside one binary and the
// one the CPU supports is chosen at start-up (Kernels' KernelPath). Only the
// Kernels target imports this module; on other architectures it is empty.
#ifndef LORAD_C_KERNELS_H
#define LORAD_C_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Weight element formats (the raw values of Kernels' WeightFormat).
enum {
    LORAD_FORMAT_F32 = 0,
    LORAD_FORMAT_BF16 = 1,
    LORAD_FORMAT_F16 = 2,
};

/// CPU features the kernels dispatch on, as bits of lorad_cpu_features().
enum {
    /// AVX2, FMA and F16C, with the OS saving YMM state.
    LORAD_CPU_AVX2 = 1 << 0,
    /// AVX-512 F, BW and VL, with the OS saving ZMM and opmask state.
    LORAD_CPU_AVX512 = 1 << 1,
    /// AVX512_BF16 (vdpbf16ps). Detected and reported only: its dot products
    /// round the activations to BF16 (see KernelPath).
    LORAD_CPU_AVX512_BF16 = 1 << 2,
};

#if defined(__x86_64__)

/// The features above that this CPU and OS support (cpuid + xgetbv).
unsigned lorad_cpu_features(void);

/// y[r·ldy + o] = Σ_i W[o][i] · x[r·n + i] for r < rows and o in
/// [out_lo, out_hi): W (out, n) row-major in `format`, widened to F32 in
/// registers; x (rows, n) F32; F32 accumulation. rows ≤ 32.
void lorad_gemv_avx2(int format, ptrdiff_t rows, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n,
                     const void *w, const float *x, float *y, ptrdiff_t ldy);
void lorad_gemv_avx512(int format, ptrdiff_t rows, ptrdiff_t out_lo, ptrdiff_t out_hi, ptrdiff_t n,
                       const void *w, const float *x, float *y, ptrdiff_t ldy);

/// lorad_gemv for 3–32 rows over all of W's `out` rows, the work shared by
/// the `lanes` threads of one job, each calling this with its own `lane`
/// (0 ..< lanes): output rows go in chunks of `chunk` (a positive multiple
/// of 3), lane l owning chunks [l·C / lanes, (l + 1)·C / lanes) of the C;
/// each lane takes its own chunks first, then whatever other lanes have not
/// reached. taken: `lanes` counters of the claims on each lane's chunks,
/// zero before the job, advanced atomically. Does nothing when an argument
/// is out of range.
void lorad_gemv_shared_avx2(int format, ptrdiff_t rows, ptrdiff_t out, ptrdiff_t n, const void *w, const float *x,
                            float *y, ptrdiff_t ldy, ptrdiff_t chunk, ptrdiff_t lanes, ptrdiff_t lane, ptrdiff_t *taken);
void lorad_gemv_shared_avx512(int format, ptrdiff_t rows, ptrdiff_t out, ptrdiff_t n, const void *w, const float *x,
                              float *y, ptrdiff_t ldy, ptrdiff_t chunk, ptrdiff_t lanes, ptrdiff_t lane,
                              ptrdiff_t *taken);

/// dst[i] = src[i] widened to F32 (exact), for i < count.
void lorad_widen_avx2(int format, const void *src, float *dst, ptrdiff_t count);
void lorad_widen_avx512(int format, const void *src, float *dst, ptrdiff_t count);

/// Decode attention of the `heads` query heads that share one key/value
/// head, over that head's cache positions 0..<count:
///   out[h·head_dim + d] = Σ_t softmax_t(scale · q_h · k_t) · v_t[d]
/// q (heads, head_dim) F32; keys, values (count, head_dim) row-major in
/// `format`, widened exactly to F32 in registers; F32 accumulation, the
/// softmax kept online over blocks of positions so K and V are read
/// together, once for all the heads; scores: heads × count floats of
/// scratch (left holding nothing meaningful); out (heads, head_dim). Does
/// nothing when a size is not positive.
void lorad_attention_avx2(int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t head_dim, float scale,
                          const float *q, const void *keys, const void *values, float *scores, float *out);
void lorad_attention_avx512(int format, ptrdiff_t heads, ptrdiff_t count, ptrdiff_t head_dim, float scale,
                            const float *q, const void *keys, const void *values, float *scores, float *out);

#endif
#endif
