// The matrix-vector kernels for AVX-512 (gemv_body.h).
#include "c_kernels.h"

#if defined(__x86_64__)
#include "isa_avx512.h"
#include "gemv_body.h"
#endif
