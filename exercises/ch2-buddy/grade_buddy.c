/* grade_buddy.c: graded tests of exercise ch2-buddy.  Each test is booted
 * on its own; it takes a range of frames from the frame allocator and
 * gives it to buddy_init. */
#include "ktest.h"
#include "buddy.h"
#include "kheap.h"
#include "kstring.h"

#define MIB (1024u * 1024u)

/* Take the NPAGES frames from START out of the frame allocator for the
 * buddy allocator: allocate every frame, keep those in the range and give
 * back the others.  False (and a failed check) if some are not free. */
static bool
claim(phys_addr_t start, uint32_t npages)
{
    uint64_t end = start + (uint64_t)npages * PAGE_SIZE;
    phys_addr_t last = PMM_NO_FRAME, pa;
    uint32_t inside = 0;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        if (pa >= start && pa < end) {
            inside++;
            continue;
        }
        *(phys_addr_t *)pmm_frame(pa) = last;
        last = pa;
    }
    while (last != PMM_NO_FRAME) {
        phys_addr_t prev = *(phys_addr_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev;
    }
    KCHECK_EQ(inside, npages);          /* the test's range should be free RAM */
    return inside == npages;
}

/* Is the block of ORDER at PA inside [START, START + NPAGES frames) and
 * aligned to its size? */
static bool
good_block(phys_addr_t pa, unsigned order, phys_addr_t start, uint32_t npages)
{
    uint64_t size = (uint64_t)PAGE_SIZE << order;
    return pa != PMM_NO_FRAME && pa % size == 0 && pa >= start &&
           pa + size <= start + (uint64_t)npages * PAGE_SIZE;
}

/* Do the blocks [A, A + 2^KA frames) and [B, B + 2^KB frames) overlap? */
static bool
overlap(phys_addr_t a, unsigned ka, phys_addr_t b, unsigned kb)
{
    return a < b + ((uint64_t)PAGE_SIZE << kb) && b < a + ((uint64_t)PAGE_SIZE << ka);
}

/* How many orders have a free-block count other than EXPECTED[order]? */
static unsigned
wrong_counts(const uint32_t expected[BUDDY_MAX_ORDER + 1])
{
    unsigned wrong = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        if (buddy_free_blocks(k) != expected[k]) {
            kprintf("  order %u: %u free blocks, expected %u\n", k, buddy_free_blocks(k), expected[k]);
            wrong++;
        }
    return wrong;
}

/* buddy_init cuts a range into the largest blocks aligned to their size. */
KTEST(ex_buddy_init_cuts_aligned_blocks)
{
    KCHECK_EQ(buddy_alloc(0), PMM_NO_FRAME);                    /* no buddy_init yet */
    if (!claim(16 * MIB, 2048))
        return;
    KCHECK_EQ(buddy_init(16 * MIB, 2048), MEM_SUCCESS);        /* 8 MiB: two 4 MiB blocks */
    uint32_t two_max[BUDDY_MAX_ORDER + 1] = { [BUDDY_MAX_ORDER] = 2 };
    KCHECK_EQ(wrong_counts(two_max), 0);
    KCHECK_EQ(buddy_free_frames(), 2048);
    /* frames 4099 .. 5127: 1 + 4 + 8 + 8 + 16 + 32 + ... + 512 frames */
    KCHECK_EQ(buddy_init(16 * MIB + 3 * PAGE_SIZE, 1029), MEM_SUCCESS);
    uint32_t odd[BUDDY_MAX_ORDER + 1] = { 1, 0, 1, 2, 1, 1, 1, 1, 1, 1, 0 };
    KCHECK_EQ(wrong_counts(odd), 0);
    KCHECK_EQ(buddy_free_frames(), 1029);
    KCHECK_EQ(buddy_init(16 * MIB + 12, 16), MEM_INVALID);     /* not page-aligned */
    KCHECK_EQ(buddy_init(16 * MIB, 0), MEM_INVALID);
    KCHECK_EQ(buddy_init(16 * MIB, BUDDY_MAX_PAGES + 1), MEM_INVALID);
    KCHECK_EQ(buddy_init(0xFFFFE000u, 4), MEM_INVALID);         /* passes 4 GiB */
    KCHECK_EQ(buddy_free_frames(), 1029);                       /* nothing changed */
}

/* Allocating splits the smallest block large enough, keeping one half and
 * freeing the other at each order on the way down. */
