/* grade_contiguous.c: graded tests of exercise ch2-contiguous (runs of
 * physically contiguous frames).  Each test is booted on its own. */
#include "ktest.h"
#include "pmm.h"
#include "kheap.h"
#include "kstring.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* Is [PA, PA + PAGE_SIZE) usable RAM in the memory map, and clear of every
 * range the allocator keeps for itself and the kernel? */
static bool
frame_may_be_handed_out(phys_addr_t pa)
{
    const struct pmm_ranges *r = pmm_reserved();
    for (int i = 0; i < r->n; i++)
        if (pa + (uint64_t)PAGE_SIZE > r->r[i].start && pa < r->r[i].end)
            return false;
    const uint8_t *p = P2V(boot_info->mmap_addr), *end = p + boot_info->mmap_length;
    bool usable = false;
    for (; p < end; p += ((const struct multiboot_mmap_entry *)p)->size + 4) {
        const struct multiboot_mmap_entry *e = (const void *)p;
        bool inside = pa >= e->addr && pa + (uint64_t)PAGE_SIZE <= e->addr + e->len;
        bool touches = pa < e->addr + e->len && pa + (uint64_t)PAGE_SIZE > e->addr;
        if (e->type == MULTIBOOT_MEMORY_AVAILABLE && inside)
            usable = true;
        else if (e->type != MULTIBOOT_MEMORY_AVAILABLE && touches)
            return false;
    }
    return usable;
}

/* How many frames of [PA, PA + N frames) may not be handed out. */
static uint32_t
bad_frames(phys_addr_t pa, uint32_t n)
{
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++)
        bad += !frame_may_be_handed_out(pa + i * PAGE_SIZE);
    return bad;
}

#define TRACKED_FRAMES (128 * MIB / PAGE_SIZE)
static uint32_t drained[TRACKED_FRAMES / 32];  /* bit f: the last drain took frame f */

/* Take every frame pmm_alloc_page still hands out, chained through the
 * frames themselves; count them in *N and those inside [LO, HI) in
 * *INSIDE, and note them in drained[].  Returns the chain for give_back. */
static phys_addr_t
drain(uint32_t *n, uint32_t *inside, uint64_t lo, uint64_t hi)
{
    phys_addr_t last = PMM_NO_FRAME, pa;
    *n = *inside = 0;
    memset(drained, 0, sizeof drained);
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        *(phys_addr_t *)pmm_frame(pa) = last;
        last = pa;
        (*n)++;
        *inside += pa >= lo && pa < hi;
        if (pa / PAGE_SIZE < TRACKED_FRAMES)
            drained[pa / PAGE_SIZE / 32] |= 1u << (pa / PAGE_SIZE % 32);
    }
    return last;
}

/* The first frame of a run of N frames that the last drain took, starting
 * at a multiple of STEP frames below frame LIMIT, or PMM_NO_FRAME: a run
 * that was free, and lower than the one pmm_alloc_contiguous chose. */
static phys_addr_t
drained_run_below(uint32_t limit, uint32_t n, uint32_t step)
{
    for (uint32_t f = 0; f < limit && f + n <= TRACKED_FRAMES; f += step) {
        uint32_t i = 0;
        while (i < n && (drained[(f + i) / 32] & (1u << ((f + i) % 32))))
            i++;
        if (i == n)
            return f * PAGE_SIZE;
    }
    return PMM_NO_FRAME;
}

