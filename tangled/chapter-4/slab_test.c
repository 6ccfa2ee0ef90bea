#line 1439 "chapters/04-slab.nw"
/* slab_test.c: in-kernel tests of the slab caches and the routed kmalloc. */
#include "ktest.h"
#include "slab.h"
#include "pmm.h"
#include "kstring.h"

#line 1450 "chapters/04-slab.nw"
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

static const size_t class_size[] = { 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048 };

static bool
in_slabs(const void *p)
{
    return (uintptr_t)p - SLAB_VIRTUAL_START < SLAB_VIRTUAL_SIZE;
}
#line 1476 "chapters/04-slab.nw"
KTEST(slab_kmalloc_routes_by_size)
{
    for (size_t n = 1; n <= 2048; n += n < 64 ? 1 : 37) {
        char *p = kmalloc(n);
        kmem_cache_t *c = kmalloc_cache(n);
        KCHECK(p && in_slabs(p) && IS_ALIGNED((uintptr_t)p, 8));
        size_t k = 0;
        while (class_size[k] < n)
            k++;
        KCHECK(c && c->size == class_size[k]);
        KCHECK(slab_cache_of(p, "test", __FILE__, __LINE__) == c);
        memset(p, 0x5A, n);
        kfree(p);
    }
    char *big = kmalloc(2049);
    KCHECK(big && !in_slabs(big) && (uintptr_t)big >= HEAP_VIRTUAL_START);
    kfree(big);
    KCHECK(kmalloc(0) == NULL && heap_last_error() == MEM_SUCCESS);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}
#line 1503 "chapters/04-slab.nw"
static int constructed;

static void
make_widget(void *p)
{
    ((uint32_t *)p)[0] = 0x57494447;            /* "WIDG" */
    ((uint32_t *)p)[9] = 7;
    constructed++;
}

KTEST(slab_cache_create_alloc_free_destroy)
{
    slab_shrink_all();
    uint32_t frames = pmm_free_frames();
    kmem_cache_t *c = kmem_cache_create("widget", 40, 8, make_widget);
    KCHECK(c != NULL);
    if (!c)
        return;
    static uint32_t *w[300];
    for (int i = 0; i < 300; i++) {
        w[i] = kmem_cache_alloc(c);
        KCHECK(w[i] && w[i][0] == 0x57494447 && w[i][9] == 7);
        w[i][9] = 8;                            /* used, then put back ... */
        w[i][9] = 7;                            /* ... in its constructed state */
    }
    KCHECK(c->slabs >= 3 && constructed == (int)(c->slabs * c->objects));
    KCHECK_EQ(kmem_cache_destroy(c), MEM_INVALID);
    for (int i = 0; i < 300; i++)
        kmem_cache_free(c, w[i]);
    uint32_t *again = kmem_cache_alloc(c);      /* constructed once, still constructed */
    KCHECK(again && again[0] == 0x57494447 && again[9] == 7);
    KCHECK_EQ(constructed, (int)(c->slabs * c->objects));
    kmem_cache_free(c, again);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    KCHECK_EQ(kmem_cache_destroy(c), MEM_SUCCESS);
    slab_shrink_all();
    KCHECK_EQ(pmm_free_frames(), frames);
}
#line 1544 "chapters/04-slab.nw"
KTEST(slab_empty_slabs_go_back_to_the_frame_allocator)
{
    slab_shrink_all();
    uint32_t frames = pmm_free_frames(), pages = slab_pages();
    static void *p[1000];
    for (int i = 0; i < 1000; i++)
        p[i] = kmalloc(64);
    KCHECK(slab_pages() >= pages + 1000 / 63);
    KCHECK(pmm_free_frames() <= frames - 1000 / 63);
    for (int i = 0; i < 1000; i += 2)           /* every other: no slab empties */
        kfree(p[i]);
    KCHECK_EQ(slab_shrink_all(), 0);
    for (int i = 1; i < 1000; i += 2)
        kfree(p[i]);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    KCHECK(slab_shrink_all() >= 1000 / 63 * PAGE_SIZE);
    KCHECK_EQ(slab_pages(), pages);
    KCHECK_EQ(pmm_free_frames(), frames);
}
#line 1569 "chapters/04-slab.nw"
KTEST(slab_detects_double_free_and_bad_pointers)
{
    char *p = kmalloc(48), *q = kmalloc(48);
    kfree(p);
    unsigned errors = heap_error_count();
    console_capture(output, sizeof(output));
    kfree(p);
    KCHECK(heap_last_error() == MEM_INVALID && said("double free"));
    kfree(q + 8);
    KCHECK(heap_last_error() == MEM_INVALID && said("inside an object"));
    kfree((void *)(SLAB_VIRTUAL_START + SLAB_VIRTUAL_SIZE - 64));   /* in the range, in no slab */
    KCHECK(heap_last_error() == MEM_INVALID && said("not in any slab"));
    KCHECK(krealloc(p, 100) == NULL && heap_last_error() == MEM_INVALID);
    console_capture(NULL, 0);
    KCHECK_EQ(heap_error_count(), errors + 4);
    kfree(q);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}
