/* grade_reap.c: graded tests of exercise ch4-reap (the slab layer gives
 * empty slabs back when the frame allocator runs dry). */
#include "ktest.h"
#include "slab.h"
#include "pmm.h"
#include "kstring.h"

/* Take every free frame, keeping the list in the frames themselves; the
 * last one taken, or PMM_NO_FRAME. */
static phys_addr_t
take_all_frames(void)
{
    phys_addr_t last = PMM_NO_FRAME, pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        *(uint32_t *)pmm_frame(pa) = last;
        last = pa;
    }
    return last;
}

static void
give_back(phys_addr_t last)
{
    while (last != PMM_NO_FRAME) {
        phys_addr_t prev = *(uint32_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev;
    }
}

/* Fill C with N objects and free them: its slabs stay, empty. */
static void
leave_empty_slabs(kmem_cache_t *c, int n)
{
    static void *o[400];
    for (int i = 0; i < n; i++)
        o[i] = kmem_cache_alloc(c);
    for (int i = 0; i < n; i++)
        kmem_cache_free(c, o[i]);
}

KTEST(ex_reap_when_a_cache_cannot_grow)
{
    kmem_cache_t *a = kmem_cache_create("ex-reap-a", 500, 0, NULL);
    kmem_cache_t *b = kmem_cache_create("ex-reap-b", 100, 0, NULL);
    leave_empty_slabs(a, 160);                      /* 20 slabs, all empty */
    KCHECK(a->slabs >= 20);
    unsigned reaps = slab_reaps();
    phys_addr_t frames = take_all_frames();
    void *x = kmem_cache_alloc(b);                  /* b must grow: no frame, so reap */
    KCHECK(x != NULL);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    KCHECK_EQ(slab_reaps(), reaps + 1);
    KCHECK_EQ(a->slabs, 0);                         /* a's empty slabs went back */
    give_back(frames);
    kmem_cache_free(b, x);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    kmem_cache_destroy(a);
    kmem_cache_destroy(b);
}

KTEST(ex_reap_for_a_large_kmalloc)
{
    kmem_cache_t *a = kmem_cache_create("ex-reap-big", 1000, 0, NULL);
    leave_empty_slabs(a, 400);                      /* 100 pages, empty */
    unsigned reaps = slab_reaps();
    phys_addr_t frames = take_all_frames();
    char *big = kmalloc(200 * 1024);                /* the heap must grow by 50 pages */
    KCHECK(big != NULL);
    KCHECK_EQ(slab_reaps(), reaps + 1);
    if (big)
        memset(big, 1, 200 * 1024);
    kfree(big);
    give_back(frames);
    heap_trim();
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    kmem_cache_destroy(a);
}

KTEST(ex_reap_fails_cleanly_when_nothing_is_empty)
{
    kmem_cache_t *c = kmem_cache_create("ex-reap-none", 700, 0, NULL);
    slab_shrink_all();                              /* no empty slab anywhere */
    unsigned reaps = slab_reaps();
    uint32_t pages = slab_pages();
    phys_addr_t frames = take_all_frames();
    KCHECK(kmem_cache_alloc(c) == NULL);
    KCHECK_EQ(heap_last_error(), MEM_OUT_OF_MEM);
    KCHECK_EQ(slab_reaps(), reaps + 1);             /* it tried */
    KCHECK_EQ(slab_pages(), pages);                 /* and took nothing */
    give_back(frames);
    void *o = kmem_cache_alloc(c);
    KCHECK(o != NULL);
    kmem_cache_free(c, o);
    KCHECK_EQ(kmem_cache_destroy(c), MEM_SUCCESS);
}
