/* grade_size_classes.c: graded tests of exercise ch1-size-classes. */
#include "ktest.h"
#include "kheap.h"
#include "kstring.h"

static memory_stats_t
stats(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    return s;
}

/* Is the heap back where it was at BEFORE (blocks and bytes), and clean? */
static bool
heap_as_before(const memory_stats_t *before)
{
    memory_stats_t s = stats();
    if (heap_check() != MEM_SUCCESS)
        return false;
    if (s.heap_blocks != before->heap_blocks || s.heap_used != before->heap_used) {
        kprintf("  heap: %u blocks, %u bytes used; before: %u blocks, %u bytes used\n",
                s.heap_blocks, s.heap_used, before->heap_blocks, before->heap_used);
        return false;
    }
    return true;
}

/* Check that P is a live object of class WANT (0: not from a class). */
static void
expect_class(const void *p, size_t want, int line)
{
    size_t got = heap_size_class_of(p);
    if (got != want)
        ktest_fail(__FILE__, line, "heap_size_class_of(%p) is %lu, expected %lu", p,
                   (unsigned long)got, (unsigned long)want);
}
#define EXPECT_CLASS(p, want) expect_class((p), (want), __LINE__)

/* Each small size gets the smallest class that holds it; larger requests and
 * other pointers have no class. */
KTEST(ex_classes_serve_small_requests)
{
    static const size_t size[] = { 1, 8, 9, 16, 17, 32, 33, 64, 65, 128 };
    static const size_t want[] = { 8, 8, 16, 16, 32, 32, 64, 64, 128, 128 };
    void *p[ARRAY_SIZE(size)];
    int local;
    memory_stats_t before = stats();
    heap_use_size_classes(true);
    for (size_t i = 0; i < ARRAY_SIZE(size); i++) {
        p[i] = kmalloc(size[i]);
        KCHECK(p[i] != NULL && ((uintptr_t)p[i] & (HEAP_ALIGN - 1)) == 0);
        EXPECT_CLASS(p[i], want[i]);
        memset(p[i], 0x5A, size[i]);
    }
    void *big = kmalloc(129);
    EXPECT_CLASS(big, 0);                           /* first fit */
    EXPECT_CLASS(&local, 0);
    EXPECT_CLASS(NULL, 0);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    for (size_t i = 0; i < ARRAY_SIZE(size); i++)
        kfree(p[i]);
    kfree(big);
    heap_use_size_classes(false);
    KCHECK(heap_as_before(&before));
}

/* Forty 16-byte objects: one or two new heap blocks (chunks), not forty;
 * no two objects overlap. Freeing them all gives the chunks back. */
KTEST(ex_classes_pack_objects)
{
    static uint8_t *obj[40];
    memory_stats_t before = stats();
    heap_use_size_classes(true);
    for (int i = 0; i < 40; i++) {
        obj[i] = kmalloc(16);
        EXPECT_CLASS(obj[i], 16);
        if (obj[i])
            memset(obj[i], i + 1, 16);
    }
    memory_stats_t s = stats();
    KCHECK(s.heap_blocks <= before.heap_blocks + 2);
    for (int i = 0; i < 40; i++)
        for (int j = 0; obj[i] && j < 16; j++)
            if (obj[i][j] != i + 1) {
                ktest_fail(__FILE__, __LINE__, "object %d byte %d overwritten: objects overlap", i, j);
                break;
            }
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    for (int i = 0; i < 40; i++)
        kfree(obj[i]);
    heap_use_size_classes(false);
    KCHECK(heap_as_before(&before));
}

/* kfree takes each object back to its own class, among heap blocks, in any
 * order; a freed object has no class any more, and the class serves again. */
