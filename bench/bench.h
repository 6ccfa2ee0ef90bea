/* bench.h: what the host benchmarks share: a clock, and a random number
 * generator cheap enough that a benchmark measures the allocator and not
 * rand(). */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The next number of the xorshift32 sequence in *STATE (never 0). */
static inline uint32_t
xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#endif
