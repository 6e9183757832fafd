// The decode-attention kernel for AVX-512 (attention_body.h).
#include "c_kernels.h"

#if defined(__x86_64__)
#include "isa_avx512.h"
#include "attention_body.h"
#endif
