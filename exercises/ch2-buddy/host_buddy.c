/* host_buddy.c: host tests of exercise ch2-buddy, with cmocka.  Built with
 * the student's buddy.c (and kheap.c, kstring.c, and pmm.c through
 * buddy_pmm_host.c) as 64-bit code under AddressSanitizer and UBSan
 * (tools/grade.py, run_host_tests).
 *
 * Long random runs of buddy_alloc and buddy_free over ranges of simulated
 * RAM, against a model that knows which frames are handed out: after every
 * step the free frames and the free blocks of every order must be what a
 * buddy allocator that merges all it can would have.  The simulated RAM is
 * watched by AddressSanitizer: everything outside the range is poisoned,
 * and so is every block while the test holds it.  The allocator may use the
 * memory of free blocks (pmm_frame), but touching a block it handed out, or
 * a frame outside its range (a buddy that is not there), stops the program
 * with a report naming the line of buddy.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sanitizer/asan_interface.h>
#include "buddy.h"
#include "kheap.h"

extern uint8_t *host_ram;                       /* buddy_pmm_host.c */
extern const uint64_t host_ram_base, host_ram_size;

#define MIB        (1024u * 1024u)
#define MAX_ORDER  BUDDY_MAX_ORDER
#define RAM_FRAMES (48u * MIB / PAGE_SIZE)      /* host_ram_size in frames */
#define MAX_LIVE   256

/* used[o][j]: how many frames of the aligned block j of order o (counted
 * from host_ram_base, which is aligned to the largest block) are handed
 * out.  A block is free in the model when its count is 0. */
static uint16_t used[MAX_ORDER + 1][RAM_FRAMES];

struct live {
    phys_addr_t pa;
    unsigned order;
};

/* The state of one run: the range, the blocks the test holds, the last one
 * it gave back (for double frees), the errors buddy_free should have
 * counted. */
struct run {
    phys_addr_t start;
    uint32_t npages, free;
    struct live live[MAX_LIVE];
    int nlive;
    struct live freed;
    bool bad_frees;
    unsigned errors;
    unsigned seed;
    int step;
};

static uint8_t *
ram(phys_addr_t pa)
{
    return host_ram + (pa - host_ram_base);
}

/* The frame number of PA counted from host_ram_base. */
static uint32_t
frame(phys_addr_t pa)
{
    return (uint32_t)((pa - host_ram_base) / PAGE_SIZE);
}

/* Add DELTA (+1 taken, -1 given back) to the model for the block of ORDER
 * at PA: every aligned block of every order that overlaps it. */
static void
mark(phys_addr_t pa, unsigned order, int delta)
{
    uint32_t f = frame(pa), n = 1u << order;
    for (unsigned o = 0; o <= MAX_ORDER; o++) {
        int add = delta * (int)(o < order ? 1u << o : n);
        for (uint32_t j = f >> o; j <= (f + n - 1) >> o; j++)
            used[o][j] = (uint16_t)(used[o][j] + add);
    }
}

/* The order of the largest block buddy_init makes at frame F of R: aligned
 * to its size, inside the range, at most MAX_ORDER. */
static unsigned
init_order(const struct run *r, uint32_t f)
{
    uint32_t end = frame(r->start) + r->npages;
    unsigned o = 0;
    while (o < MAX_ORDER && f % (2u << o) == 0 && f + (2u << o) <= end)
        o++;
    return o;
}

/* Count in COUNTS the free blocks inside the block of ORDER at frame F:
 * itself if it is all free, else those of its halves. */
static void
count_free(uint32_t f, unsigned order, uint32_t counts[MAX_ORDER + 1])
{
    uint16_t u = used[order][f >> order];
    if (u == 0) {
        counts[order]++;
    } else if (u < (1u << order)) {
        count_free(f, order - 1, counts);
        count_free(f + (1u << (order - 1)), order - 1, counts);
    }
}

/* The free blocks of every order that a buddy allocator merging all it can
 * has over the range of R, given what the model says is handed out. */
