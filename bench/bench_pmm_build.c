/* bench_pmm_build.c: chapter 2's frame allocator (pmm.c, through the host
 * wrapper) in the build this program was compiled as, debug (HEAP_DEBUG:
 * every freed frame is poisoned) or release (no poison, the same checks),
 * against a bitmap allocator without poison in the same run.  bench/pmm-build.mk
 * builds it twice; `make measure-pmm-build` writes both lines into
 * book/measured/pmmbuild.json.  Prints figures; asserts nothing.
 * (bench_pmm.c compares the frame structures themselves.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include "pmm.h"

#ifdef HEAP_DEBUG
#define BUILD "debug"
#else
#define BUILD "release"
#endif

extern uint8_t *host_ram;

static uint32_t rng = 0x9E3779B9u;

/* The baseline: one bit per frame, the scan starting at a moving hint. */
#define RAM_MIB 60u                              /* frames in [1 MiB, 61 MiB): all poisoned */
#define FRAMES  ((RAM_MIB + 1) * 256u)
static uint64_t bits[(FRAMES + 63) / 64];        /* 1 = free */
static uint32_t hint;

static uint32_t
bitmap_alloc(void)
{
    for (uint32_t n = 0; n < FRAMES / 64 + 1; n++, hint = (hint + 1) % ((FRAMES + 63) / 64))
        if (bits[hint]) {
            int b = __builtin_ctzll(bits[hint]);
            bits[hint] &= ~(1ull << b);
            return (hint * 64 + b) * PAGE_SIZE;
        }
    return PMM_NO_FRAME;
}

static int
bitmap_free(uint32_t pa)
{
    bits[pa / PAGE_SIZE / 64] |= 1ull << (pa / PAGE_SIZE % 64);
    return 0;
}

static uint32_t stack_alloc(void) { return pmm_alloc_page(); }
/* The measuring loop alone: an "allocator" that does nothing. */
static uint32_t null_alloc(void) { return 0x100000; }
static int null_free(uint32_t pa) { __asm__ volatile("" : : "r"(pa)); return 0; }
static int stack_free(uint32_t pa) { return pmm_free_page(pa); }

/* Hold HELD frames, then free a random one and allocate a replacement,
 * PAIRS times: ns per pair. */
static double
measure(uint32_t (*alloc)(void), int (*release)(uint32_t), long pairs)
{
    enum { HELD = 4096 };
    static uint32_t held[HELD];
    for (int i = 0; i < HELD; i++)
        held[i] = alloc();
    double t = now();
    for (long i = 0; i < pairs; i++) {
        uint32_t k = xorshift32(&rng) % HELD;
        release(held[k]);
        held[k] = alloc();
    }
    t = now() - t;
    for (int i = 0; i < HELD; i++)
        release(held[i]);
    return t / pairs * 1e9;
}

int
main(int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    host_ram = calloc(64u << 20, 1);
    struct pmm_ranges usable = { 1, { { 0x100000, (uint64_t)RAM_MIB << 20 } } }, reserved = { 0 };
    pmm_setup(&usable, &reserved);
    for (uint32_t f = 256; f < FRAMES; f++)         /* the same frames */
        bits[f / 64] |= 1ull << (f % 64);
    double best_s = 1e9, best_b = 1e9, best_n = 1e9;
    /* Short runs in turn, the best of each: on a shared machine a run that
     * another process interrupts is slow, and alternating gives both the
     * same chances of a quiet moment. */
    long pairs = strcmp(BUILD, "debug") == 0 ? 20000 : 200000;
    for (int r = 0; r < 31; r++) {
        double s = measure(stack_alloc, stack_free, pairs), b = measure(bitmap_alloc, bitmap_free, pairs);
        best_s = s < best_s ? s : best_s;
        best_b = b < best_b ? b : best_b;
        double z = measure(null_alloc, null_free, pairs);
        best_n = z < best_n ? z : best_n;
    }
    if (json)
        printf("  \"" BUILD "_stack_ns\": \"%.1f\",\n  \"" BUILD "_bitmap_ns\": \"%.1f\",\n"
               "  \"" BUILD "_loop_ns\": \"%.1f\",\n", best_s, best_b, best_n);
    else
        printf("frame alloc+free pair, %s build of pmm.c: stack %.1f ns, bitmap scan (no poison) %.1f ns "
               "(ratio %.2fx); the measuring loop alone %.1f ns\n", BUILD, best_s, best_b, best_s / best_b, best_n);
    free(host_ram);
    return 0;
}
