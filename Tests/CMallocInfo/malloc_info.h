// glibc's mallinfo2 (malloc.h, which the Glibc module does not bring in),
// for the tests' leak checks (TestSupport's ProcessMemory.heapInUseBytes).
#include <malloc.h>