static void
expected_blocks(const struct run *r, uint32_t counts[MAX_ORDER + 1])
{
    uint32_t end = frame(r->start) + r->npages;
    memset(counts, 0, sizeof(uint32_t) * (MAX_ORDER + 1));
    for (uint32_t f = frame(r->start); f < end; f += 1u << init_order(r, f))
        count_free(f, init_order(r, f), counts);
}

/* The order of the free block (in the model) that holds frame F, or -1 if
 * F is handed out. */
static int
free_block_order(const struct run *r, uint32_t f)
{
    uint32_t b = frame(r->start);
    while (b + (1u << init_order(r, b)) <= f)
        b += 1u << init_order(r, b);
    for (unsigned o = init_order(r, b); ; o--) {
        uint16_t u = used[o][f >> o];
        if (u == 0)
            return (int)o;
        if (u == (1u << o) || o == 0)
            return -1;
    }
}

/* Do buddy_free_frames and buddy_free_blocks agree with the model? */
static void
check_counts(const struct run *r)
{
    uint32_t want[MAX_ORDER + 1];
    expected_blocks(r, want);
    if (buddy_free_frames() != r->free)
        fail_msg("seed %u step %d: buddy_free_frames() is %u, expected %u", r->seed, r->step,
                 buddy_free_frames(), r->free);
    for (unsigned o = 0; o <= MAX_ORDER; o++)
        if (buddy_free_blocks(o) != want[o])
            fail_msg("seed %u step %d: buddy_free_blocks(%u) is %u, expected %u (blocks that can merge, "
                     "merged)", r->seed, r->step, o, buddy_free_blocks(o), want[o]);
    if (buddy_errors != r->errors)
        fail_msg("seed %u step %d: buddy_errors is %u, expected %u", r->seed, r->step, buddy_errors, r->errors);
}

/* A tag for the block of ORDER at PA, kept in its first and last 8 bytes
 * while the test holds it. */
static uint64_t
tag(phys_addr_t pa, unsigned order)
{
    return ((uint64_t)pa << 8 | order) * 0x9E3779B97F4A7C15ull;
}

/* The test takes the block: tag it, then poison it (the allocator must not
 * touch it until it comes back). */
static void
hold(phys_addr_t pa, unsigned order)
{
    size_t size = (size_t)PAGE_SIZE << order;
    uint64_t t = tag(pa, order);
    memcpy(ram(pa), &t, 8);
    memcpy(ram(pa) + size - 8, &t, 8);
    ASAN_POISON_MEMORY_REGION(ram(pa), size);
}

/* The test gives the block back: unpoison it, check its tags. */
static void
release(const struct run *r, phys_addr_t pa, unsigned order)
{
    size_t size = (size_t)PAGE_SIZE << order;
    uint64_t t = tag(pa, order), first, last;
    ASAN_UNPOISON_MEMORY_REGION(ram(pa), size);
    memcpy(&first, ram(pa), 8);
    memcpy(&last, ram(pa) + size - 8, 8);
    if (first != t || last != t)
        fail_msg("seed %u step %d: the block at 0x%08x (order %u) was written while it was handed out "
                 "(handed out twice, or the allocator wrote into it)", r->seed, r->step, pa, order);
}

/* A random order: mostly small, sometimes up to MAX_ORDER. */
static unsigned
random_order(void)
{
    return rand() % 4 ? (unsigned)(rand() % 4) : (unsigned)(rand() % (MAX_ORDER + 1));
}

/* buddy_alloc of a random order: PMM_NO_FRAME exactly when the model has no
 * free block that large; else a block aligned to its size, free in the
 * model, and cut from the smallest free block large enough. */
