/* grade_colouring.c: graded tests of exercise ch4-colouring (successive
 * slabs of a cache start their objects one cache line further on). */
#include "ktest.h"
#include "slab.h"
#include "pmm.h"
#include "kstring.h"

static uintptr_t
in_page(const void *p)
{
    return (uintptr_t)p & (PAGE_SIZE - 1);
}

/* 240-byte objects: 16 to a page, 224 bytes to spare before the descriptor:
 * four colours, 0, 64, 128 and 192. */
KTEST(ex_colour_successive_slabs_shift)
{
    kmem_cache_t *c = kmem_cache_create("ex-colour", 240, 0, NULL);
    KCHECK_EQ(c->objects, 16);
    static void *o[16 * 6];
    for (int i = 0; i < 16 * 6; i++)
        o[i] = kmem_cache_alloc(c);
    for (int k = 0; k < 6; k++) {                 /* the first object of slab k */
        KCHECK_EQ(in_page(o[16 * k]), (uintptr_t)(k % 4) * SLAB_COLOUR_STEP);
        KCHECK(o[16 * k + 15] == (char *)o[16 * k] + 15 * 240);
    }
    KCHECK_EQ(c->colours, 4);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    for (int i = 0; i < 16 * 6; i++)
        kmem_cache_free(c, o[i]);
    KCHECK_EQ(kmem_cache_destroy(c), MEM_SUCCESS);
}

/* Coloured slabs must free, refuse and give their frames back like the others. */
KTEST(ex_colour_frees_and_shrinks)
{
    slab_shrink_all();
    uint32_t frames = pmm_free_frames();
    kmem_cache_t *c = kmem_cache_create("ex-colour2", 240, 0, NULL);
    static char *o[16 * 5];
    for (int i = 0; i < 16 * 5; i++) {
        o[i] = kmem_cache_alloc(c);
        memset(o[i], 0x77, 240);
    }
    KCHECK_EQ(in_page(o[16]), SLAB_COLOUR_STEP);   /* the second slab is coloured */
    kmem_cache_free(c, o[20] + 8);                 /* inside an object of a coloured slab */
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    kmem_cache_free(c, o[16] - SLAB_COLOUR_STEP);  /* in the colour's gap, no object */
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    for (int i = 0; i < 16 * 5; i++) {
        kmem_cache_free(c, o[i]);
        KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    }
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    KCHECK_EQ(kmem_cache_destroy(c), MEM_SUCCESS);
    slab_shrink_all();
    KCHECK_EQ(pmm_free_frames(), frames);          /* every page unmapped and freed */
}

/* kmalloc's caches are coloured too: 384-byte objects leave room for four. */
KTEST(ex_colour_kmalloc_384)
{
    static void *o[10 * 3];
    for (int i = 0; i < 10 * 3; i++)
        o[i] = kmalloc(384);
    KCHECK_EQ(in_page(o[0]), 0);
    KCHECK_EQ(in_page(o[10]), SLAB_COLOUR_STEP);
    KCHECK_EQ(in_page(o[20]), 2 * SLAB_COLOUR_STEP);
    for (int i = 0; i < 10 * 3; i++)
        kfree(o[i]);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}
