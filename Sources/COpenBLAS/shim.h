// OpenBLAS through Debian's libopenblas-dev. `cblas-openblas.h` is the
// OpenBLAS flavour of cblas.h (it also declares openblas_set_num_threads),
// installed through update-alternatives for every OpenBLAS variant.
#pragma once
#include <cblas-openblas.h>