/* Free every frame of a chain made by drain. */
static void
give_back(phys_addr_t last)
{
    while (last != PMM_NO_FRAME) {
        phys_addr_t prev = *(phys_addr_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev;
    }
}

/* 16 frames aligned to 64 KiB: a run of usable, free frames, counted in
 * the statistics; the next such run lies above it. */
KTEST(ex_contiguous_aligned_free_run)
{
    /* Hold frames up to one on a 64 KiB boundary, so that the lowest free
     * frame is not aligned, whatever the size of the kernel. */
    phys_addr_t held;
    int n = 0;
    do
        held = pmm_alloc_page();
    while (held != PMM_NO_FRAME && held % (64 * KIB) != 0 && ++n < 16);
    uint32_t before = pmm_free_frames();
    phys_addr_t pa = pmm_alloc_contiguous(16, 64 * KIB);
    KCHECK(pa != PMM_NO_FRAME);
    if (pa == PMM_NO_FRAME)
        return;
    KCHECK_EQ(pa % (64 * KIB), 0);                  /* aligned to 64 KiB */
    KCHECK_EQ(bad_frames(pa, 16), 0);               /* usable RAM, not reserved */
    KCHECK(held < pa || held >= pa + 16 * PAGE_SIZE);   /* was free: not the held frame */
    KCHECK_EQ(pmm_free_frames(), before - 16);
    memory_stats_t s;
    memory_get_stats(&s);
    KCHECK_EQ(s.free_physical, (before - 16) * PAGE_SIZE);
    KCHECK_EQ(s.used_physical + s.free_physical, s.total_physical);
    memset(pmm_frame(pa), 0x5A, 16 * PAGE_SIZE);    /* it is ours: all 64 KiB */
    phys_addr_t next = pmm_alloc_contiguous(16, 64 * KIB);
    KCHECK(next != PMM_NO_FRAME);
    KCHECK(next >= pa + 16 * PAGE_SIZE);            /* lowest first, and not the same run */
    KCHECK_EQ(next % (64 * KIB), 0);
    KCHECK_EQ(pmm_free_frames(), before - 32);
}

/* The frames of a run leave the stack: pmm_alloc_page never hands them out,
 * and it hands out exactly the frames that are left. */
KTEST(ex_contiguous_frames_leave_the_stack)
{
    uint32_t before = pmm_free_frames(), n, inside;
    phys_addr_t pa = pmm_alloc_contiguous(16, 64 * KIB);
    KCHECK(pa != PMM_NO_FRAME);
    if (pa == PMM_NO_FRAME)
        return;
    phys_addr_t chain = drain(&n, &inside, pa, pa + 16 * PAGE_SIZE);
    KCHECK_EQ(inside, 0);                           /* none of the run handed out again */
    KCHECK_EQ(n, before - 16);                      /* and every other free frame once */
    KCHECK_EQ(pmm_free_frames(), 0);
    phys_addr_t lower = drained_run_below(pa / PAGE_SIZE, 16, 16);
    if (lower != PMM_NO_FRAME)                      /* the run chosen was the lowest */
        ktest_fail(__FILE__, __LINE__, "pmm_alloc_contiguous(16, 64 KiB) = 0x%08x, but the 16 frames "
                   "from 0x%08x were free and aligned: the lowest run comes first", pa, lower);
    give_back(chain);
    KCHECK_EQ(pmm_free_frames(), before - 16);
    KCHECK_EQ(pmm_free_contiguous(pa, 16), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_frames(), before);
}

/* Freeing a run restores the free count exactly; the frames are poisoned,
 * pmm_alloc_page hands them out again, and the same run is found again. */
KTEST(ex_contiguous_free_restores)
{
    uint32_t before = pmm_free_frames(), n, inside;
    unsigned errors = pmm_errors;
    phys_addr_t pa = pmm_alloc_contiguous(16, 64 * KIB);
    KCHECK(pa != PMM_NO_FRAME);
    if (pa == PMM_NO_FRAME)
        return;
    uint8_t *p = pmm_frame(pa);
    memset(p, 0x11, 16 * PAGE_SIZE);
    KCHECK_EQ(pmm_free_contiguous(pa, 16), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_frames(), before);
    KCHECK(p[0] == PMM_POISON && p[16 * PAGE_SIZE - 1] == PMM_POISON);
    KCHECK_EQ(pmm_free_contiguous(pa, 16), MEM_INVALID);    /* a double free */
    KCHECK_EQ(pmm_errors, errors + 1);
    KCHECK_EQ(pmm_free_frames(), before);
    KCHECK_EQ(pmm_alloc_contiguous(16, 64 * KIB), pa);      /* the lowest run, again */
    KCHECK_EQ(pmm_free_contiguous(pa + 8 * PAGE_SIZE, 8), MEM_SUCCESS);  /* half of it */
    KCHECK_EQ(pmm_free_frames(), before - 8);
    KCHECK_EQ(pmm_free_contiguous(pa, 16), MEM_INVALID);    /* half free: refused whole */
    KCHECK_EQ(pmm_free_frames(), before - 8);
    KCHECK_EQ(pmm_free_contiguous(pa, 8), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_frames(), before);
    phys_addr_t chain = drain(&n, &inside, pa, pa + 16 * PAGE_SIZE);
    KCHECK_EQ(n, before);                           /* the stack is whole again */
    KCHECK_EQ(inside, 16);
    give_back(chain);
    KCHECK_EQ(pmm_free_frames(), before);
}

/* Impossible and malformed requests return PMM_NO_FRAME (or MEM_INVALID)
 * and leave the pool as it was; a possible one still works afterwards. */
KTEST(ex_contiguous_refuses_impossible)
{
    uint32_t before = pmm_free_frames();
    KCHECK_EQ(pmm_alloc_contiguous(before + 1, PAGE_SIZE), PMM_NO_FRAME);  /* more than free */
    KCHECK_EQ(pmm_alloc_contiguous(0, PAGE_SIZE), PMM_NO_FRAME);
    KCHECK_EQ(pmm_alloc_contiguous(1, 0), PMM_NO_FRAME);
    KCHECK_EQ(pmm_alloc_contiguous(1, 2048), PMM_NO_FRAME);                /* below PAGE_SIZE */
    KCHECK_EQ(pmm_alloc_contiguous(1, 3 * PAGE_SIZE), PMM_NO_FRAME);       /* not a power of two */
    KCHECK_EQ(pmm_alloc_contiguous(1, 0x12345u), PMM_NO_FRAME);
    KCHECK_EQ(pmm_alloc_contiguous(1, 0x80000000u), PMM_NO_FRAME);         /* only frame 0 there */
    /* as many frames as are free, but the heap at 5 MiB splits them */
    KCHECK_EQ(pmm_alloc_contiguous(before, PAGE_SIZE), PMM_NO_FRAME);
    KCHECK_EQ(pmm_free_frames(), before);
    unsigned errors = pmm_errors;
    phys_addr_t pa = pmm_alloc_page();
    pmm_free_page(pa);
    KCHECK_EQ(pmm_free_contiguous(pa, 1), MEM_INVALID);                    /* a free frame */
    KCHECK_EQ(pmm_free_contiguous((phys_addr_t)V2P(_kernel_start), 2), MEM_INVALID);
    KCHECK_EQ(pmm_errors, errors + 2);
    KCHECK_EQ(pmm_free_frames(), before);
    phys_addr_t one = pmm_alloc_contiguous(1, PAGE_SIZE);                  /* still works */
    KCHECK(one != PMM_NO_FRAME);
    KCHECK_EQ(pmm_free_frames(), before - 1);
    KCHECK_EQ(pmm_free_contiguous(one, 1), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_frames(), before);
}

/* With 128 MiB: a 16 MiB run aligned to 4 MiB (what a buddy allocator's
 * largest blocks need), taken from the stack and given back. */
KTEST(ex_contiguous_large_run)
{
    uint32_t before = pmm_free_frames(), n, inside;
    phys_addr_t pa = pmm_alloc_contiguous(4096, 4 * MIB);
    KCHECK(pa != PMM_NO_FRAME);
    if (pa == PMM_NO_FRAME)
        return;
    KCHECK_EQ(pa % (4 * MIB), 0);
    KCHECK_EQ(bad_frames(pa, 4096), 0);
    KCHECK_EQ(pmm_free_frames(), before - 4096);
    phys_addr_t chain = drain(&n, &inside, pa, pa + 16 * MIB);
    KCHECK_EQ(inside, 0);
    KCHECK_EQ(n, before - 4096);
    give_back(chain);
    KCHECK_EQ(pmm_free_contiguous(pa, 4096), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_frames(), before);
}

/* The lowest run, also just after a taken frame: with every free frame up
 * to R taken (R: the start of the lowest run of 8), the lowest run of 7, 6
 * and 5 page-aligned frames starts at R + 1.  A search that jumps a whole
 * run length ahead after a taken frame misses it. */
KTEST(ex_contiguous_lowest_run_after_a_taken_frame)
{
    static phys_addr_t held[8192];
    uint32_t before = pmm_free_frames(), n = 0;
    phys_addr_t r = pmm_alloc_contiguous(8, PAGE_SIZE);
    KCHECK(r != PMM_NO_FRAME);
    if (r == PMM_NO_FRAME)
        return;
    KCHECK_EQ(pmm_free_contiguous(r, 8), MEM_SUCCESS);
    phys_addr_t pa;
    while (n < ARRAY_SIZE(held) && (pa = pmm_alloc_contiguous(1, PAGE_SIZE)) != PMM_NO_FRAME) {
        held[n++] = pa;                             /* the lowest free frames, up to R */
        if (pa >= r)
            break;
    }
    KCHECK_EQ(n > 0 ? held[n - 1] : PMM_NO_FRAME, r);
    if (n > 0 && held[n - 1] == r) {
        for (uint32_t len = 7; len >= 5; len--) {
            phys_addr_t got = pmm_alloc_contiguous(len, PAGE_SIZE);
            if (got != r + PAGE_SIZE)
                ktest_fail(__FILE__, __LINE__, "with every free frame up to 0x%08x taken, the lowest run of %u "
                           "frames starts at 0x%08x; pmm_alloc_contiguous returned 0x%08x",
                           r, len, r + PAGE_SIZE, got);
            if (got != PMM_NO_FRAME)
                pmm_free_contiguous(got, len);
        }
    }
    while (n > 0)
        pmm_free_contiguous(held[--n], 1);
    KCHECK_EQ(pmm_free_frames(), before);
}
