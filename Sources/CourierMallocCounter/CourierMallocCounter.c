// A malloc counter for `courier bench`, preloaded into the server it measures
// (LD_PRELOAD; Linux with glibc). Every allocation call goes on to glibc's own
// entry points (__libc_malloc and friends), so there is no dlsym(RTLD_NEXT) and no
// allocation during its resolution; each call adds one to a relaxed atomic counter.
// See include/CourierMallocCounter.h for what is counted and how the count is read.

#define _GNU_SOURCE
#include "CourierMallocCounter.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__) && defined(__GLIBC__)

// glibc's allocator under its own names (exported since glibc 2.0).
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static _Atomic uint64_t allocations = 0;

static inline void counted(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

uint64_t courier_malloc_count(void) {
    return atomic_load_explicit(&allocations, memory_order_relaxed);
}

void *malloc(size_t size) {
    counted();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    counted();
    return __libc_calloc(count, size);
}

// realloc(p, 0) frees p (glibc), and free is not counted.
static inline void *countedRealloc(void *pointer, size_t size) {
    if (pointer == NULL || size != 0) counted();
    return __libc_realloc(pointer, size);
}

void *realloc(void *pointer, size_t size) {
    return countedRealloc(pointer, size);
}

void *reallocarray(void *pointer, size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return countedRealloc(pointer, bytes);
}

void *memalign(size_t alignment, size_t size) {
    counted();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    counted();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
    counted();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *valloc(size_t size) {
    counted();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    counted();
    return __libc_pvalloc(size);
}

// MARK: - The count file

enum { PATH_CAPACITY = 4096 };
static char countPath[PATH_CAPACITY];
static char temporaryPath[PATH_CAPACITY];

/// Writes the count to the temporary file and renames it over the count file: only
/// async-signal-safe calls (open, write, close, rename), digits formatted by hand.
static void writeCount(void) {
    char text[24];
    size_t end = sizeof(text);
    text[--end] = '\n';
    uint64_t value = courier_malloc_count();
    do {
        text[--end] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    int fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    const char *next = text + end;
    size_t left = sizeof(text) - end;
    while (left > 0) {
        ssize_t written = write(fd, next, left);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) break;
        next += written;
        left -= (size_t)written;
    }
    close(fd);
    if (left == 0) rename(temporaryPath, countPath);
}

static void onSIGUSR2(int number) {
    (void)number;
    int savedErrno = errno;
    writeCount();
    errno = savedErrno;
}

__attribute__((constructor)) static void installCountFile(void) {
    const char *path = getenv("COURIER_MALLOC_COUNT_FILE");
    if (path == NULL || path[0] == '\0') return;
    size_t length = strlen(path);
    if (length + sizeof(".tmp") > PATH_CAPACITY) return;
    memcpy(countPath, path, length + 1);
    memcpy(temporaryPath, path, length);
    memcpy(temporaryPath + length, ".tmp", sizeof(".tmp"));
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = onSIGUSR2;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR2, &action, NULL) != 0) return;
    // A process can start with SIGUSR2 blocked (a spawning thread's mask is inherited:
    // seen with Foundation's Process from the test runner); the threads the process
    // creates inherit this one's mask.
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &usr2, NULL);
    // The file's existence says the handler is installed.
    writeCount();
}

#else

// Elsewhere the library counts nothing (and replaces nothing).
uint64_t courier_malloc_count(void) { return 0; }

#endif
