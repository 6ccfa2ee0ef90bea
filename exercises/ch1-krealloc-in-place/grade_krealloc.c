/* grade_krealloc.c: graded tests of exercise ch1-krealloc-in-place. */
#include "ktest.h"
#include "kheap.h"
#include "kstring.h"

#define HEADER 32                   /* bytes of a block header on this kernel */

static memory_stats_t
stats(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    return s;
}

/* Do the N bytes at P all hold BYTE? */
static bool
all(const char *p, char byte, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != byte)
            return false;
    return true;
}

/* krealloc(*P, SIZE) must return *P (the block stays where it is); *P becomes
 * whatever it returned, so that a failing test still frees the right block. */
static void
stays(char **p, size_t size, int line)
{
    char *q = krealloc(*p, size);
    if (q != *p)
        ktest_fail(__FILE__, line, "krealloc(%p, %lu) moved the block to %p: it should stay in place",
                   (void *)*p, (unsigned long)size, (void *)q);
    if (q)
        *p = q;
}
#define STAYS(p, size) stays(&(p), (size), __LINE__)

/* Shrinking keeps the pointer; the tail goes back to the heap and merges with
 * the free block after it (two free blocks side by side fail heap_check). */
KTEST(ex_realloc_shrink_keeps_the_pointer)
{
    char *a = kmalloc(200), *b = kmalloc(100), *c = kmalloc(8);
    memset(a, 'a', 200);
    kfree(b);                                       /* a, hole of 100, c, rest */
    memory_stats_t before = stats();
    char *p = a;
    STAYS(p, 40);
    KCHECK(all(p, 'a', 40));
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    memory_stats_t s = stats();
    KCHECK_EQ(s.heap_used, before.heap_used - 160); /* 200 -> 40 bytes */
    KCHECK_EQ(s.heap_blocks, before.heap_blocks);   /* tail split off, merged with the hole */
    KCHECK_EQ(s.allocation_count, before.allocation_count);
    char *t = kmalloc(128 + HEADER + 100);          /* the merged tail fits exactly */
    KCHECK_EQ((uintptr_t)t, (uintptr_t)(a + 40 + HEADER));
    kfree(t);
    kfree(p);
    kfree(c);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* Growing into a free next block keeps the pointer and the contents; so does
 * growing into the free rest of the heap. */
KTEST(ex_realloc_grows_into_a_free_neighbour)
{
    char *a = kmalloc(64), *b = kmalloc(64), *c = kmalloc(8);
    memset(a, 'a', 64);
    kfree(b);
    memory_stats_t before = stats();
    char *p = a;
    STAYS(p, 150);                                  /* 64 + 32 + 64 = 160 >= 152 */
    KCHECK(all(p, 'a', 64));
    memset(p, 'b', 150);                            /* all of it is the block's now */
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    KCHECK_EQ(stats().heap_blocks, before.heap_blocks - 1);
    KCHECK_EQ(stats().allocation_count, before.allocation_count);
    char *z = kmalloc(16);                          /* after c: the rest of the heap follows */
    memset(z, 'z', 16);
    char *q = z;
    STAYS(q, 5000);
    KCHECK(all(q, 'z', 16));
    memset(q, 'y', 5000);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(q);
    kfree(p);
    kfree(c);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* In place while the free neighbour is large enough; when the next block is
 * live, a new block, a copy of everything, and the old block freed. A failed
 * krealloc leaves the block alone. */
KTEST(ex_realloc_moves_only_when_it_must)
{
    char *a = kmalloc(64), *b = kmalloc(64), *c = kmalloc(8);
    kfree(b);
    memset(a, 'x', 64);
    char *p = a;
    STAYS(p, 100);                                  /* the free neighbour suffices */
    memset(p + 64, 'y', 36);
    memory_stats_t before = stats();
    char *d = krealloc(p, 400);                     /* c is live: must move */
    KCHECK(d != NULL && d != p);
    KCHECK(d && all(d, 'x', 64) && all(d + 64, 'y', 36));
    KCHECK_EQ(stats().allocation_count, before.allocation_count);   /* moved, not new */
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    char *e = kmalloc(100);                         /* the old place is free again */
    KCHECK_EQ((uintptr_t)e, (uintptr_t)p);
    KCHECK(krealloc(d, (size_t)-1) == NULL);
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    KCHECK(d && all(d, 'x', 64));                   /* a failed krealloc keeps the block */
    char *big = kmalloc(30000);                     /* d's live neighbour, half the heap */
    KCHECK(big != NULL);
    KCHECK(krealloc(d, 40000) == NULL);             /* neither in place nor elsewhere */
    KCHECK_EQ(heap_last_error(), MEM_OUT_OF_MEM);
    KCHECK(d && all(d, 'x', 64) && all(d + 64, 'y', 36));
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(big);
    kfree(e);
    kfree(d);
    kfree(c);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* A change smaller than a block leaves the block whole; a shrink that can
 * split does, and growing back takes the tail in again. */
KTEST(ex_realloc_small_changes_stay_in_place)
{
    char *a = kmalloc(64), *b = kmalloc(8);
    memset(a, 'a', 64);
    memory_stats_t before = stats();
    STAYS(a, 56);                                   /* 8 bytes: no room for a block */
    KCHECK_EQ(stats().heap_blocks, before.heap_blocks);
    KCHECK_EQ(stats().heap_used, before.heap_used);
    STAYS(a, 64);
    STAYS(a, 1);                                    /* 8 + a 24-byte free tail */
    KCHECK_EQ(stats().heap_blocks, before.heap_blocks + 1);
    KCHECK_EQ(stats().heap_used, before.heap_used - 56);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    STAYS(a, 64);                                   /* takes its tail back */
    KCHECK(a[0] == 'a');
    KCHECK_EQ(stats().heap_blocks, before.heap_blocks);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(a);
    kfree(b);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}
