/* bench_heap.c: the kernel heap and string functions against glibc.
 * Prints figures and ratios (kernel / glibc); asserts nothing. */
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include "kheap.h"
#include "kstring.h"
/* heap.mk renames the kernel's functions (memcpy -> kmemcpy, ...) in every
 * file of this program; here the plain names must mean glibc's. */
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strcmp
void *memset(void *, int, size_t);
void *memcpy(void *restrict, const void *restrict, size_t);
int strcmp(const char *, const char *);

#define REGION (32u << 20)
static _Alignas(16) uint8_t region[REGION];

/* One allocator under test: the kernel heap or glibc. */
struct allocator {
    const char *name;
    void *(*alloc)(size_t);
    void (*free)(void *);
    void *(*realloc)(void *, size_t);
};
static void *k_alloc(size_t n) { return kmalloc(n); }
static void k_free(void *p) { kfree(p); }
static void *k_realloc(void *p, size_t n) { return krealloc(p, n); }
static const struct allocator kernel = { "kernel heap", k_alloc, k_free, k_realloc };
static const struct allocator libc = { "glibc", malloc, free, realloc };

/* Peak live payload and the highest address reached, for utilization. */
static size_t live, peak_live;
static uintptr_t lowest = UINTPTR_MAX, highest;

static void
note(void *p, size_t n, long sign)
{
    live += sign * (long)n;
    if (live > peak_live)
        peak_live = live;
    if (p && sign > 0) {
        if ((uintptr_t)p < lowest)
            lowest = (uintptr_t)p;
        if ((uintptr_t)p + n > highest)
            highest = (uintptr_t)p + n;
    }
}

/* Workload 1: random sizes 8..512, up to 512 blocks live. */
static long
random_sizes(const struct allocator *a)
{
    static void *slot[512];
    static size_t size[512];
    long ops = 0;
    srand(1);
    for (int i = 0; i < 200000; i++, ops++) {
        int s = rand() % 512;
        if (slot[s]) {
            note(slot[s], size[s], -1);
            a->free(slot[s]);
            slot[s] = NULL;
        } else {
            size[s] = 8 + rand() % 505;
            slot[s] = a->alloc(size[s]);
            note(slot[s], size[s], +1);
        }
    }
    for (int s = 0; s < 512; s++)
        if (slot[s])
            note(slot[s], size[s], -1), a->free(slot[s]), slot[s] = NULL;
    return ops;
}

/* Workload 2: many live blocks: 4000 of 64 bytes, freed in random order. */
static long
many_live(const struct allocator *a)
{
    enum { N = 4000 };
    static void *p[N];
    long ops = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < N; i++, ops++)
            note(p[i] = a->alloc(64), 64, +1);
        srand(round);
        for (int i = N - 1; i > 0; i--) {
            int j = rand() % (i + 1);
            void *t = p[i]; p[i] = p[j]; p[j] = t;
        }
        for (int i = 0; i < N; i++, ops++)
            note(p[i], 64, -1), a->free(p[i]);
    }
    return ops;
}

/* Workload 3: 64 buffers grown by realloc in steps of 48 bytes to 8 KiB. */
static long
realloc_growth(const struct allocator *a)
{
    static void *p[64];
    static size_t n[64];
    long ops = 0;
    for (int step = 0; step < 170; step++)
        for (int i = 0; i < 64; i++, ops++) {
            note(p[i], n[i], -1);
            p[i] = a->realloc(p[i], n[i] + 48);
            n[i] += 48;
            note(p[i], n[i], +1);
        }
    for (int i = 0; i < 64; i++)
        note(p[i], n[i], -1), a->free(p[i]), p[i] = NULL, n[i] = 0;
    return ops;
}

struct result {
    double mops, utilization;
};

