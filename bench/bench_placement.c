/* bench_placement.c: first, next, best and worst fit compared on the same
 * workloads (chapter 1, "Placement policies").
 *
 * The allocator here is chapter 1's heap reduced to its placement decision:
 * one address-ordered list of blocks, each a 32-byte header (the size of the
 * kernel's header on i386) and a payload rounded up to 8 bytes; a free block
 * is split when the rest can hold a header and 8 bytes; kfree merges with
 * both neighbours; krealloc shrinks in place, grows into a free next block,
 * and otherwise moves. There are no magic numbers, checksums or poison: they
 * cost the same under every policy. When no free block fits, the heap grows
 * at its end by whole 4 KiB pages, as chapter 3's heap grows by whole steps.
 *
 * For each workload and policy it prints:
 *   utilization  peak live bytes (what the callers asked for) / peak heap size
 *   search       blocks looked at per allocation, on average
 *   holes        free blocks per allocated block, averaged over the
 *                allocations (Knuth's "fifty-percent rule" predicts about
 *                one half for first fit when exact fits are rare)
 *   Mop/s        allocator calls per second, best of 3 runs on this machine
 * `bench-placement --json` prints the same figures as book/measured/placement.json.
 * Every figure except Mop/s is deterministic: the workloads draw from glibc's
 * rand() with fixed seeds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"

#define ALIGN  8u
#define PAGE   4096u
#define REGION (256u << 20)

typedef struct block {
    size_t size;                /* payload bytes, a multiple of ALIGN */
    struct block *next, *prev;  /* the blocks after and before, in address order */
    uint32_t free;
    uint32_t requested;         /* what the caller asked for */
} block;
#define HDR sizeof(block)
_Static_assert(sizeof(block) == 32, "the kernel's header on i386 is 32 bytes");

enum policy { FIRST, NEXT, BEST, WORST, NPOLICIES };
static const char *policy_name[] = { "first", "next", "best", "worst" };

static _Alignas(64) uint8_t region[REGION];
static struct {
    enum policy policy;
    block *first, *rover;       /* rover: where next fit resumes */
    uintptr_t end;              /* the heap is [region, end) */
    size_t live, peak_live, peak_size;
    uint64_t searches, visited, calls;
    long nfree, nused;          /* free and allocated blocks now */
    double holes;               /* the sum of nfree / nused, at each allocation */
} h;

static void *payload(block *b) { return (char *)b + HDR; }
static block *header(void *p) { return (block *)((char *)p - HDR); }

static void
heap_reset(enum policy policy)
{
    memset(&h, 0, sizeof(h));
    h.policy = policy;
    h.first = (block *)region;
    *h.first = (block){ PAGE - HDR, NULL, NULL, 1, 0 };
    h.end = (uintptr_t)region + PAGE;
    h.peak_size = PAGE;
    h.nfree = 1;
}

/* The free block the policy picks for NEED bytes, or NULL. */
static block *
find(size_t need)
{
    block *pick = NULL, *start = h.policy == NEXT && h.rover ? h.rover : h.first;
    uint64_t seen = 0;
    h.searches++;
    for (block *b = start; b; ) {
        seen++;
        if (b->free && b->size >= need) {
            if (h.policy == FIRST || h.policy == NEXT) {
                pick = b;
                break;
            }
            if (!pick || (h.policy == BEST ? b->size < pick->size : b->size > pick->size))
                pick = b;
            if (h.policy == BEST && b->size == need)
                break;                          /* an exact fit: nothing beats it */
        }
        b = b->next;
        if (!b && h.policy == NEXT && start != h.first)
            b = h.first;                        /* next fit wraps around once */
        if (b == start)
            break;
    }
    h.visited += seen;
    return pick;
}

/* Add whole pages at the end so that a free last block holds NEED bytes. */
static block *
grow(size_t need)
{
    block *last = h.first;
    while (last->next)
        last = last->next;
    if (last->free) {
        size_t add = (need - last->size + PAGE - 1) / PAGE * PAGE;
        last->size += add;
        h.end += add;
    } else {
        size_t add = (need + HDR + PAGE - 1) / PAGE * PAGE;
        block *fresh = (block *)h.end;
        *fresh = (block){ add - HDR, NULL, last, 1, 0 };
        last->next = fresh;
        h.nfree++;
        h.end += add;
        last = fresh;
    }
    if (h.end - (uintptr_t)region > REGION) {
        fprintf(stderr, "bench-placement: the region of %u MiB is too small\n", REGION >> 20);
        exit(1);
    }
    if (h.end - (uintptr_t)region > h.peak_size)
        h.peak_size = h.end - (uintptr_t)region;
    return last;
}

