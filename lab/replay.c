/* replay.c: the allocator lab's replayer.  Reads a trace (lab/trace.py:
 * gzipped lines "m SLOT SIZE", "c SLOT SIZE", "r SLOT SIZE", "f SLOT")
 * and replays it through the allocator it was linked with (lab.h).
 *
 *   replay TRACE [--runs N|auto] [--max-calls N] [--check] [--curve FILE]
 *
 * Prints one line of KEY=VALUE figures: calls, peak live bytes, peak
 * footprint, utilization (peak live / peak footprint), million calls per
 * second (the best of N runs, each from a reset allocator), failed
 * allocations.  --check writes a pattern into the first and last bytes of
 * every block and verifies it before the block is freed or resized, and
 * walks the allocator's structures every 1000 calls and at the end: for
 * make test, on a short prefix of a trace (--max-calls; the blocks still
 * live then are freed).  --curve writes live bytes and footprint over the
 * calls of the first run, for the lab's footprint plot. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../bench/bench.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include "lab.h"

struct call {
    char op;                    /* m c r f */
    uint32_t slot;
    uint32_t size;
};

static struct call *calls;
static long ncalls;
static uint32_t nslots;
static void **block;            /* per slot: the block, or NULL */
static uint32_t *size_of;       /* per slot: its size */

/* The replayer's own memory comes from mmap, not malloc: with glibc as the
 * allocator under test, its arrays would otherwise sit in the same heap and
 * count in the footprint. */
static void *
reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return p;
}

#define MAX_CALLS (32l << 20)

static void
load(const char *path, long max_calls)
{
    gzFile f = gzopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    char line[128];
    calls = reserve(MAX_CALLS * sizeof(*calls));
    while (gzgets(f, line, sizeof(line)) && ncalls < MAX_CALLS) {
        if (line[0] == '#')
            continue;
        if (max_calls && ncalls >= max_calls)
            break;
        struct call c = { line[0], 0, 0 };
        unsigned long slot = 0, size = 0;
        if (sscanf(line + 1, "%lu %lu", &slot, &size) < 1)
            continue;
        c.slot = (uint32_t)slot;
        c.size = (uint32_t)size;
        calls[ncalls++] = c;
        if (c.slot + 1 > nslots)
            nslots = c.slot + 1;
    }
    gzclose(f);
    block = reserve(nslots * sizeof(void *));
    size_of = reserve(nslots * sizeof(uint32_t));
}

/* The check pattern: a byte that depends on the slot and the position. */
static uint8_t
pattern(uint32_t slot, size_t i)
{
    return (uint8_t)(slot * 131 + i * 7 + 1);
}

static void
stamp(uint32_t slot, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && i < 8; i++)
        p[i] = pattern(slot, i);
    for (size_t i = n > 8 ? n - 8 : n; i < n; i++)
        p[i] = pattern(slot, i);
}

static long bad_contents;

static void
verify(uint32_t slot, const uint8_t *p, size_t n, size_t keep)
{
    for (size_t i = 0; i < keep && i < 8; i++)
        bad_contents += p[i] != pattern(slot, i);
    for (size_t i = n > 8 ? n - 8 : 0; i < keep && i < n; i++)
        bad_contents += p[i] != pattern(slot, i);
}

struct figures {
    long failed, bad_checks;
    double live, peak_live, peak_footprint, seconds;
};

static uintptr_t lo, hi;        /* the extent of the addresses handed out */

static double
footprint(void)
{
    if (lab_allocator.footprint)
        return (double)lab_allocator.footprint();
    return hi > lo ? (double)(hi - lo) : 0;
}

static void
extent(void *p, size_t n)
{
    if (!p)
        return;
    if ((uintptr_t)p < lo)
        lo = (uintptr_t)p;
    if ((uintptr_t)p + n > hi)
        hi = (uintptr_t)p + n;
}

/* One replay of the trace.  MEASURE: follow live bytes and footprint
 * (slower); CHECK: patterns and heap walks; CURVE: write samples. */