KTEST(ex_buddy_splits)
{
    const phys_addr_t start = 16 * MIB;
    if (!claim(start, 1024))
        return;
    KCHECK_EQ(buddy_init(start, 1024), MEM_SUCCESS);           /* one block of order 10 */
    phys_addr_t p = buddy_alloc(0);
    KCHECK(good_block(p, 0, start, 1024));
    uint32_t split[BUDDY_MAX_ORDER + 1] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
    KCHECK_EQ(wrong_counts(split), 0);                          /* one of each order below 10 */
    KCHECK_EQ(buddy_free_frames(), 1023);
    phys_addr_t q = buddy_alloc(0);
    KCHECK_EQ(q, p ^ PAGE_SIZE);                                /* p's buddy */
    KCHECK_EQ(buddy_free_blocks(0), 0);
    phys_addr_t r = buddy_alloc(3);
    KCHECK(good_block(r, 3, start, 1024));                      /* aligned to 32 KiB */
    KCHECK(!overlap(r, 3, p, 1));
    KCHECK_EQ(buddy_free_blocks(3), 0);                         /* taken whole, no split */
    KCHECK_EQ(buddy_free_blocks(1), 1);
    KCHECK_EQ(buddy_free_frames(), 1024 - 2 - 8);
    phys_addr_t s = buddy_alloc(1);                             /* the order-1 block */
    KCHECK(good_block(s, 1, start, 1024));
    KCHECK_EQ(buddy_free_blocks(1), 0);
    phys_addr_t t = buddy_alloc(1);                             /* splits the order-2 block */
    KCHECK(good_block(t, 1, start, 1024));
    KCHECK_EQ(buddy_free_blocks(1), 1);
    KCHECK_EQ(buddy_free_blocks(2), 0);
    KCHECK_EQ(buddy_alloc(BUDDY_MAX_ORDER), PMM_NO_FRAME);     /* none left whole */
    KCHECK_EQ(buddy_alloc(BUDDY_MAX_ORDER + 1), PMM_NO_FRAME);
    KCHECK_EQ(buddy_free_frames(), 1024 - 2 - 8 - 4);
}

/* Blocks of every order, freed in a scrambled order, merge back into the
 * blocks buddy_init made; the counts return exactly. */
KTEST(ex_buddy_merges_back)
{
    const phys_addr_t start = 16 * MIB;
    if (!claim(start, 2048))
        return;
    KCHECK_EQ(buddy_init(start, 2048), MEM_SUCCESS);
    phys_addr_t b[BUDDY_MAX_ORDER + 1];
    unsigned bad = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        b[k] = buddy_alloc(k);
        bad += !good_block(b[k], k, start, 2048);
        for (unsigned j = 0; j < k; j++)
            bad += overlap(b[j], j, b[k], k);
        if (b[k] != PMM_NO_FRAME)
            memset(pmm_frame(b[k]), 0x40 + k, PAGE_SIZE << k);     /* the blocks are ours */
    }
    KCHECK_EQ(bad, 0);                                          /* misplaced or overlapping */
    KCHECK_EQ(buddy_free_frames(), 1);                          /* 2048 - (2^11 - 1) */
    static const unsigned order[] = { 3, 0, 10, 7, 1, 9, 5, 2, 8, 4, 6 };
    for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
        KCHECK_EQ(buddy_free(b[order[i]], order[i]), MEM_SUCCESS);
    uint32_t whole[BUDDY_MAX_ORDER + 1] = { [BUDDY_MAX_ORDER] = 2 };
    KCHECK_EQ(wrong_counts(whole), 0);                          /* merged back to 2 x 4 MiB */
    KCHECK_EQ(buddy_free_frames(), 2048);
    phys_addr_t x = buddy_alloc(BUDDY_MAX_ORDER), y = buddy_alloc(BUDDY_MAX_ORDER);
    KCHECK(good_block(x, BUDDY_MAX_ORDER, start, 2048) && good_block(y, BUDDY_MAX_ORDER, start, 2048));
    KCHECK(x != y);
    KCHECK_EQ(buddy_alloc(0), PMM_NO_FRAME);                    /* all taken */
}

/* With 128 MiB: 32 MiB of single frames, each handed out once, then all
 * freed (each merge cascading as far as it can) back into 8 blocks. */
KTEST(ex_buddy_every_frame_128m)
{
    const phys_addr_t start = 64 * MIB;
    const uint32_t npages = 8192;
    if (!claim(start, npages))
        return;
    KCHECK_EQ(buddy_init(start, npages), MEM_SUCCESS);
    uint32_t n = 0, bad = 0;
    phys_addr_t last = PMM_NO_FRAME, pa;
    while ((pa = buddy_alloc(0)) != PMM_NO_FRAME && n <= npages) {
        bad += !good_block(pa, 0, start, npages);
        uint32_t *w = pmm_frame(pa);
        w[0] = last;                                            /* the chain */
        w[1] = ~pa;                                             /* the tag */
        last = pa;
        n++;
    }
    KCHECK_EQ(bad, 0);
    KCHECK_EQ(n, npages);
    KCHECK_EQ(buddy_free_frames(), 0);
    uint32_t walked = 0;
    while (last != PMM_NO_FRAME && walked <= n) {
        uint32_t *w = pmm_frame(last);
        phys_addr_t prev = w[0];
        bad += w[1] != ~last;                                   /* handed out twice */
        bad += buddy_free(last, 0) != MEM_SUCCESS;
        last = prev;
        walked++;
    }
    KCHECK_EQ(walked, n);
    KCHECK_EQ(bad, 0);
    uint32_t whole[BUDDY_MAX_ORDER + 1] = { [BUDDY_MAX_ORDER] = 8 };
    KCHECK_EQ(wrong_counts(whole), 0);
    KCHECK_EQ(buddy_free_frames(), npages);
}