static struct result
run(long (*workload)(const struct allocator *), const struct allocator *a)
{
    struct result best = { 0, 0 };
    for (int rep = 0; rep < 3; rep++) {
        if (a == &kernel)
            heap_init(region, REGION);
        live = peak_live = highest = 0;
        lowest = UINTPTR_MAX;
        double t = now();
        long ops = workload(a);
        t = now() - t;
        if (ops / t / 1e6 > best.mops)
            best.mops = ops / t / 1e6;
        best.utilization = (double)peak_live / (double)(highest - lowest);
    }
    return best;
}

/* With --json, the figures are printed as "KEY": "value" lines of
 * book/measured/heap.json (make measure-heap) instead of the tables. */
static int json;

static void
allocation_table(void)
{
    static const struct { const char *name, *key; long (*fn)(const struct allocator *); } w[] = {
        { "random sizes", "random", random_sizes }, { "many live blocks", "manylive", many_live },
        { "realloc growth", "realloc", realloc_growth },
    };
    if (!json)
        printf("%-18s %12s %12s %8s   %11s %11s\n", "workload", "kernel Mop/s", "glibc Mop/s",
               "ratio", "kernel util", "glibc util");
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
        struct result k = run(w[i].fn, &kernel), g = run(w[i].fn, &libc);
        if (json)
            printf("  \"%s_kernel_mops\": \"%.2f\",\n  \"%s_glibc_mops\": \"%.1f\",\n"
                   "  \"%s_ratio\": \"%.3f\",\n  \"%s_kernel_util\": \"%.0f%%\",\n"
                   "  \"%s_glibc_util\": \"%.0f%%\",\n", w[i].key, k.mops, w[i].key, g.mops,
                   w[i].key, k.mops / g.mops, w[i].key, 100 * k.utilization, w[i].key, 100 * g.utilization);
        else
            printf("%-18s %12.2f %12.2f %7.3fx   %10.1f%% %10.1f%%\n", w[i].name, k.mops, g.mops,
                   k.mops / g.mops, 100 * k.utilization, 100 * g.utilization);
    }
    if (!json)
        printf("(utilization = peak live payload / extent of the addresses used; "
               "ratio = kernel / glibc throughput)\n\n");
}

/* Does the heap slow down as the free space around its blocks grows?  A
 * realloc-heavy run (16 buffers resized at random, 16..2048 bytes, so that
 * blocks keep growing into free neighbours and shrinking) in a heap of
 * 1 MiB and in one of 256 MiB; ops per second in each. */
static double
realloc_in_heap(size_t heap_bytes)
{
    enum { BUFS = 16, OPS = 200000 };
    uint8_t *mem = aligned_alloc(16, heap_bytes);
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        void *p[BUFS] = { 0 };
        heap_init(mem, heap_bytes);
        srand(3);
        double t = now();
        for (int i = 0; i < OPS; i++) {
            int k = rand() % BUFS;
            p[k] = krealloc(p[k], 16 + (size_t)(rand() % 2033));
        }
        t = now() - t;
        for (int k = 0; k < BUFS; k++)
            kfree(p[k]);
        if (OPS / t > best)
            best = OPS / t;
    }
    free(mem);
    return best;
}

static void
heap_size_table(void)
{
    double small = realloc_in_heap(1u << 20), large = realloc_in_heap(256u << 20);
    if (json)
        printf("  \"realloc_1m_kops\": \"%.0f\",\n  \"realloc_256m_kops\": \"%.0f\",\n"
               "  \"realloc_heap_ratio\": \"%.2f\",\n", small / 1e3, large / 1e3, large / small);
    else
        printf("realloc-heavy run, kernel heap: %.0f Kops/s in 1 MiB, %.0f Kops/s in 256 MiB "
               "(ratio %.2f; 1.00 = no slower in a larger heap)\n\n", small / 1e3, large / 1e3,
               large / small);
}

/* Bandwidth of one function at one size, in GB/s: one short run. */
static double
bandwidth(void *(*fn)(void *, const void *, size_t), void *(*set)(void *, int, size_t),
          size_t n, uint8_t *dst, const uint8_t *src)
{
    long reps = (long)(32e6 / n) + 1;
    double t = now();
    for (long i = 0; i < reps; i++) {
        if (fn)
            fn(dst, src, n);
        else
            set(dst, (int)i, n);
        __asm__ volatile("" : : "r"(dst) : "memory");
    }
    t = now() - t;
    return reps * n / t / 1e9;
}

