/* grade_leak_detector.c: graded tests of exercise ch1-leak-detector
 * (heap_mark, heap_leaks_since). */
#include "ktest.h"
#include "kheap.h"

/* The sites of the two blocks that exercise.conf expects in the "leak:" lines.
 * They are given explicitly (kmalloc_at), not taken from __LINE__, so that
 * editing this file cannot move them. */
#define LEAK_SITE_24  "grade_leak_detector.c", 1024
#define LEAK_SITE_16  "grade_leak_detector.c", 1016

/* Only the blocks allocated after the mark and still live are listed, each
 * with the file and line of its allocation; exercise.conf checks the lines. */
KTEST(ex_leaks_since_lists_new_blocks)
{
    void *old = kmalloc(40);                        /* before the mark: not listed */
    unsigned m = heap_mark();
    KCHECK_EQ(m, 1);                                /* the first mark of the boot */
    void *a = kmalloc_at(24, LEAK_SITE_24);         /* listed: grade_leak_detector.c:1024 */
    void *b = kmalloc(100);
    void *c = kmalloc_at(16, LEAK_SITE_16);         /* listed: grade_leak_detector.c:1016 */
    kfree(b);                                       /* freed: not a leak */
    KCHECK_EQ(heap_leaks_since(m), 2);
    kfree(a);
    kfree(c);
    kfree(old);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* Marks nest: a later mark sees fewer blocks; freeing a block removes it
 * from every list; mark 0 means every live block. */
KTEST(ex_leaks_since_nested_marks)
{
    void *before = kmalloc(8);
    unsigned m1 = heap_mark();
    void *a = kmalloc(32);
    unsigned m2 = heap_mark();
    KCHECK(m2 > m1);
    void *b = kmalloc(48);
    KCHECK_EQ(heap_leaks_since(m1), 2);
    KCHECK_EQ(heap_leaks_since(m2), 1);
    KCHECK_EQ(heap_leaks_since(0), 3);
    kfree(b);
    KCHECK_EQ(heap_leaks_since(m2), 0);
    KCHECK_EQ(heap_leaks_since(m1), 1);
    kfree(before);                                  /* allocated again after m2: */
    before = kmalloc(8);                            /* a new block, of the new generation */
    KCHECK_EQ(heap_leaks_since(m2), 1);
    kfree(before);
    kfree(a);
    KCHECK_EQ(heap_leaks_since(0), 0);
    unsigned last = m2;                             /* a header holds 16 bits: */
    for (unsigned i = 0; i < 70000; i++)            /* the count stops at 65535 */
        last = heap_mark();
    KCHECK_EQ(last, 65535);
    void *late = kmalloc(8);
    KCHECK_EQ(heap_leaks_since(65535), 1);
    kfree(late);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* krealloc moves a block without making it new: a block allocated before the
 * mark is still not listed after it moved; one allocated after is listed. */
KTEST(ex_leaks_since_krealloc_keeps_the_generation)
{
    char *a = kmalloc(16), *fence = kmalloc(8);     /* fence: a cannot grow in place */
    unsigned m = heap_mark();
    char *moved = krealloc(a, 400);
    KCHECK(moved != NULL && moved != a);
    KCHECK_EQ(heap_leaks_since(m), 0);
    char *c = kmalloc(8), *fence2 = kmalloc(8);
    char *c2 = krealloc(c, 600);
    KCHECK(c2 != NULL && c2 != c);
    KCHECK_EQ(heap_leaks_since(m), 2);              /* c2 and fence2 */
    kfree(c2);
    kfree(fence2);
    kfree(moved);
    kfree(fence);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* Nothing allocated since the mark: no "leak:" line, a summary saying 0. */
KTEST(ex_leaks_since_says_none)
{
    void *old = kmalloc(64);
    unsigned m = heap_mark();
    KCHECK_EQ(heap_leaks_since(m), 0);
    KCHECK_EQ(heap_leaks_since(m + 1), 0);          /* a mark not taken yet */
    kfree(old);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}