#line 1591 "chapters/04-slab.nw"
KTEST(slab_kmem_cache_free_checks_the_cache)
{
    kmem_cache_t *a = kmem_cache_create("test-a", 24, 0, NULL);
    kmem_cache_t *b = kmem_cache_create("test-b", 24, 0, NULL);
    KCHECK(a && b && a != b);
    void *x = kmem_cache_alloc(a);
    console_capture(output, sizeof(output));
    kmem_cache_free(b, x);
    console_capture(NULL, 0);
    KCHECK(heap_last_error() == MEM_INVALID && said("belongs to test-a"));
    kmem_cache_free(a, x);
    KCHECK(kmem_cache_create("too-big", SLAB_MAX_OBJECT + 1, 0, NULL) == NULL);
    KCHECK_EQ(kmem_cache_destroy(a), MEM_SUCCESS);
    KCHECK_EQ(kmem_cache_destroy(b), MEM_SUCCESS);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}
#line 1615 "chapters/04-slab.nw"
KTEST(slab_detects_write_after_free)
{
    char *p = kmalloc(100);
    kfree(p);
    p[50] = 42;                                 /* the bug */
#ifdef HEAP_DEBUG
    KCHECK_EQ(slab_check(), MEM_CORRUPT);
    console_capture(output, sizeof(output));
#endif
    char *q = kmalloc(100);
    KCHECK(q == p);
#ifdef HEAP_DEBUG
    console_capture(NULL, 0);
    KCHECK(heap_last_error() == MEM_CORRUPT && said("written after it was freed") && said("byte 50"));
#endif
    kfree(q);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}
#line 1640 "chapters/04-slab.nw"
KTEST(slab_survives_a_corrupt_free_list)
{
    kmem_cache_t *c = kmem_cache_create("test-link", 32, 0, NULL);
    char *a = kmem_cache_alloc(c);              /* a fresh slab's first object ... */
    char *next = a + c->stride;                 /* ... and the free one after it */
    *(void **)next = a + 4;                     /* the bug: its link now points inside a */
    console_capture(output, sizeof(output));
    void *x = kmem_cache_alloc(c), *y = kmem_cache_alloc(c);
    console_capture(NULL, 0);
    KCHECK(x == next && y != NULL && y != a + 4);
    KCHECK(said("not a free object"));
    KCHECK_EQ(heap_last_error(), MEM_CORRUPT);  /* y came from a fresh slab, but say so */
    kmem_cache_free(c, x);
    kmem_cache_free(c, y);
    kmem_cache_free(c, a);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
    KCHECK_EQ(kmem_cache_destroy(c), MEM_INVALID);  /* the lost objects count as live */
}
#line 1664 "chapters/04-slab.nw"
KTEST(slab_krealloc_and_kcalloc)
{
    char *p = kmalloc(24);
    memcpy(p, "twenty-three characters", 24);
    KCHECK(krealloc(p, 20) == p);               /* shrinking never moves */
    char *q = krealloc(p, 300);
    KCHECK(q && q != p && in_slabs(q) && memcmp(q, "twenty-three characters", 24) == 0);
    char *r = krealloc(q, 5000);                /* to the heap */
    KCHECK(r && !in_slabs(r) && memcmp(r, "twenty-three characters", 24) == 0);
    KCHECK(krealloc(r, 10) == r);               /* a heap block stays in the heap */
    kfree(r);
    uint8_t *z = kcalloc(10, 30);
    KCHECK(z && in_slabs(z));
    uint32_t nonzero = 0;
    for (int i = 0; i < 300; i++)
        nonzero += z[i] != 0;
    KCHECK_EQ(nonzero, 0);
    kfree(z);
    KCHECK(kcalloc((size_t)1 << 20, (size_t)1 << 20) == NULL && heap_last_error() == MEM_INVALID);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}
#line 1691 "chapters/04-slab.nw"
KTEST(slab_growth_without_frames_fails_cleanly)
{
    kmem_cache_t *c = kmem_cache_create("test-oom", 1000, 0, NULL);
    slab_shrink_all();                          /* no empty slab anywhere to fall back on */
    phys_addr_t last = PMM_NO_FRAME, pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        *(uint32_t *)pmm_frame(pa) = last;
        last = pa;
    }
    uint32_t pages = slab_pages();
    console_capture(output, sizeof(output));
    KCHECK(kmem_cache_alloc(c) == NULL);
    console_capture(NULL, 0);
    KCHECK(heap_last_error() == MEM_OUT_OF_MEM && said("no frame"));
    KCHECK_EQ(slab_pages(), pages);
    while (last != PMM_NO_FRAME) {
        phys_addr_t prev = *(uint32_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev;
    }
    void *o = kmem_cache_alloc(c);
    KCHECK(o != NULL);
    kmem_cache_free(c, o);
    KCHECK_EQ(kmem_cache_destroy(c), MEM_SUCCESS);
    KCHECK_EQ(slab_check(), MEM_SUCCESS);
}
#line 1723 "chapters/04-slab.nw"
KTEST(slab_statistics_are_exact)
{
    kmem_cache_t *c = kmem_cache_create("test-stats", 200, 0, NULL);
    struct slab_stats st;
    void *p[25];
    for (int i = 0; i < 25; i++)
        p[i] = kmem_cache_alloc(c);
    slab_cache_stats(c, &st);
    KCHECK_EQ(st.live, 25);
    KCHECK_EQ(st.used, 25 * 200);
    KCHECK_EQ(st.slabs, (25 + c->objects - 1) / c->objects);
    KCHECK_EQ(st.bytes, st.slabs * ((size_t)PAGE_SIZE << c->order));
    KCHECK_EQ(st.partial + st.full + st.empty, st.slabs);
    for (int i = 0; i < 25; i++)
        kmem_cache_free(c, p[i]);
    slab_cache_stats(c, &st);
    KCHECK(st.live == 0 && st.empty == st.slabs && st.used == 0);
    KCHECK_EQ(kmem_cache_destroy(c), MEM_SUCCESS);
}
