// lorad_thread_scratch (thread_scratch.h).
#include "thread_scratch.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_made;

/// The key's destructor frees a thread's buffer when the thread exits
/// (pthread_key_create(3)); the thread-local pointer below is only the fast
/// way to find it.
static void make_scratch_key(void) { scratch_key_made = pthread_key_create(&scratch_key, free) == 0; }

float *lorad_thread_scratch(size_t floats) {
    static _Thread_local float *buffer;
    static _Thread_local size_t capacity;
    if (floats <= capacity) return buffer;
    pthread_once(&scratch_once, make_scratch_key);
    if (!scratch_key_made || floats > SIZE_MAX / sizeof(float)) return NULL;
    void *grown = NULL;
    if (posix_memalign(&grown, 64, floats * sizeof(float)) != 0) return NULL;
    // Registered before the old buffer goes, so a failure leaves the thread
    // with its old buffer and nothing leaked.
    if (pthread_setspecific(scratch_key, grown) != 0) {
        free(grown);
        return NULL;
    }
    free(buffer);
    buffer = grown;
    capacity = floats;
    return buffer;
}