/* Bad frees are refused, one buddy_errors each, and change nothing:
 * the wrong order, the middle of a block, a double free (also of a block
 * that has merged since), outside the range, an order too large. */
KTEST(ex_buddy_refuses_bad_frees)
{
    const phys_addr_t start = 16 * MIB;
    if (!claim(start, 1024))
        return;
    KCHECK_EQ(buddy_init(start, 1024), MEM_SUCCESS);
    unsigned errors = buddy_errors;
    phys_addr_t p = buddy_alloc(1);
    KCHECK(good_block(p, 1, start, 1024));
    KCHECK_EQ(buddy_free(p, 0), MEM_INVALID);                   /* it has order 1 */
    KCHECK_EQ(buddy_free(p, 2), MEM_INVALID);
    KCHECK_EQ(buddy_free(p + PAGE_SIZE, 0), MEM_INVALID);       /* inside the block */
    KCHECK_EQ(buddy_free(start - 2 * PAGE_SIZE, 1), MEM_INVALID);   /* outside the range */
    KCHECK_EQ(buddy_free(p, BUDDY_MAX_ORDER + 1), MEM_INVALID);
    KCHECK_EQ(buddy_free_frames(), 1022);
    KCHECK_EQ(buddy_free(p, 1), MEM_SUCCESS);
    KCHECK_EQ(buddy_free(p, 1), MEM_INVALID);                   /* double free, merged away */
    phys_addr_t q = buddy_alloc(0), r = buddy_alloc(0);
    KCHECK_EQ(buddy_free(q, 0), MEM_SUCCESS);
    KCHECK_EQ(buddy_free(q, 0), MEM_INVALID);                   /* double free, still order 0 */
    KCHECK_EQ(buddy_free(r, 0), MEM_SUCCESS);
    KCHECK_EQ(buddy_errors, errors + 7);
    uint32_t whole[BUDDY_MAX_ORDER + 1] = { [BUDDY_MAX_ORDER] = 1 };
    KCHECK_EQ(wrong_counts(whole), 0);
    KCHECK_EQ(buddy_free_frames(), 1024);
}

/* A merge stays inside the range, at its end too: in a range of 2 MiB, the
 * 2 MiB block's buddy is outside (even where an earlier, larger range had a
 * free block), so freeing it makes no 4 MiB block. */
KTEST(ex_buddy_merges_only_inside_the_range)
{
    const phys_addr_t start = 16 * MIB;
    if (!claim(start, 1024))
        return;
    KCHECK_EQ(buddy_init(start, 1024), MEM_SUCCESS);           /* one block of 4 MiB ... */
    phys_addr_t half = buddy_alloc(BUDDY_MAX_ORDER - 1);        /* ... split: the upper 2 MiB free */
    KCHECK_EQ(half, start);
    KCHECK_EQ(buddy_init(start, 512), MEM_SUCCESS);            /* now only the lower 2 MiB */
    KCHECK_EQ(buddy_free_frames(), 512);
    phys_addr_t b = buddy_alloc(BUDDY_MAX_ORDER - 1);
    KCHECK_EQ(b, start);
    KCHECK_EQ(buddy_free(b, BUDDY_MAX_ORDER - 1), MEM_SUCCESS);
    KCHECK_EQ(buddy_free_blocks(BUDDY_MAX_ORDER), 0);           /* no merge with 18 MiB */
    KCHECK_EQ(buddy_free_blocks(BUDDY_MAX_ORDER - 1), 1);
    KCHECK_EQ(buddy_free_frames(), 512);
    KCHECK_EQ(buddy_alloc(BUDDY_MAX_ORDER), PMM_NO_FRAME);      /* 4 MiB: half of it is not ours */
    KCHECK_EQ(buddy_free_frames(), 512);
    KCHECK_EQ(buddy_init(start + 2 * MIB, 512), MEM_SUCCESS);  /* the upper half: its buddy is below */
    b = buddy_alloc(BUDDY_MAX_ORDER - 1);
    KCHECK_EQ(b, start + 2 * MIB);
    KCHECK_EQ(buddy_free(b, BUDDY_MAX_ORDER - 1), MEM_SUCCESS);
    KCHECK_EQ(buddy_free_blocks(BUDDY_MAX_ORDER), 0);
    KCHECK_EQ(buddy_alloc(BUDDY_MAX_ORDER), PMM_NO_FRAME);
}
