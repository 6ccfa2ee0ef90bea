/* bench_pmm.c: the cost of a frame allocation plus a free, for chapter 2's
 * stack allocator and for a baseline measured in the same run: a bitmap
 * allocator that scans for the next free bit (exercise 1 of chapter 2).
 * Prints figures and the ratio; asserts nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pmm.h"

extern uint8_t *host_ram;

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The baseline: one bit per frame, allocation scans from a moving hint. */
#define FRAMES (512u * 1024 / 4)                /* 512 MiB of frames */
static uint64_t bits[FRAMES / 64];              /* 1 = free */
static uint32_t hint;

static uint32_t
bitmap_alloc(void)
{
    for (uint32_t n = 0; n < FRAMES / 64; n++, hint = (hint + 1) % (FRAMES / 64))
        if (bits[hint]) {
            int b = __builtin_ctzll(bits[hint]);
            bits[hint] &= ~(1ull << b);
            return (hint * 64 + b) * PAGE_SIZE;
        }
    return PMM_NO_FRAME;
}

static void
bitmap_free(uint32_t pa)
{
    bits[pa / PAGE_SIZE / 64] |= 1ull << (pa / PAGE_SIZE % 64);
}

/* Allocate HELD frames, then alternate free/alloc; ns per alloc+free pair. */
static double
measure(uint32_t (*alloc)(void), int (*release)(uint32_t), long pairs)
{
    enum { HELD = 4096 };
    static uint32_t held[HELD];
    for (int i = 0; i < HELD; i++)
        held[i] = alloc();
    srand(7);
    double t = now();
    for (long i = 0; i < pairs; i++) {
        int k = rand() % HELD;
        release(held[k]);
        held[k] = alloc();
    }
    t = now() - t;
    for (int i = 0; i < HELD; i++)
        release(held[i]);
    return t / pairs * 1e9;
}

static uint32_t stack_alloc(void) { return pmm_alloc_page(); }
static int stack_free(uint32_t pa) { return pmm_free_page(pa); }
static uint32_t bm_alloc(void) { return bitmap_alloc(); }
static int bm_free(uint32_t pa) { bitmap_free(pa); return 0; }
static uint8_t *bm_ram;        /* the baseline's own RAM: host_ram holds pmm's stack */
static int bm_free_poison(uint32_t pa)
{
    memset(bm_ram + pa % (64u << 20), PMM_POISON, PAGE_SIZE);
    bitmap_free(pa);
    return 0;
}

int
main(void)
{
    host_ram = calloc(64 << 20, 1);
    bm_ram = calloc(64 << 20, 1);
    struct pmm_ranges usable = { 1, { { 0x100000, 512ull << 20 } } }, reserved = { 0 };
    double t = now();
    uint32_t n = pmm_setup(&usable, &reserved);
    t = now() - t;
    for (uint32_t i = 256; i < FRAMES; i++)           /* the same frames, above 1 MiB */
        bits[i / 64] |= 1ull << (i % 64);
    printf("pmm_setup for 512 MiB: %u frames in %.1f ms (%.1f ns per frame)\n", n, t * 1e3, t / n * 1e9);
    double best_s = 1e9, best_b = 1e9, best_p = 1e9;
    for (int r = 0; r < 3; r++) {
        double s = measure(stack_alloc, stack_free, 2000000);
        double b = measure(bm_alloc, bm_free, 2000000), p = measure(bm_alloc, bm_free_poison, 2000000);
        best_s = s < best_s ? s : best_s;
        best_b = b < best_b ? b : best_b;
        best_p = p < best_p ? p : best_p;
    }
    printf("alloc+free pair, ns: stack %.1f; bitmap scan %.1f without poison, %.1f with "
           "(ratios %.2fx, %.2fx)\n", best_s, best_b, best_p, best_s / best_b, best_s / best_p);
    printf("(ratio = stack / bitmap; the stack allocator checks and poisons every free)\n");
    free(host_ram);
    free(bm_ram);
    return 0;
}