/* Cut B down to SIZE bytes; a rest that can hold a block becomes a free one. */
static void
split(block *b, size_t size)
{
    if (b->size < size + HDR + ALIGN)
        return;
    block *rest = (block *)((char *)payload(b) + size);
    *rest = (block){ b->size - size - HDR, b->next, b, 1, 0 };
    if (rest->next)
        rest->next->prev = rest;
    b->next = rest;
    b->size = size;
    h.nfree++;
}

/* B absorbs the block after it. */
static void
merge_next(block *b)
{
    block *n = b->next;
    b->size += HDR + n->size;
    b->next = n->next;
    if (b->next)
        b->next->prev = b;
    if (h.rover == n)
        h.rover = b;
    h.nfree--;                                  /* N was free, or becomes part of B */
}

static void
account(long delta)
{
    h.live += delta;
    if (h.live > h.peak_live)
        h.peak_live = h.live;
}

static void *
alloc(size_t size)
{
    size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    h.calls++;
    block *b = find(need);
    if (!b)
        b = grow(need);
    split(b, need);
    b->free = 0;
    b->requested = (uint32_t)size;
    h.rover = b->next ? b->next : h.first;
    h.nfree--;
    h.nused++;
    h.holes += (double)h.nfree / (double)h.nused;
    account((long)size);
    return payload(b);
}

static void
release(void *p)
{
    block *b = header(p);
    h.calls++;
    account(-(long)b->requested);
    b->free = 1;
    h.nfree++;
    h.nused--;
    if (b->next && b->next->free)
        merge_next(b);
    if (b->prev && b->prev->free)
        merge_next(b->prev);
}

/* B keeps SIZE bytes; the tail goes back and merges with a free next block. */
static void
shrink(block *b, size_t need)
{
    size_t before = b->size;
    split(b, need);
    if (b->size != before && b->next->next && b->next->next->free)
        merge_next(b->next);
}

static void *
resize(void *p, size_t size)
{
    if (!p)
        return alloc(size);
    block *b = header(p);
    size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    h.calls++;
    if (need > b->size && b->next && b->next->free && b->size + HDR + b->next->size >= need)
        merge_next(b);
    if (need <= b->size) {
        shrink(b, need);
        account((long)size - (long)b->requested);
        b->requested = (uint32_t)size;
        return p;
    }
    void *q = alloc(size);
    memcpy(q, p, b->size);
    release(p);
    h.calls -= 2;                               /* one call, not three */
    return q;
}

/* ---- The workloads. The first three are `make bench`'s. ---- */

/* Random sizes 8..512 bytes, up to 512 blocks live, 200000 steps. */
static void
random_sizes(void)
{
    static void *slot[512];
    srand(1);
    for (int i = 0; i < 200000; i++) {
        int s = rand() % 512;
        if (slot[s]) {
            release(slot[s]);
            slot[s] = NULL;
        } else {
            slot[s] = alloc(8 + rand() % 505);
        }
    }
    for (int s = 0; s < 512; s++)
        if (slot[s])
            release(slot[s]), slot[s] = NULL;
}

/* 4000 blocks of 64 bytes, freed in random order; five rounds. */
static void
many_live(void)
{
    enum { N = 4000 };
    static void *p[N];
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < N; i++)
            p[i] = alloc(64);
        srand(round);
        for (int i = N - 1; i > 0; i--) {
            int j = rand() % (i + 1);
            void *t = p[i]; p[i] = p[j]; p[j] = t;
        }
        for (int i = 0; i < N; i++)
            release(p[i]);
    }
}

/* 64 buffers grown by krealloc in steps of 48 bytes, to 8160 bytes. */
static void
realloc_growth(void)
{
    static void *p[64];
    static size_t n[64];
    for (int step = 0; step < 170; step++)
        for (int i = 0; i < 64; i++) {
            n[i] += 48;
            p[i] = resize(p[i], n[i]);
        }
    for (int i = 0; i < 64; i++)
        release(p[i]), p[i] = NULL, n[i] = 0;
}

/* A kernel-like mix, 200000 steps: each step allocates one object; nine in
 * ten are small (16..128 bytes) and die within 1..64 steps, one in ten is
 * larger (256..4096 bytes) and lives 1000..20000 steps. */