static void
step_alloc(struct run *r)
{
    unsigned order = random_order();
    uint32_t want[MAX_ORDER + 1];
    expected_blocks(r, want);
    int smallest = -1;
    for (unsigned o = MAX_ORDER + 1; o-- > order; )
        smallest = want[o] ? (int)o : smallest;
    phys_addr_t pa = buddy_alloc(order);
    if (smallest < 0) {
        if (pa != PMM_NO_FRAME)
            fail_msg("seed %u step %d: buddy_alloc(%u) gave 0x%08x; no free block is that large", r->seed,
                     r->step, order, pa);
        return;
    }
    uint64_t size = (uint64_t)PAGE_SIZE << order;
    if (pa == PMM_NO_FRAME)
        fail_msg("seed %u step %d: buddy_alloc(%u) found nothing; there is a free block of order %d", r->seed,
                 r->step, order, smallest);
    if (pa % size || pa < r->start || pa + size > r->start + (uint64_t)r->npages * PAGE_SIZE)
        fail_msg("seed %u step %d: buddy_alloc(%u) gave 0x%08x: not aligned to its size, or outside the range",
                 r->seed, r->step, order, pa);
    int from = free_block_order(r, frame(pa));
    if (from < 0 || used[order][frame(pa) >> order])
        fail_msg("seed %u step %d: buddy_alloc(%u) gave 0x%08x, which overlaps a block handed out", r->seed,
                 r->step, order, pa);
    if (from != smallest)
        fail_msg("seed %u step %d: buddy_alloc(%u) split a free block of order %d; the smallest large enough "
                 "has order %d", r->seed, r->step, order, from, smallest);
    mark(pa, order, +1);
    r->free -= 1u << order;
    r->live[r->nlive++] = (struct live){ pa, order };
    hold(pa, order);
}

/* buddy_free of a random block the test holds: MEM_SUCCESS. */
static void
step_free(struct run *r)
{
    int k = rand() % r->nlive;
    struct live b = r->live[k];
    r->live[k] = r->live[--r->nlive];
    release(r, b.pa, b.order);
    if (buddy_free(b.pa, b.order) != MEM_SUCCESS)
        fail_msg("seed %u step %d: buddy_free(0x%08x, %u) of a block buddy_alloc(%u) gave was refused", r->seed,
                 r->step, b.pa, b.order, b.order);
    mark(b.pa, b.order, -1);
    r->free += 1u << b.order;
    r->freed = b;
}

/* buddy_free(PA, ORDER) must be refused (WHY says why): MEM_INVALID, one
 * more buddy_errors, and (checked by the caller) nothing changed. */
static void
expect_refused(struct run *r, phys_addr_t pa, unsigned order, const char *why)
{
    r->errors++;
    if (buddy_free(pa, order) != MEM_INVALID)
        fail_msg("seed %u step %d: buddy_free(0x%08x, %u) accepted: %s", r->seed, r->step, pa, order, why);
}

/* A few bad frees: a double free of the block given back last (unless it
 * was handed out again since), the wrong order, inside a block, an
 * unaligned address, outside the range, an order too large. */
static void
step_bad_frees(struct run *r)
{
    phys_addr_t end = r->start + r->npages * PAGE_SIZE;
    if (r->freed.pa != PMM_NO_FRAME && free_block_order(r, frame(r->freed.pa)) >= 0)
        expect_refused(r, r->freed.pa, r->freed.order, "a double free");
    if (r->nlive) {
        struct live b = r->live[rand() % r->nlive];
        expect_refused(r, b.pa, b.order == MAX_ORDER ? 0 : b.order + 1, "the wrong order");
        if (b.order > 0) {
            expect_refused(r, b.pa, b.order - 1, "the wrong order");
            expect_refused(r, b.pa + PAGE_SIZE * (1 + rand() % ((1u << b.order) - 1)), 0, "inside a block");
        }
        expect_refused(r, b.pa + 8, b.order, "not page-aligned");
        expect_refused(r, b.pa, MAX_ORDER + 1 + rand() % 20, "an order above BUDDY_MAX_ORDER");
    }
    expect_refused(r, r->start - PAGE_SIZE, 0, "outside the range (below)");
    expect_refused(r, end, 0, "outside the range (above)");
}

/* Set up R for the range [START, START + NPAGES frames): the simulated RAM
 * poisoned outside it, the model empty, buddy_init called. */
