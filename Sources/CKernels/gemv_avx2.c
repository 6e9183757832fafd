// The matrix-vector kernels for AVX2 + FMA + F16C (gemv_body.h).
#include "c_kernels.h"

#if defined(__x86_64__)
#include "isa_avx2.h"
#include "gemv_body.h"
#endif