KTEST(ex_classes_free_routes_back)
{
    memory_stats_t before = stats();
    heap_use_size_classes(true);
    char *a8 = kmalloc(5), *big1 = kmalloc(200), *a32 = kmalloc(30);
    char *a128 = kmalloc(100), *big2 = kmalloc(300), *b32 = kmalloc(32);
    EXPECT_CLASS(a8, 8);
    EXPECT_CLASS(a32, 32);
    EXPECT_CLASS(b32, 32);
    EXPECT_CLASS(a128, 128);
    EXPECT_CLASS(big1, 0);
    EXPECT_CLASS(big2, 0);
    kfree(a32);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    EXPECT_CLASS(a32, 0);                           /* free now */
    EXPECT_CLASS(b32, 32);                          /* its neighbour is not */
    char *c32 = kmalloc(20);
    EXPECT_CLASS(c32, 32);
    KCHECK(c32 != b32);
    kfree(big1);
    kfree(a128);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    kfree(a8);
    kfree(b32);
    kfree(big2);
    kfree(c32);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    heap_use_size_classes(false);
    KCHECK(heap_as_before(&before));                /* every chunk went back */
}

/* A double free, an interior and a misaligned pointer are refused with
 * MEM_INVALID, and the class is not damaged by them. */
KTEST(ex_classes_detect_bad_frees)
{
    char *first = kmalloc(8);                       /* where first fit puts the next block */
    kfree(first);
    memory_stats_t before = stats();
    heap_use_size_classes(true);
    char *p = kmalloc(24), *q = kmalloc(24);
    EXPECT_CLASS(p, 32);
    EXPECT_CLASS(q, 32);
    unsigned errors = heap_error_count();
    kfree(p);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    kfree(p);                                       /* double free */
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    kfree(q + 8);                                   /* inside q */
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    kfree(q + 1);                                   /* misaligned */
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    KCHECK_EQ(heap_error_count(), errors + 3);
    if (p != first) {                               /* first: the chunk's block, its header */
        kfree(first);                               /* not an object, and not a block to free */
        int refused = heap_last_error();
        KCHECK_EQ(refused, MEM_INVALID);
        KCHECK_EQ(heap_error_count(), errors + 4);
        if (refused != MEM_INVALID)
            return;                                 /* the chunk went back with live objects */
    }
    EXPECT_CLASS(q, 32);                            /* still live */
    char *r = kmalloc(32), *s = kmalloc(32), *t = kmalloc(32);
    KCHECK(r && s && t && r != s && s != t && r != t && r != q && s != q && t != q);
    EXPECT_CLASS(r, 32);
    kfree(q);
    kfree(r);
    kfree(s);
    kfree(t);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    heap_use_size_classes(false);
    KCHECK(heap_as_before(&before));
}

/* Statistics count each kmalloc and kfree of an object once; krealloc keeps
 * an object while it fits its class and moves it (contents kept) when not;
 * with the classes turned off, objects still go back to them. */
KTEST(ex_classes_keep_statistics_and_realloc)
{
    memory_stats_t before = stats();
    heap_use_size_classes(true);
    char *small[10];
    for (int i = 0; i < 10; i++)
        small[i] = kmalloc(8 * (i + 1));
    KCHECK_EQ(stats().allocation_count, before.allocation_count + 10);
    char *p = kmalloc(8);
    EXPECT_CLASS(p, 8);
    memset(p, 'k', 8);
    KCHECK(krealloc(p, 6) == p);                    /* still fits */
    char *q = krealloc(p, 100);
    EXPECT_CLASS(q, 128);
    KCHECK(q && q[0] == 'k' && q[7] == 'k');
    EXPECT_CLASS(p, 0);                             /* the old object was freed */
    if (q)
        memset(q, 'm', 100);
    char *r = krealloc(q, 500);
    EXPECT_CLASS(r, 0);                             /* a heap block now */
    KCHECK(r && r[0] == 'm' && r[99] == 'm');
    KCHECK_EQ(stats().allocation_count, before.allocation_count + 11);  /* moves are not new */
    KCHECK_EQ(stats().free_count, before.free_count);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    heap_use_size_classes(false);
    char *off = kmalloc(16);
    EXPECT_CLASS(off, 0);                           /* first fit again */
    for (int i = 0; i < 10; i++)
        kfree(small[i]);                            /* still routed to their classes */
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
    kfree(r);
    kfree(off);
    KCHECK_EQ(stats().free_count, before.free_count + 12);
    KCHECK_EQ(stats().allocation_count, before.allocation_count + 12);
    KCHECK(heap_as_before(&before));
}
