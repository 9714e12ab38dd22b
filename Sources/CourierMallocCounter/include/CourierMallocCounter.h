#ifndef COURIER_MALLOC_COUNTER_H
#define COURIER_MALLOC_COUNTER_H

#include <stdint.h>

/// Allocation calls counted since this library was loaded: malloc, calloc, realloc
/// (except realloc(p, 0), which frees), reallocarray, posix_memalign, aligned_alloc,
/// memalign, valloc and pvalloc. free is not counted.
///
/// The library is meant to be preloaded (LD_PRELOAD) into `courier serve` by
/// `courier bench`; nothing links it. When the environment variable
/// COURIER_MALLOC_COUNT_FILE names a file, the library writes the count there in
/// decimal with a newline when it loads and on every SIGUSR2 (to a temporary file
/// beside it, then renamed, so a reader never sees a partial number).
uint64_t courier_malloc_count(void);

#endif
