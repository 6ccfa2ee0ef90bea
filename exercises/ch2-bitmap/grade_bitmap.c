/* grade_bitmap.c: graded tests of exercise ch2-bitmap (a next-fit bitmap
 * allocator instead of the stack).  Each test is booted on its own, so the
 * allocator starts with its cursor at frame 0 and nothing allocated. */
#include "ktest.h"
#include "pmm.h"
#include "kheap.h"
#include "kstring.h"

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

/* Allocate every frame, check each, free them all: every frame is handed
 * out exactly once and the count is exact. */
static void
every_frame_once(void)
{
    uint32_t before = pmm_free_frames(), n = 0, bad = 0;
    phys_addr_t last = PMM_NO_FRAME, pa;
    KCHECK(before > 0);
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME && n <= before) {
        if (!IS_ALIGNED(pa, PAGE_SIZE) || pa < LOW_MEMORY_END || !frame_may_be_handed_out(pa))
            bad++;
        uint32_t *w = pmm_frame(pa);
        w[0] = last;                    /* the chain, kept in the frames */
        w[1] = ~pa;                     /* the tag: overwritten if a frame comes twice */
        last = pa;
        n++;
    }
    KCHECK_EQ(bad, 0);                  /* frames that may not be handed out */
    KCHECK_EQ(n, before);               /* handed out: as many as were free */
    KCHECK_EQ(pmm_free_frames(), 0);
    uint32_t walked = 0;
    while (last != PMM_NO_FRAME && walked <= n) {
        uint32_t *w = pmm_frame(last);
        phys_addr_t prev = w[0];
        if (w[1] != ~last)
            bad++;
        if (pmm_free_page(last) != MEM_SUCCESS)
            bad++;
        last = prev;
        walked++;
    }
    KCHECK_EQ(walked, n);               /* fewer: a frame was handed out twice */
    KCHECK_EQ(bad, 0);
    KCHECK_EQ(pmm_free_frames(), before);
}

KTEST(ex_bitmap_every_frame_once)
{
    every_frame_once();
}

/* Next fit: the search starts after the last frame handed out, so frames
 * come in increasing order, a freed frame below the cursor comes back only
 * after the search wraps around, and then the lowest free frame first. */
KTEST(ex_bitmap_next_fit_order)
{
    uint32_t before = pmm_free_frames(), n = 0, drops = 0;
    phys_addr_t a = pmm_alloc_page(), b = pmm_alloc_page();
    KCHECK(a != PMM_NO_FRAME && b != PMM_NO_FRAME);
    KCHECK(a < b);                                  /* upwards from frame 0 */
    KCHECK_EQ(pmm_free_page(a), MEM_SUCCESS);
    phys_addr_t c = pmm_alloc_page();
    KCHECK(c > b);                                  /* not a: it is behind the cursor */
    phys_addr_t prev = c, last = PMM_NO_FRAME, pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME && n <= before) {
        if (pa < prev)
            drops++;                                /* the search wrapped around */
        *(phys_addr_t *)pmm_frame(pa) = last;
        prev = last = pa;
        n++;
    }
    KCHECK_EQ(n, before - 2);
    KCHECK_EQ(drops, 1);                            /* increasing, one wrap ... */
    KCHECK_EQ(last, a);                             /* ... to the only frame behind: a */
    KCHECK_EQ(pmm_free_page(b), MEM_SUCCESS);       /* b then c: a stack would give c */
    KCHECK_EQ(pmm_free_page(c), MEM_SUCCESS);
    KCHECK_EQ(pmm_alloc_page(), b);                 /* the cursor is just above a */
    KCHECK_EQ(pmm_alloc_page(), c);
    pmm_free_page(b);
    pmm_free_page(c);
    while (last != PMM_NO_FRAME) {
        phys_addr_t prev_in_chain = *(phys_addr_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev_in_chain;
    }
    KCHECK_EQ(pmm_free_frames(), before);
}

/* Bad frees are still refused, a double free in particular (the bitmap
 * says the frame is free), each counted once in pmm_errors. */
