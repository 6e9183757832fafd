// Where the calling thread's stack ends. Header-only static inline (like
// CPUHints): nothing is linked and no C target is built. Swift's Glibc
// module does not export the GNU extension pthread_getattr_np, hence C.
#ifndef LORAD_THREAD_STACK_H
#define LORAD_THREAD_STACK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>

/// The lowest address of the calling thread's stack (stacks grow down on
/// every platform lorad runs on), or 0 if it cannot be determined. Costly
/// for the main thread (glibc reads /proc/self/maps): callers cache it.
static inline uintptr_t lorad_thread_stack_low(void) {
#if defined(__APPLE__)
    pthread_t self = pthread_self();
    return (uintptr_t)pthread_get_stackaddr_np(self) - (uintptr_t)pthread_get_stacksize_np(self);
#else
    pthread_attr_t attributes;
    void *address = 0;
    size_t size = 0;
    uintptr_t low = 0;
    if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
        if (pthread_attr_getstack(&attributes, &address, &size) == 0) low = (uintptr_t)address;
        pthread_attr_destroy(&attributes);
    }
    return low;
#endif
}

#endif
