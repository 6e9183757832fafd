// The decode-attention kernel for AVX2 + FMA + F16C (attention_body.h).
#include "c_kernels.h"

#if defined(__x86_64__)
#include "isa_avx2.h"
#include "attention_body.h"
#endif