static void
start_run(struct run *r, phys_addr_t start, uint32_t npages)
{
    ASAN_POISON_MEMORY_REGION(host_ram, host_ram_size);
    ASAN_UNPOISON_MEMORY_REGION(ram(start), (size_t)npages * PAGE_SIZE);
    memset(used, 0, sizeof(used));
    r->start = start;
    r->npages = r->free = npages;
    r->nlive = 0;
    r->freed = (struct live){ PMM_NO_FRAME, 0 };
    r->errors = buddy_errors;
    if (buddy_init(start, npages) != MEM_SUCCESS)
        fail_msg("buddy_init(0x%08x, %u) refused", start, npages);
}

/* STEPS random steps over the range [START, START + NPAGES frames), the
 * counts checked after each; then every block given back, which must merge
 * into the blocks buddy_init made. */
static void
random_run(unsigned seed, phys_addr_t start, uint32_t npages, int steps, bool bad_frees)
{
    static struct run r;
    srand(seed);
    r.seed = seed;
    r.bad_frees = bad_frees;
    start_run(&r, start, npages);
    check_counts(&r);
    for (r.step = 0; r.step < steps; r.step++) {
        int op = rand() % 8;
        if (op < 4 && r.nlive < MAX_LIVE)
            step_alloc(&r);
        else if (op < 7 && r.nlive > 0)
            step_free(&r);
        else if (bad_frees)
            step_bad_frees(&r);
        check_counts(&r);
    }
    while (r.nlive > 0)
        step_free(&r);
    check_counts(&r);
    if (buddy_free_frames() != npages)
        fail_msg("seed %u: all given back, %u free frames of %u", seed, buddy_free_frames(), npages);
    ASAN_UNPOISON_MEMORY_REGION(host_ram, host_ram_size);
}

/* A random range: page-aligned, starting in [12 MiB, 20 MiB), of 1 to
 * BUDDY_MAX_PAGES frames (inside the simulated RAM). */
static void
random_range(unsigned seed, phys_addr_t *start, uint32_t *npages)
{
    srand(seed * 7919);
    *start = 12 * MIB + (phys_addr_t)(rand() % 2048) * PAGE_SIZE;
    *npages = rand() % 2 ? 1 + (uint32_t)rand() % BUDDY_MAX_PAGES : 1 + (uint32_t)rand() % 600;
}

/* Random buddy_alloc and buddy_free of orders 0 to 10 against the model:
 * 32 MiB from 16 MiB, the statement's odd range, and random ranges. */
static void
buddy_random_against_a_model(void **state)
{
    random_run(1, 16 * MIB, BUDDY_MAX_PAGES, 4000, false);
    random_run(2, 16 * MIB + 3 * PAGE_SIZE, 1029, 3000, false);
    for (unsigned seed = 3; seed <= 20; seed++) {
        phys_addr_t start;
        uint32_t npages;
        random_range(seed, &start, &npages);
        random_run(seed, start, npages, 2000, false);
    }
}

/* The same with bad frees mixed in: each refused, counted once, and
 * changing nothing. */
static void
buddy_random_bad_frees(void **state)
{
    random_run(101, 16 * MIB, BUDDY_MAX_PAGES, 3000, true);
    for (unsigned seed = 102; seed <= 110; seed++) {
        phys_addr_t start;
        uint32_t npages;
        random_range(seed, &start, &npages);
        random_run(seed, start, npages, 2000, true);
    }
}

/* The simulated RAM (page-aligned, as frames are), and a heap for a
 * buddy.c that uses kmalloc, as the kernel has one when the buddy starts. */
static int
setup_ram(void **state)
{
    static _Alignas(16) uint8_t heap[64 * 1024];
    host_ram = aligned_alloc(PAGE_SIZE, host_ram_size);
    heap_init(heap, sizeof(heap));
    return host_ram ? 0 : -1;
}

static int
teardown_ram(void **state)
{
    free(host_ram);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buddy_random_against_a_model),
        cmocka_unit_test(buddy_random_bad_frees),
    };
    return cmocka_run_group_tests(tests, setup_ram, teardown_ram);
}
