// lorad_gemv_avx512, lorad_widen_avx512 and lorad_attention_avx512 (compiled
// against intrinsics.h) against a Double reference: every format, 1–32 input
// rows, odd sizes, unaligned W and x, outputs split in two ranges as the
// thread pool does, and the same bits from lorad_gemv_shared_avx512's
// lanes; attention for head sizes with and without tails, 1–8 query heads
// a KV head, lengths across the score tiles and blocks.
#include "c_kernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 1;
static float uniform(void) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((state >> 40) / (double)(1 << 24) * 2 - 1);
}
static uint16_t to_bf16(float f) {   // round to nearest even
    uint32_t b;
    memcpy(&b, &f, 4);
    return (uint16_t)((b + 0x7FFF + ((b >> 16) & 1)) >> 16);
}
static uint16_t to_f16(float f) { return _cvtss_sh(f, 0); }
static float widen(int format, const char *p) {
    uint16_t h;
    uint32_t b;
    float f;
    if (format == LORAD_FORMAT_F32) { memcpy(&f, p, 4); return f; }
    memcpy(&h, p, 2);
    if (format == LORAD_FORMAT_F16) return _cvtsh_ss(h);
    b = (uint32_t)h << 16;
    memcpy(&f, &b, 4);
    return f;
}

static void fill(int format, char *p, int count, float scale) {
    for (int i = 0; i < count; i++) {
        const float v = scale * uniform();
        if (format == LORAD_FORMAT_F32) memcpy(p + 4 * i, &v, 4);
        else { const uint16_t h = format == LORAD_FORMAT_BF16 ? to_bf16(v) : to_f16(v); memcpy(p + 2 * i, &h, 2); }
    }
}

/// Decode attention of every format against softmax(q·Kᵀ·scale)·V in Double.
static void check_attention(long *cases, long *bad) {
    const int hds[] = {1, 6, 13, 48, 64, 72, 128, 130}, counts[] = {1, 8, 9, 31, 63, 64, 65, 257, 333};
    for (int format = 0; format < 3; format++)
    for (int a = 0; a < 8; a++)
    for (int b = 0; b < 9; b++)
    for (int heads = 1; heads <= 8; heads++) {
        const int hd = hds[a], count = counts[b], es = format == LORAD_FORMAT_F32 ? 4 : 2;
        if (heads != 3 && (a + b + heads) % 4) continue;
        char *kb = malloc((size_t)count * hd * es + 4), *vb = malloc((size_t)count * hd * es + 4);
        char *k = kb + es, *v = vb + es;   // unaligned
        float *q = malloc((size_t)heads * hd * 4), *s = malloc((size_t)heads * count * 4), *o = malloc((size_t)heads * hd * 4);
        double *w = malloc((size_t)count * 8);
        fill(format, k, count * hd, 2);
        fill(format, v, count * hd, 1);
        for (int i = 0; i < heads * hd; i++) q[i] = 2 * uniform();
        for (int i = 0; i < heads * hd; i++) o[i] = NAN;
        const float scale = 1 / sqrtf((float)hd);
        lorad_attention_avx512(format, heads, count, hd, scale, q, k, v, s, o);
        for (int h = 0; h < heads; h++) {
            double m = -INFINITY, z = 0;
            for (int t = 0; t < count; t++) {
                double d = 0;
                for (int c = 0; c < hd; c++) d += (double)q[h * hd + c] * widen(format, k + ((size_t)t * hd + c) * es);
                w[t] = d * scale;
                if (w[t] > m) m = w[t];
            }
            for (int t = 0; t < count; t++) { w[t] = exp(w[t] - m); z += w[t]; }
            for (int c = 0; c < hd; c++) {
                double e = 0;
                for (int t = 0; t < count; t++) e += w[t] / z * widen(format, v + ((size_t)t * hd + c) * es);
                (*cases)++;
                if (!(fabs(o[h * hd + c] - e) < 2e-6)) {
                    if ((*bad)++ < 10) printf("attention format %d hd %d count %d heads %d: out[%d][%d] = %g, expected %g\n",
                                              format, hd, count, heads, h, c, o[h * hd + c], e);
                }
            }
        }
        free(kb); free(vb); free(q); free(s); free(o); free(w);
    }
}

