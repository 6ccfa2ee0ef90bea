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

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint32_t rng;
static inline uint32_t
next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

struct allocator {
    const char *name;
    void *(*alloc)(size_t);
    void (*free)(void *);
};

static void *k_alloc(size_t n) { return kmalloc_at(n, NULL, 0); }
static void k_free(void *p) { kfree_at(p, NULL, 0); }
static void *ff_alloc(size_t n) { return heap_alloc_at(n, NULL, 0); }
static void ff_free(void *p) { heap_free_at(p, NULL, 0); }

static const struct allocator slab_kmalloc = { "kmalloc", k_alloc, k_free };
static const struct allocator first_fit = { "first fit", ff_alloc, ff_free };
static const struct allocator glibc = { "glibc", malloc, free };

static void **blocks;

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

/* Nanoseconds per pair of A with LIVE blocks of SIZE bytes live. */
static double
pair_ns(const struct allocator *a, size_t size, uint32_t live, uint32_t steps)
{
    if (a != &glibc)
        quiet_init();
    rng = 0x9E3779B9u;
    for (uint32_t i = 0; i < live; i++) {
        blocks[i] = a->alloc(size);
        if (!blocks[i]) {
            fprintf(stderr, "%s: out of memory at %u live blocks\n", a->name, i);
            exit(1);
        }
    }
    double best = 1e9;
    for (int round = 0; round < 3; round++) {       /* the best of three rounds */
        double t = now();
        for (uint32_t s = 0; s < steps; s++) {
            uint32_t i = next() % live;
            a->free(blocks[i]);
            blocks[i] = a->alloc(size);
            *(volatile char *)blocks[i] = 1;
        }
        t = (now() - t) * 1e9 / steps;
        if (t < best)
            best = t;
    }
    for (uint32_t i = 0; i < live; i++)
        a->free(blocks[i]);
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
    blocks = malloc(sizeof(void *) * 100000);
    printf("stage 4 kmalloc (%s build) against glibc %s (GLIBC_TUNABLES=%s)\n", BUILD,
           gnu_get_libc_version(), getenv("GLIBC_TUNABLES"));
    printf("pair = free a random one of LIVE blocks and allocate its replacement; ns per pair, best of 3\n");
    printf("%6s %7s %10s %10s %8s %12s\n", "size", "live", "kmalloc", "glibc", "ratio", "first fit");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        double at10 = 0;
        for (size_t l = 0; l < sizeof(lives) / sizeof(lives[0]); l++) {
            uint32_t live = lives[l];
            double k = pair_ns(&slab_kmalloc, sizes[s], live, 2000000);
            double g = pair_ns(&glibc, sizes[s], live, 2000000);
            double f = pair_ns(&first_fit, sizes[s], live, live >= 100000 ? 300 : live >= 1000 ? 20000 : 200000);
            if (l == 0)
                at10 = k;
            printf("%6zu %7u %10.1f %10.1f %8.2f %12.1f\n", sizes[s], live, k, g, g / k, f);
            printf("fact %s_%zu_%u_ns %.1f\n", BUILD, sizes[s], live, k);
            printf("fact glibc_%s_%zu_%u_ns %.1f\n", BUILD, sizes[s], live, g);
            printf("fact %s_%zu_%u_speedup %.2f\n", BUILD, sizes[s], live, g / k);
            printf("fact firstfit_%zu_%u_ns %.0f\n", sizes[s], live, f);
            if (l == 2)
                printf("fact %s_%zu_flat %.2f\n", BUILD, sizes[s], k / at10);
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
