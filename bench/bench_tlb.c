/* bench_tlb.c: what a TLB miss costs on the machine that runs it.
 *
 * A chain of dependent loads (each load's value is the address of the
 * next) visits LINES cache lines in a random order, LINES = 4096 (256 KiB,
 * which stays in the processor's level-2 cache).  The same lines are laid
 * out two ways:
 *   packed  64 lines in each of 64 pages of 4 KiB: 64 translations, which
 *           fit the first-level TLB;
 *   spread  one line in each of 4096 pages of 4 KiB (16 MiB of addresses):
 *           4096 translations, more than the TLB holds, so most loads miss
 *           in the TLB and the processor walks the page tables.
 * The lines of both layouts spread evenly over the cache's sets (a line's
 * offset in its page varies), so that the two use the caches alike and
 * only the translations differ.  (In a virtual machine each walk is itself
 * translated by the host's tables, and a miss costs more.)  Prints
 * ns per load; with --json FILE writes book/measured/tlb.json
 * (`make measure-tlb`).  Asserts nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include <sys/mman.h>

#define LINES   4096u
#define LINE    64u
#define PAGE    4096u
#define HUGE    (2u << 20)
#define LOADS   (20u * 1000 * 1000)

static uint32_t seed = 12345;

/* Link the lines at ADDR[0..LINES) into one random cycle; ns per load. */
static double
chase(char **addr)
{
    static uint32_t order[LINES];
    for (uint32_t i = 0; i < LINES; i++)
        order[i] = i;
    seed = 12345;
    for (uint32_t i = LINES - 1; i > 0; i--) {
        uint32_t j = xorshift32(&seed) % (i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (uint32_t i = 0; i < LINES; i++)
        *(char **)addr[order[i]] = addr[order[(i + 1) % LINES]];
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        char *p = addr[order[0]];
        for (uint32_t i = 0; i < LINES; i++)        /* warm the caches */
            p = *(char **)p;
        double t = now();
        for (uint32_t i = 0; i < LOADS; i++)
            p = *(char **)p;
        t = now() - t;
        __asm__ volatile("" : : "r"(p));
        if (t / LOADS * 1e9 < best)
            best = t / LOADS * 1e9;
    }
    return best;
}

static char *
region(size_t bytes, int advice)
{
    char *m = mmap(NULL, bytes + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    m = (char *)(((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
    madvise(m, bytes, advice);
    memset(m, 1, bytes);
    return m;
}

int
main(int argc, char **argv)
{
    static char *addr[LINES];
    FILE *json = NULL;
    if (argc == 3 && !strcmp(argv[1], "--json") && !(json = fopen(argv[2], "w")))
        return perror(argv[2]), 1;

    char *packed = region(LINES * LINE, MADV_NOHUGEPAGE);
    for (uint32_t i = 0; i < LINES; i++)
        addr[i] = packed + (size_t)(i / 64) * PAGE + (i % 64) * LINE;
    double p = chase(addr);

    char *spread = region((size_t)LINES * PAGE, MADV_NOHUGEPAGE);
    for (uint32_t i = 0; i < LINES; i++)
        addr[i] = spread + (size_t)i * PAGE + (i / 64 % 64) * LINE;
    double s = chase(addr);

    printf("%u cache lines (%u KiB), ns per dependent load:\n", LINES, LINES * LINE / 1024);
    printf("  packed in %u pages of 4 KiB:   %.2f\n", LINES / 64, p);
    printf("  spread over %u pages of 4 KiB: %.2f  (+%.2f: the TLB misses)\n", LINES, s, s - p);
    if (json) {
        fprintf(json, "{\n  \"lines\": \"%u\",\n  \"lines_kib\": \"%u\",\n  \"packed_pages\": \"%u\",\n"
                "  \"spread_pages\": \"%u\",\n  \"spread_mib\": \"%u\",\n  \"packed_ns\": \"%.1f\",\n"
                "  \"spread_ns\": \"%.1f\",\n  \"miss_ns\": \"%.1f\",\n"
                "  \"_command\": \"make measure-tlb\"\n}\n",
                LINES, LINES * LINE / 1024, LINES / 64, LINES, LINES * PAGE >> 20, p, s, s - p);
        fclose(json);
    }
    return 0;
}
