// Per-thread scratch memory for the kernels, grown on demand and freed when
// the thread exits.
#ifndef LORAD_THREAD_SCRATCH_H
#define LORAD_THREAD_SCRATCH_H

#include <stddef.h>

/// At least `floats` floats, 64-byte aligned, owned by the calling thread
/// and valid until its next call; NULL when memory cannot be had (the
/// caller then takes a path without scratch).
float *lorad_thread_scratch(size_t floats);

#endif
