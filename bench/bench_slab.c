/* bench_slab.c: stage 4's kmalloc/kfree against glibc's malloc/free, and
 * against chapter 1's first fit, measured in the same run.  Prints
 * nanoseconds per pair and ratios; asserts nothing.
 *
 * The workload: LIVE blocks of SIZE bytes are allocated; then each step
 * frees a random one of them and allocates a replacement (and writes its
 * first byte), so that LIVE blocks stay live.  glibc runs with its system
 * calls turned off (GLIBC_TUNABLES, set by re-executing this program), so
 * that both sides only manage memory they already have.
 *
 * Lines starting with "fact " are collected by bench/slab-measure.py into
 * book/measured/slab.json. */
#include <gnu/libc-version.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>
#include "slab.h"
#include "slab_host.h"

#ifdef HEAP_DEBUG
#define BUILD "debug"
#else
#define BUILD "release"
#endif

#define TUNABLES "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432:" \
                 "glibc.malloc.top_pad=268435456"

static uint32_t rng;

static void **kblocks, **gblocks, **fblocks;

/* host_memory_init, without the kernel's greeting on stdout. */
static void
quiet_init(void)
{
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    host_memory_init();
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(null);
}

/* One timed round of STEPS pairs over LIVE blocks in B: free a random
 * block, allocate its replacement, write its first byte.  Direct calls, the
 * same code for each allocator. */
#define ROUND(NAME, ALLOC, FREE)                                        \
    static double                                                       \
    NAME(void **b, size_t size, uint32_t live, uint32_t steps)          \
    {                                                                   \
        double t = now();                                               \
        for (uint32_t s = 0; s < steps; s++) {                          \
            uint32_t i = (uint32_t)(((uint64_t)xorshift32(&rng) * live) >> 32);   \
            FREE(b[i]);                                                 \
            b[i] = ALLOC(size);                                         \
            *(volatile char *)b[i] = 1;                                 \
        }                                                               \
        return (now() - t) * 1e9 / steps;                               \
    }
#define K_ALLOC(n) kmalloc_at((n), NULL, 0)
#define K_FREE(p)  kfree_at((p), NULL, 0)
#define F_ALLOC(n) heap_alloc_at((n), NULL, 0)
#define F_FREE(p)  heap_free_at((p), NULL, 0)
ROUND(round_kmalloc, K_ALLOC, K_FREE)
ROUND(round_glibc, malloc, free)
ROUND(round_first_fit, F_ALLOC, F_FREE)

/* ns per pair of kmalloc and of glibc (in *GLIBC) with LIVE blocks of SIZE
 * bytes: rounds alternate between the two, and each keeps its fastest
 * round, so that a disturbance of the machine hits both alike. */
static double
pair_ns(size_t size, uint32_t live, double *glibc)
{
    quiet_init();
    for (uint32_t i = 0; i < live; i++) {
        kblocks[i] = kmalloc_at(size, NULL, 0);
        gblocks[i] = malloc(size);
        if (!kblocks[i] || !gblocks[i]) {
            fprintf(stderr, "out of memory at %u live blocks\n", i);
            exit(1);
        }
    }
    double k = 1e9, g = 1e9;
    rng = 0x9E3779B9u;
    for (int r = 0; r < 15; r++) {
        double t = round_kmalloc(kblocks, size, live, 200000);
        k = t < k ? t : k;
        t = round_glibc(gblocks, size, live, 200000);
        g = t < g ? t : g;
    }
    for (uint32_t i = 0; i < live; i++) {
        kfree_at(kblocks[i], NULL, 0);
        free(gblocks[i]);
    }
    *glibc = g;
    return k;
}

/* ns per pair of chapter 1's first fit (the heap alone); its cost grows
 * with the blocks it walks, so it runs fewer steps. */
static double
first_fit_ns(size_t size, uint32_t live)
{
    quiet_init();
    for (uint32_t i = 0; i < live; i++)
        fblocks[i] = heap_alloc_at(size, NULL, 0);
    double best = 1e9;
    rng = 0x9E3779B9u;
    for (int r = 0; r < 3; r++) {
        double t = round_first_fit(fblocks, size, live, live >= 100000 ? 200 : 2000000 / live);
        best = t < best ? t : best;
    }
    for (uint32_t i = 0; i < live; i++)
        heap_free_at(fblocks[i], NULL, 0);
    return best;
}

/* Average internal fragmentation of a set of classes over requests of 1 to
 * 2048 bytes, each size equally likely: (class - size) / class. */
static double
class_waste(const unsigned *classes, int n)
{
    double sum = 0;
    for (unsigned size = 1; size <= 2048; size++) {
        int k = 0;
        while (k < n - 1 && classes[k] < size)
            k++;
        sum += (double)(classes[k] - size) / classes[k];
    }
    return sum / 2048;
}

int
main(int argc, char **argv)
{
    if (!getenv("GLIBC_TUNABLES")) {
        setenv("GLIBC_TUNABLES", TUNABLES, 1);
        execv("/proc/self/exe", argv);
        perror("execv");
        return 1;
    }
    static const size_t sizes[] = { 16, 64, 256, 512 };
    static const uint32_t lives[] = { 10, 1000, 100000 };
    kblocks = malloc(sizeof(void *) * 100000);
    gblocks = malloc(sizeof(void *) * 100000);
    fblocks = malloc(sizeof(void *) * 100000);
    printf("stage 4 kmalloc (%s build) against glibc %s (GLIBC_TUNABLES=%s)\n", BUILD,
           gnu_get_libc_version(), getenv("GLIBC_TUNABLES"));
    printf("pair = free a random one of LIVE blocks and allocate its replacement; ns per pair,\n"
           "the fastest of 15 rounds of 200,000 pairs, kmalloc and glibc alternating\n");
    printf("%6s %7s %10s %10s %8s %12s\n", "size", "live", "kmalloc", "glibc", "ratio", "first fit");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t l = 0; l < sizeof(lives) / sizeof(lives[0]); l++) {
            uint32_t live = lives[l];
            double g, k = pair_ns(sizes[s], live, &g);
            /* first fit at 100,000 live: not measured; setting up alone walks
             * 5 billion blocks (each allocation walks all the ones before it) */
            double f = live < 100000 ? first_fit_ns(sizes[s], live) : 0;
            printf("%6zu %7u %10.1f %10.1f %8.2f ", sizes[s], live, k, g, g / k);
            if (f)
                printf("%12.0f\n", f);
            else
                printf("%12s\n", "-");
            printf("fact %s_%zu_%u_ns %.1f\n", BUILD, sizes[s], live, k);
            printf("fact glibc_%s_%zu_%u_ns %.1f\n", BUILD, sizes[s], live, g);
            printf("fact %s_%zu_%u_speedup %.2f\n", BUILD, sizes[s], live, g / k);
            if (f)
                printf("fact firstfit_%zu_%u_ns %.0f\n", sizes[s], live, f);
        }
    }
    printf("(ratio = glibc ns / kmalloc ns: above 1, kmalloc is faster)\n");
    static const unsigned steps[] = { 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048 };
    static const unsigned pow2[] = { 8, 16, 32, 64, 128, 256, 512, 1024, 2048 };
    double ws = class_waste(steps, 15), wp = class_waste(pow2, 9);
    printf("internal fragmentation over sizes 1-2048: %.1f%% with the 15 classes, %.1f%% with powers of two\n",
           100 * ws, 100 * wp);
    printf("fact waste_steps %.1f%%\n", 100 * ws);
    printf("fact waste_pow2 %.1f%%\n", 100 * wp);
    return 0;
}