int main(void) {
    const int ns[] = {1, 7, 15, 16, 17, 33, 77, 300, 577}, outs[] = {1, 2, 3, 5, 8, 13, 257};
    long cases = 0, bad = 0;
    for (int format = 0; format < 3; format++)
    for (int rows = 1; rows <= 32; rows++)
    for (int a = 0; a < 9; a++)
    for (int b = 0; b < 7; b++) {
        const int n = ns[a], out = outs[b], es = format == LORAD_FORMAT_F32 ? 4 : 2;
        if (rows > 5 && rows % 4 != 1 && rows != 32 && (a + b) % 3) continue;
        char *wb = malloc((size_t)out * n * es + 64), *w = wb + es;
        float *xb = malloc(((size_t)rows * n + 1) * 4), *x = xb + 1;
        float *y = malloc((size_t)rows * out * 4);
        fill(format, w, out * n, 1);
        for (int i = 0; i < rows * n; i++) x[i] = 3 * uniform();
        for (int i = 0; i < rows * out; i++) y[i] = NAN;
        lorad_gemv_avx512(format, rows, 0, out / 2, n, w, x, y, out);
        lorad_gemv_avx512(format, rows, out / 2, out, n, w, x, y, out);
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < out; o++) {
            double s = 0, m = 0;
            for (int i = 0; i < n; i++) {
                const double p = (double)widen(format, w + ((size_t)o * n + i) * es) * x[r * n + i];
                s += p; m += fabs(p);
            }
            const double error = fabs(y[r * out + o] - s);
            cases++;
            if (!(error <= 8 * 1.2e-7 * m * sqrt(n) + 1e-30)) {
                if (bad++ < 10) printf("gemv format %d rows %d out %d n %d: y[%d][%d] = %g, expected %g\n",
                                       format, rows, out, n, r, o, y[r * out + o], s);
            }
        }
        if (rows >= 3) {   // the shared path, three lanes one after another: the same bits
            float *y2 = malloc((size_t)rows * out * 4);
            const ptrdiff_t order[3] = {2, 0, 1};
            ptrdiff_t taken[3] = {0, 0, 0};
            for (int i = 0; i < rows * out; i++) y2[i] = NAN;
            for (int k = 0; k < 3; k++) lorad_gemv_shared_avx512(format, rows, out, n, w, x, y2, out, 3, 3, order[k], taken);
            cases++;
            if (memcmp(y, y2, (size_t)rows * out * 4) != 0) {
                if (bad++ < 10) printf("gemv_shared format %d rows %d out %d n %d differs from lorad_gemv\n", format, rows, out, n);
            }
            free(y2);
        }
        free(wb); free(xb); free(y);
    }
    for (int format = 1; format < 3; format++) {   // every bit pattern, a misaligned tail
        static uint16_t src[65536 + 3];
        static float dst[65536 + 3];
        for (int i = 0; i < 65539; i++) src[i] = (uint16_t)i;
        lorad_widen_avx512(format, src, dst, 65539);
        for (int i = 0; i < 65539; i++) {
            const float e = widen(format, (const char *)&src[i]);
            cases++;
            if (isnan(e) ? !isnan(dst[i]) : memcmp(&e, &dst[i], 4) != 0) {
                if (bad++ < 10) printf("widen format %d: pattern %04x gave %g, expected %g\n", format, i, dst[i], e);
            }
        }
    }
    check_attention(&cases, &bad);
    printf("%ld passed, %ld failed\n", cases - bad, bad);
    return bad != 0;
}