/* The kernel's and glibc's function at one size, measured in turn, many
 * short runs each, the best of each kept: on a shared machine, a run that
 * another process interrupts is slow, and alternating gives both sides the
 * same chances of a quiet moment. */
static void
compare(void *(*kfn)(void *, const void *, size_t), void *(*gfn)(void *, const void *, size_t),
        void *(*kset)(void *, int, size_t), void *(*gset)(void *, int, size_t),
        size_t n, uint8_t *dst, const uint8_t *src, double *k, double *g)
{
    *k = *g = 0;
    for (int r = 0; r < 15; r++) {
        double a = bandwidth(kfn, kset, n, dst, src), b = bandwidth(gfn, gset, n, dst, src);
        *k = a > *k ? a : *k;
        *g = b > *g ? b : *g;
    }
}

static void
string_table(void)
{
    static const size_t sizes[] = { 64, 2048, 65536, 1 << 20 };
    uint8_t *src = aligned_alloc(64, (1 << 20) + 64), *dst = aligned_alloc(64, (1 << 20) + 64);
    memset(src, 1, (1 << 20) + 64);
    void *(*volatile kcpy)(void *, const void *, size_t) = kmemcpy;
    void *(*volatile gcpy)(void *, const void *, size_t) = memcpy;
    void *(*volatile kset)(void *, int, size_t) = kmemset;
    void *(*volatile gset)(void *, int, size_t) = memset;
    if (!json)
        printf("%-8s %9s %20s %20s %20s\n", "size", "", "aligned GB/s (ratio)", "dst+1 GB/s (ratio)", "");
    for (size_t i = 0; i < 4; i++) {
        size_t n = sizes[i];
        double kc, gc, km, gm, ks, gs;
        compare(kcpy, gcpy, NULL, NULL, n, dst, src, &kc, &gc);
        compare(kcpy, gcpy, NULL, NULL, n, dst + 1, src, &km, &gm);
        compare(NULL, NULL, kset, gset, n, dst, src, &ks, &gs);
        if (json) {
            printf("  \"memcpy_%zu_ratio\": \"%.2f\",\n  \"memcpy_%zu_dst1_ratio\": \"%.2f\",\n"
                   "  \"memset_%zu_ratio\": \"%.2f\",\n", n, kc / gc, n, km / gm, n, ks / gs);
            continue;
        }
        printf("%-8zu memcpy  %6.1f/%6.1f (%5.2fx) %6.1f/%6.1f (%5.2fx)\n", n, kc, gc, kc / gc, km, gm, km / gm);
        printf("%-8zu memset  %6.1f/%6.1f (%5.2fx)\n", n, ks, gs, ks / gs);
    }
    if (!json)
        printf("(kernel/glibc GB/s, and the ratio kernel / glibc)\n");
    free(src);
    free(dst);
}

int
main(int argc, char **argv)
{
    json = argc > 1 && strcmp(argv[1], "--json") == 0;
    /* Keep glibc from returning memory to the system mid-run, which makes
     * its figures swing from run to run (TOOLCHAIN.md). */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    size_t header = REGION - (size_t)({ memory_stats_t s; heap_init(region, REGION);
                                        memory_get_stats(&s); s.heap_free; });
    if (json)
        printf("{\n  \"_command\": \"make measure-heap\",\n  \"glibc\": \"%s\",\n", gnu_get_libc_version());
    else
        printf("kernel heap: %zu-byte headers, first fit, poison checked; glibc %s\n\n", header,
               gnu_get_libc_version());
    allocation_table();
    heap_size_table();
    string_table();
    if (json)
        printf("  \"host_header_bytes\": \"%zu\"\n}\n", header);
    return 0;
}
