/* grade_refcount.c: graded tests of exercise ch2-refcount (frame reference
 * counts).  Each test is booted on its own with test=NAME. */
#include "ktest.h"
#include "pmm.h"
#include "kheap.h"

/* A frame fresh from pmm_alloc_page has one reference; a free frame and
 * things that are not frames have none. */
KTEST(ex_refcount_starts_at_one)
{
    phys_addr_t pa = pmm_alloc_page();
    KCHECK(pa != PMM_NO_FRAME);
    KCHECK_EQ(pmm_refcount(pa), 1);                 /* just allocated */
    phys_addr_t free_one = pmm_alloc_page();
    KCHECK_EQ(pmm_free_page(free_one), MEM_SUCCESS);
    KCHECK_EQ(pmm_refcount(free_one), 0);           /* free again */
    KCHECK_EQ(pmm_refcount(pa + 12), 0);            /* not the start of a frame */
    KCHECK_EQ(pmm_refcount((phys_addr_t)V2P(_kernel_start)), 0);
    KCHECK_EQ(pmm_refcount(0xFFFFF000u), 0);        /* not RAM */
    KCHECK_EQ(pmm_free_page(pa), MEM_SUCCESS);      /* one reference: a plain free works */
    KCHECK_EQ(pmm_refcount(pa), 0);
}

/* pmm_ref adds references; pmm_unref drops them, and the frame stays
 * allocated (not free, not handed out) while any is left. */
KTEST(ex_refcount_shared_frame_stays)
{
    phys_addr_t pa = pmm_alloc_page();
    uint32_t free_before = pmm_free_frames();
    KCHECK_EQ(pmm_ref(pa), MEM_SUCCESS);
    KCHECK_EQ(pmm_ref(pa), MEM_SUCCESS);
    KCHECK_EQ(pmm_refcount(pa), 3);
    uint32_t *w = pmm_frame(pa);
    w[0] = 0x5EA5EA5Eu;
    KCHECK_EQ(pmm_unref(pa), MEM_SUCCESS);
    KCHECK_EQ(pmm_unref(pa), MEM_SUCCESS);
    KCHECK_EQ(pmm_refcount(pa), 1);
    KCHECK_EQ(pmm_free_frames(), free_before);      /* still allocated */
    KCHECK_EQ(w[0], 0x5EA5EA5Eu);                   /* not poisoned: not freed */
    phys_addr_t other = pmm_alloc_page();
    KCHECK(other != pa);                            /* not handed out again */
    pmm_free_page(other);
    KCHECK_EQ(pmm_unref(pa), MEM_SUCCESS);          /* the last reference */
}

/* The last pmm_unref frees the frame exactly as pmm_free_page would:
 * counted free, poisoned, and on the stack again. */
KTEST(ex_refcount_last_unref_frees)
{
    uint32_t free_before = pmm_free_frames();
    phys_addr_t pa = pmm_alloc_page();
    KCHECK_EQ(pmm_ref(pa), MEM_SUCCESS);
    KCHECK_EQ(pmm_unref(pa), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_frames(), free_before - 1);
    KCHECK_EQ(pmm_unref(pa), MEM_SUCCESS);          /* 1 -> 0: freed */
    KCHECK_EQ(pmm_free_frames(), free_before);
    KCHECK_EQ(pmm_refcount(pa), 0);
    uint8_t *p = pmm_frame(pa);
    KCHECK(p[0] == PMM_POISON && p[PAGE_SIZE - 1] == PMM_POISON);
    KCHECK_EQ(pmm_alloc_page(), pa);                /* the stack gives it back first */
    KCHECK_EQ(pmm_refcount(pa), 1);                 /* and it starts at one again */
    KCHECK_EQ(pmm_free_page(pa), MEM_SUCCESS);
}

/* References to frames that are not allocated are refused (MEM_INVALID,
 * one pmm_errors each), as are pmm_free_page of a shared frame and more
 * than PMM_MAX_REFS references; nothing changes when they are. */
KTEST(ex_refcount_refuses_bad_frames)
{
    uint32_t free_before = pmm_free_frames();
    phys_addr_t pa = pmm_alloc_page();
    phys_addr_t gone = pmm_alloc_page();
    pmm_free_page(gone);
    unsigned errors = pmm_errors;
    KCHECK_EQ(pmm_ref(gone), MEM_INVALID);                          /* a free frame */
    KCHECK_EQ(pmm_unref(gone), MEM_INVALID);
    KCHECK_EQ(pmm_ref(pa + 8), MEM_INVALID);                        /* misaligned */
    KCHECK_EQ(pmm_unref((phys_addr_t)V2P(_kernel_start)), MEM_INVALID);
    KCHECK_EQ(pmm_ref(0xFFFFF000u), MEM_INVALID);                   /* not RAM */
    KCHECK_EQ(pmm_errors, errors + 5);
    KCHECK_EQ(pmm_refcount(gone), 0);
    KCHECK_EQ(pmm_free_frames(), free_before - 1);
    KCHECK_EQ(pmm_ref(pa), MEM_SUCCESS);                            /* shared ... */
    KCHECK_EQ(pmm_free_page(pa), MEM_INVALID);                      /* ... so not freed */
    KCHECK_EQ(pmm_refcount(pa), 2);
    KCHECK_EQ(pmm_free_frames(), free_before - 1);
    while (pmm_refcount(pa) < PMM_MAX_REFS && pmm_ref(pa) == MEM_SUCCESS)
        ;
    KCHECK_EQ(pmm_refcount(pa), PMM_MAX_REFS);
    errors = pmm_errors;
    KCHECK_EQ(pmm_ref(pa), MEM_INVALID);                            /* the counter is full */
    KCHECK_EQ(pmm_errors, errors + 1);
    KCHECK_EQ(pmm_refcount(pa), PMM_MAX_REFS);
    uint32_t refused = 0;
    for (uint32_t i = 0; i < PMM_MAX_REFS; i++)
        refused += pmm_unref(pa) != MEM_SUCCESS;
    KCHECK_EQ(refused, 0);                                          /* all 255 dropped */
    KCHECK_EQ(pmm_free_frames(), free_before);
}

/* Every frame has a counter of its own (run with mem=128M): share each
 * frame, then drop both references of each. */
KTEST(ex_refcount_every_frame)
{
    uint32_t before = pmm_free_frames(), n = 0, bad = 0;
    phys_addr_t last = PMM_NO_FRAME, pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        if (pmm_ref(pa) != MEM_SUCCESS)
            bad++;
        *(phys_addr_t *)pmm_frame(pa) = last;       /* the chain, kept in the frames */
        last = pa;
        n++;
    }
    KCHECK_EQ(bad, 0);
    KCHECK_EQ(n, before);
    for (uint32_t walked = 0; last != PMM_NO_FRAME && walked < n; walked++) {
        phys_addr_t prev = *(phys_addr_t *)pmm_frame(last);
        if (pmm_refcount(last) != 2 || pmm_unref(last) != MEM_SUCCESS)
            bad++;
        if (pmm_free_frames() != 0)                 /* one reference left: not free */
            bad++;
        *(phys_addr_t *)pmm_frame(last) = prev;
        last = prev;
    }
    KCHECK_EQ(bad, 0);
    KCHECK_EQ(pmm_free_frames(), 0);
    for (pa = 0; pa < 0x08000000u; pa += PAGE_SIZE)  /* the first 128 MiB */
        if (pmm_refcount(pa) == 1 && pmm_unref(pa) != MEM_SUCCESS)
            bad++;
    KCHECK_EQ(bad, 0);
    KCHECK_EQ(pmm_free_frames(), before);
}