static struct figures
replay(int measure, int check, int curve)
{
    struct figures r = { 0 };
    lab_allocator.reset();
    lo = UINTPTR_MAX;
    hi = 0;
    long step = ncalls / 400 + 1;
    double t = now();
    for (long i = 0; i < ncalls; i++) {
        struct call c = calls[i];
        void **b = &block[c.slot];
        switch (c.op) {
        case 'm':
        case 'c':
            *b = c.op == 'm' ? lab_allocator.malloc(c.size) : lab_allocator.calloc(c.size);
            if (!*b && c.size)
                r.failed++;
            size_of[c.slot] = c.size;
            if (measure)
                r.live += c.size, extent(*b, c.size);
            if (check && *b) {
                if (c.op == 'c')
                    for (uint32_t k = 0; k < c.size; k++)
                        r.bad_checks += ((uint8_t *)*b)[k] != 0;
                stamp(c.slot, *b, c.size);
            }
            break;
        case 'r': {
            if (!*b)
                break;
            if (check)
                verify(c.slot, *b, size_of[c.slot], size_of[c.slot]);
            void *q = lab_allocator.realloc(*b, c.size);
            if (!q) {
                r.failed++;
                break;
            }
            if (check) {
                size_t keep = c.size < size_of[c.slot] ? c.size : size_of[c.slot];
                verify(c.slot, q, keep < 8 ? keep : 8, keep < 8 ? keep : 8);
                stamp(c.slot, q, c.size);
            }
            if (measure)
                r.live += (double)c.size - size_of[c.slot], extent(q, c.size);
            *b = q;
            size_of[c.slot] = c.size;
            break;
        }
        case 'f':
            if (!*b)
                break;
            if (check)
                verify(c.slot, *b, size_of[c.slot], size_of[c.slot]);
            lab_allocator.free(*b);
            *b = NULL;
            if (measure)
                r.live -= size_of[c.slot];
            break;
        }
        if (measure) {
            if (r.live > r.peak_live)
                r.peak_live = r.live;
            if ((i % 64 == 0 || i == ncalls - 1) && footprint() > r.peak_footprint)
                r.peak_footprint = footprint();
            if (curve >= 0 && (i % step == 0 || i == ncalls - 1))
                dprintf(curve, "%ld %.0f %.0f\n", i, r.live, footprint());
        }
        if (check && (i % 1000 == 0) && lab_allocator.check && lab_allocator.check())
            r.bad_checks++;
    }
    for (uint32_t s = 0; s < nslots; s++)           /* a prefix leaves blocks live */
        if (block[s]) {
            if (check)
                verify(s, block[s], size_of[s], size_of[s]);
            lab_allocator.free(block[s]);
            block[s] = NULL;
        }
    r.seconds = now() - t;
    if (check && lab_allocator.check && lab_allocator.check())
        r.bad_checks++;
    r.bad_checks += bad_contents;
    bad_contents = 0;
    return r;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRACE [--runs N] [--max-calls N] [--check] [--curve FILE]\n", argv[0]);
        return 2;
    }
    int runs = 3, check = 0;
    long max_calls = 0;
    const char *curve_path = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = strcmp(argv[i + 1], "auto") ? atoi(argv[i + 1]) : -1, i++;
        else if (!strcmp(argv[i], "--max-calls") && i + 1 < argc)
            max_calls = atol(argv[++i]);
        else if (!strcmp(argv[i], "--check"))
            check = 1;
        else if (!strcmp(argv[i], "--curve") && i + 1 < argc)
            curve_path = argv[++i];
    }
    load(argv[1], max_calls);
    int curve = curve_path ? open(curve_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
    if (curve >= 0)
        dprintf(curve, "# call live_bytes footprint_bytes (%s)\n", lab_allocator.name);
    struct figures first = replay(1, check, curve);
    if (curve >= 0)
        close(curve);
    double best = 0;
    if (runs < 0)                                   /* auto: slow allocators run once more */
        runs = first.seconds > 2 ? 1 : 5;
    for (int r = 0; r < runs; r++) {                /* timed: no measuring, no checks */
        struct figures f = replay(0, 0, -1);
        if (f.seconds > 0 && ncalls / f.seconds / 1e6 > best)
            best = ncalls / f.seconds / 1e6;
    }
    const char *trace = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    printf("lab trace=%.*s allocator=\"%s\" calls=%ld peak_live=%.0f peak_footprint=%.0f "
           "utilization=%.3f mops=%.6f failed=%ld bad_checks=%ld\n",
           (int)strcspn(trace, "."), trace, lab_allocator.name, ncalls, first.peak_live,
           first.peak_footprint, first.peak_footprint > 0 ? first.peak_live / first.peak_footprint : 0,
           best, first.failed, first.bad_checks);
    return first.failed || first.bad_checks ? 1 : 0;
}