static void
mixed_lifetimes(void)
{
    enum { STEPS = 200000, WHEEL = 32768 };
    struct obj { struct obj *next; };
    static struct obj *dies_at[WHEEL];          /* a timing wheel of objects */
    srand(4);
    for (int t = 0; t < STEPS + 20001; t++) {
        struct obj *o = dies_at[t % WHEEL];
        dies_at[t % WHEEL] = NULL;
        while (o) {
            struct obj *next = o->next;
            release(o);
            o = next;
        }
        if (t >= STEPS)
            continue;
        bool small = rand() % 10 != 0;
        size_t size = small ? 16 + rand() % 113 : 256 + rand() % 3841;
        int life = small ? 1 + rand() % 64 : 1000 + rand() % 19001;
        o = alloc(size);
        o->next = dies_at[(t + life) % WHEEL];
        dies_at[(t + life) % WHEEL] = o;
    }
}

static const struct {
    const char *key, *name;
    void (*run)(void);
} workloads[] = {
    { "random", "random sizes", random_sizes },
    { "manylive", "many live blocks", many_live },
    { "realloc", "realloc growth", realloc_growth },
    { "mixed", "mixed lifetimes", mixed_lifetimes },
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

struct result {
    double utilization, search, mops, holes;
    size_t peak_live, peak_size;
};

static struct result
measure(size_t w, enum policy p)
{
    struct result r = { 0 };
    for (int rep = 0; rep < 3; rep++) {
        heap_reset(p);
        double t = now();
        workloads[w].run();
        t = now() - t;
        if (h.live != 0) {
            fprintf(stderr, "bench-placement: %s left %zu bytes live\n", workloads[w].name, h.live);
            exit(1);
        }
        r.utilization = (double)h.peak_live / (double)h.peak_size;
        r.search = (double)h.visited / (double)h.searches;
        r.holes = h.holes / (double)h.searches;
        r.peak_live = h.peak_live;
        r.peak_size = h.peak_size;
        if (h.calls / t / 1e6 > r.mops)
            r.mops = h.calls / t / 1e6;
    }
    return r;
}

static void
cpu_name(char *buf, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    snprintf(buf, n, "unknown");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(buf, n, "%s", strchr(line, ':') + 2);
            buf[strcspn(buf, "\n")] = 0;
            break;
        }
    if (f)
        fclose(f);
}

int
main(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    struct result r[NWORKLOADS][NPOLICIES];
    for (size_t w = 0; w < NWORKLOADS; w++)
        for (int p = 0; p < NPOLICIES; p++)
            r[w][p] = measure(w, (enum policy)p);
    if (json) {
        char cpu[128];
        cpu_name(cpu, sizeof(cpu));
        printf("{\n  \"_command\": \"make measure-placement\",\n  \"cpu\": \"%s\",\n", cpu);
        for (size_t w = 0; w < NWORKLOADS; w++) {
            printf("  \"%s_peak_live_kib\": \"%.1f\",\n", workloads[w].key, r[w][0].peak_live / 1024.0);
            for (int p = 0; p < NPOLICIES; p++) {
                const char *k = workloads[w].key, *pn = policy_name[p];
                printf("  \"%s_%s_util\": \"%.1f%%\",\n", k, pn, 100 * r[w][p].utilization);
                printf("  \"%s_%s_heap_kib\": \"%zu\",\n", k, pn, r[w][p].peak_size / 1024);
                printf("  \"%s_%s_search\": \"%.1f\",\n", k, pn, r[w][p].search);
                printf("  \"%s_%s_holes\": \"%.2f\",\n", k, pn, r[w][p].holes);
                printf("  \"%s_%s_mops\": \"%.2f\"%s\n", k, pn, r[w][p].mops,
                       w + 1 == NWORKLOADS && p + 1 == NPOLICIES ? "" : ",");
            }
        }
        printf("}\n");
        return 0;
    }
    printf("placement policies over chapter 1's block list (32-byte headers, 8-byte alignment, "
           "growth by 4 KiB pages)\n\n");
    printf("%-17s %-6s %11s %10s %12s %6s %9s\n", "workload", "policy", "utilization", "peak heap",
           "blocks/alloc", "holes", "Mop/s");
    for (size_t w = 0; w < NWORKLOADS; w++)
        for (int p = 0; p < NPOLICIES; p++)
            printf("%-17s %-6s %10.1f%% %6zu KiB %12.1f %6.2f %9.2f\n", p ? "" : workloads[w].name,
                   policy_name[p], 100 * r[w][p].utilization, r[w][p].peak_size / 1024,
                   r[w][p].search, r[w][p].holes, r[w][p].mops);
    printf("(utilization = peak live bytes / peak heap size; blocks/alloc = blocks looked at per search;\n"
           " holes = free blocks per allocated block, at the allocations)\n");
    return 0;
}