KTEST(ex_bitmap_refuses_bad_frees)
{
    uint32_t before = pmm_free_frames();
    unsigned errors = pmm_errors;
    phys_addr_t pa = pmm_alloc_page();
    KCHECK(pa != PMM_NO_FRAME);
    KCHECK_EQ(pmm_free_frames(), before - 1);
    KCHECK_EQ(pmm_free_page(pa + 12), MEM_INVALID);                 /* misaligned */
    KCHECK_EQ(pmm_free_page(0), MEM_INVALID);                       /* frame 0 */
    KCHECK_EQ(pmm_free_page((phys_addr_t)V2P(_kernel_start)), MEM_INVALID);
    KCHECK_EQ(pmm_free_page(HEAP_START), MEM_INVALID);              /* chapter 1's heap */
    KCHECK_EQ(pmm_free_page((phys_addr_t)pmm_metadata().start), MEM_INVALID);
    KCHECK_EQ(pmm_free_page(0xFFFFF000u), MEM_INVALID);             /* not RAM */
    uint8_t *p = pmm_frame(pa);
    memset(p, 0x11, PAGE_SIZE);
    KCHECK_EQ(pmm_free_page(pa), MEM_SUCCESS);
    KCHECK(p[0] == PMM_POISON && p[PAGE_SIZE - 1] == PMM_POISON);   /* poisoned */
    KCHECK_EQ(pmm_free_page(pa), MEM_INVALID);                      /* double free */
    KCHECK_EQ(pmm_errors, errors + 7);
    KCHECK_EQ(pmm_free_frames(), before);
}

/* The statistics follow the bitmap exactly. */
KTEST(ex_bitmap_statistics_exact)
{
    memory_stats_t s, t;
    memory_get_stats(&s);
    KCHECK(s.free_physical > 0);
    KCHECK_EQ(s.free_physical, pmm_free_frames() * PAGE_SIZE);
    KCHECK_EQ(s.used_physical + s.free_physical, s.total_physical);
    phys_addr_t pa = pmm_alloc_page(), pb = pmm_alloc_page();
    memory_get_stats(&t);
    KCHECK_EQ(t.free_physical, s.free_physical - 2 * PAGE_SIZE);
    KCHECK_EQ(t.used_physical, s.used_physical + 2 * PAGE_SIZE);
    pmm_free_page(pa);
    pmm_free_page(pb);
    memory_get_stats(&t);
    KCHECK_EQ(t.free_physical, s.free_physical);
}

/* Every frame once with 128 MiB: thousands of words of bitmap. */
KTEST(ex_bitmap_every_frame_128m)
{
    every_frame_once();
}

/* After the wrap, the cursor's own word is searched whole: the last free
 * frame, just below the cursor in the cursor's word, is found. */
KTEST(ex_bitmap_wraps_to_the_cursors_word)
{
    uint32_t before = pmm_free_frames(), n = 0;
    phys_addr_t last = PMM_NO_FRAME, pa, x = PMM_NO_FRAME;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME && n <= before) {
        if (x == PMM_NO_FRAME && last != PMM_NO_FRAME && pa == last + PAGE_SIZE && last / PAGE_SIZE % 32 <= 29)
            x = last;                               /* x and the frame after it: one word, not its end */
        *(phys_addr_t *)pmm_frame(pa) = last;
        last = pa;
        n++;
    }
    KCHECK_EQ(n, before);
    KCHECK(x != PMM_NO_FRAME);
    if (n != before || x == PMM_NO_FRAME)
        return;
    phys_addr_t y = x + PAGE_SIZE;
    phys_addr_t cx = *(phys_addr_t *)pmm_frame(x), cy = *(phys_addr_t *)pmm_frame(y);
    KCHECK_EQ(pmm_free_page(x), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_page(y), MEM_SUCCESS);
    KCHECK_EQ(pmm_alloc_page(), x);                 /* wrapped: the lowest free frame; the cursor is y */
    KCHECK_EQ(pmm_free_page(x), MEM_SUCCESS);
    KCHECK_EQ(pmm_alloc_page(), y);                 /* at the cursor; the cursor moves past y */
    phys_addr_t again = pmm_alloc_page();           /* x, the only free frame, just below the cursor */
    if (again != x)
        ktest_fail(__FILE__, __LINE__, "with only frame 0x%08x free (below the cursor, in its word), "
                   "pmm_alloc_page returned 0x%08x", x, again);
    *(phys_addr_t *)pmm_frame(x) = cx;
    *(phys_addr_t *)pmm_frame(y) = cy;
    KCHECK_EQ(pmm_free_frames(), 0);
    while (last != PMM_NO_FRAME) {
        phys_addr_t prev = *(phys_addr_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev;
    }
    KCHECK_EQ(pmm_free_frames(), before);
}
