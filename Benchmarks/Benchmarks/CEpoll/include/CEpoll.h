// Linux epoll for the fan-out benchmark's reader threads (Swift's Glibc module does not
// export <sys/epoll.h>). Empty elsewhere: those benchmarks are Linux-only.
#ifndef COURIER_BENCHMARKS_CEPOLL_H
#define COURIER_BENCHMARKS_CEPOLL_H

#if defined(__linux__)
#include <stdint.h>
#include <sys/epoll.h>

static inline uint32_t cepoll_in(void) { return EPOLLIN; }
#endif

#endif
