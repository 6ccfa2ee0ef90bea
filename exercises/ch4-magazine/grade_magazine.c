/* grade_magazine.c: graded tests of exercise ch4-magazine (a magazine of
 * freed objects in front of each cache's slabs). */
#include "ktest.h"
#include "slab.h"
#include "kstring.h"

static char output[512];

static bool
said(const char *phrase)
{
    size_t n = strlen(phrase);
    for (const char *p = output; *p; p++)
        if (memcmp(p, phrase, n) == 0)
            return true;
    return false;
}

KTEST(ex_magazine_takes_freed_objects)
{
    kmem_cache_t *c = kmem_cache_create("ex-mag", 64, 0, NULL);
    static void *o[40];
    for (int i = 0; i < 40; i++)
        o[i] = kmem_cache_alloc(c);
    for (int i = 0; i < 20; i++)
        kmem_cache_free(c, o[i]);
    KCHECK_EQ(kmem_cache_magazine(c), SLAB_MAGAZINE);     /* full: the last 4 went to their slab */
    struct slab_stats st;
    slab_cache_stats(c, &st);
    KCHECK_EQ(st.live, 20);                                /* objects in the magazine are not live */
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    void *again = kmem_cache_alloc(c);
    KCHECK(again == o[SLAB_MAGAZINE - 1]);                 /* the newest object of the magazine */
    KCHECK_EQ(kmem_cache_magazine(c), SLAB_MAGAZINE - 1);
    kmem_cache_free(c, again);
    for (int i = 20; i < 40; i++)
        kmem_cache_free(c, o[i]);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    KCHECK(kmem_cache_shrink(c) > 0);
    KCHECK_EQ(kmem_cache_magazine(c), 0);                  /* shrinking empties the magazine first */
    KCHECK_EQ(c->slabs, 0);                                /* ... so that every slab could go */
    KCHECK_EQ(kmem_cache_destroy(c), MEM_SUCCESS);
}

KTEST(ex_magazine_refuses_double_free)
{
    char *p = kmalloc(100), *q = kmalloc(100);
    kmem_cache_t *c = kmalloc_cache(100);
    uint32_t before = kmem_cache_magazine(c);
    kfree(p);
    KCHECK_EQ(kmem_cache_magazine(c), before + 1);
    console_capture(output, sizeof(output));
    kfree(p);                                              /* p is in the magazine */
    KCHECK(heap_last_error() == MEM_INVALID && said("double free"));
    kfree(q + 8);
    KCHECK(heap_last_error() == MEM_INVALID && said("inside an object"));
    console_capture(NULL, 0);
    KCHECK_EQ(kmem_cache_magazine(c), before + 1);
    kfree(q);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}

KTEST(ex_magazine_keeps_the_caches_consistent)
{
    static void *p[600];
    uint32_t x = 12345;
    for (int i = 0; i < 600; i++)
        p[i] = NULL;
    uint32_t most = 0;
    for (int step = 0; step < 20000; step++) {
        x = x * 1103515245u + 12345u;
        int i = (int)((x >> 8) % 600);
        if (p[i]) {
            kfree(p[i]);
            p[i] = NULL;
        } else {
            size_t n = 1 + (x >> 20) % 300;
            p[i] = kmalloc(n);
            KCHECK(p[i] != NULL);
            memset(p[i], 0x33, n);
        }
        if (kmem_cache_magazine(kmalloc_cache(64)) > most)
            most = kmem_cache_magazine(kmalloc_cache(64));
        if (step % 2000 == 0 && slab_check() != MEM_SUCCESS)
            break;
    }
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    KCHECK(most > 0);
    for (int i = 0; i < 600; i++)
        kfree(p[i]);
    struct slab_stats st;
    slab_cache_stats(kmalloc_cache(64), &st);
    KCHECK_EQ(st.live, 0);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}

KTEST(ex_magazine_still_catches_write_after_free)
{
    char *p = kmalloc(200);
    kfree(p);
    KCHECK(kmem_cache_magazine(kmalloc_cache(200)) >= 1);
    p[100] = 42;                                           /* the bug */
    console_capture(output, sizeof(output));
    char *q = kmalloc(200);
    console_capture(NULL, 0);
    KCHECK(q == p);
#ifdef HEAP_DEBUG
    KCHECK(heap_last_error() == MEM_CORRUPT && said("written after it was freed"));
#endif
    kfree(q);
}
