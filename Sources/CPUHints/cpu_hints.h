// A CPU hint Swift has no spelling for. A header-only static inline
// function: the Swift compiler imports it through clang and inlines it
// like its own code, so nothing is linked and no C target is built.
#ifndef LORAD_CPU_HINTS_H
#define LORAD_CPU_HINTS_H

/// Asks the core to start loading the cache line holding `p` into L1
/// (prefetcht0 on x86-64, prfm pldl1keep on arm64). A hint: never faults,
/// even past the end of a buffer.
static inline __attribute__((always_inline)) void lorad_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#endif
