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

/* krealloc(*P, SIZE) must move the block down to WHERE, the payload of the
 * free block before it; *P becomes whatever it returned. */
static void
moves_down(char **p, size_t size, char *where, int line)
{
    char *q = krealloc(*p, size);
    if (q != where)
        ktest_fail(__FILE__, line, "krealloc(%p, %lu) returned %p: it should grow backwards into the "
                   "free block before it, at %p", (void *)*p, (unsigned long)size, (void *)q, (void *)where);
    if (q)
        *p = q;
}
#define MOVES_DOWN(p, size, where) moves_down(&(p), (size), (where), __LINE__)

/* Grow a block whose next block is live into the free block before it: the
 * contents move down, the pointer of the free block is returned, the surplus
 * goes back to the heap, and the statistics stay exact. When the next block
 * is free and large enough, growing forwards (no copy) still comes first. */
KTEST(ex_realloc_grows_into_the_previous_block)
{
    char *a = kmalloc(200), *b = kmalloc(64), *c = kmalloc(8);
    memset(b, 'b', 64);
    kfree(a);                                       /* hole of 200, b, c live */
    memory_stats_t before = stats();
    char *p = b;
    MOVES_DOWN(p, 240, a);                          /* 200 + 32 + 64 = 296 >= 240 > 200 */
    KCHECK(all(p, 'b', 64));
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    memory_stats_t s = stats();
    KCHECK_EQ(s.heap_used, before.heap_used + 240 - 64);
    KCHECK_EQ(s.heap_blocks, before.heap_blocks);   /* a+b merged, a 24-byte free tail split off */
    KCHECK_EQ(s.allocation_count, before.allocation_count);
    KCHECK_EQ(s.free_count, before.free_count);
    if (p == a)
        memset(p, 'p', 240);                        /* all of it is the block's now */
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(c);                                       /* the next block is free and large: */
    STAYS(p, 400);                                  /* forwards, in place */
    KCHECK(all(p, 'p', 240));
    kfree(p);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* In a heap with no other free block, a block grows into both free
 * neighbours together, where neither alone is large enough (a move could
 * not succeed: no free block elsewhere holds the new size). */
KTEST(ex_realloc_grows_into_both_neighbours)
{
    char *a = kmalloc(1000), *b = kmalloc(1000), *c = kmalloc(1000);
    char *rest = kmalloc(stats().heap_free);        /* all the rest: the heap is full */
    KCHECK(a && b && c && rest);
    memset(b, 'b', 1000);
    kfree(a);
    kfree(c);                                       /* free 1000, b, free 1000, rest */
    memory_stats_t before = stats();
    char *p = b;
    MOVES_DOWN(p, 2800, a);                         /* 1000+32+1000 < 2800 <= 1000+32+1000+32+1000 */
    KCHECK(all(p, 'b', 1000));
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    memory_stats_t s = stats();
    KCHECK_EQ(s.heap_used, before.heap_used + 2800 - 1000);
    KCHECK_EQ(s.heap_blocks, before.heap_blocks - 1);   /* three blocks became two: p and a free tail */
    KCHECK_EQ(s.allocation_count, before.allocation_count);
    if (p == a)
        memset(p, 'q', 2800);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(p);
    kfree(rest);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* A shrink whose tail is too small for a block of its own (8 to 32 bytes)
 * gives the tail to a free block after it, whose header moves down; the
 * moved block's payload must be poison, like every free payload. With a
 * live block after it, such a tail stays in the block. */
KTEST(ex_realloc_gives_a_small_tail_to_the_free_next_block)
{
    char *a = kmalloc(64), *b = kmalloc(64), *c = kmalloc(8);
    kfree(b);                                       /* a, hole of 64, c */
    memset(a, 'a', 64);
    memory_stats_t before = stats();
    STAYS(a, 56);                                   /* 8 bytes to the hole */
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    KCHECK_EQ(stats().heap_used, before.heap_used - 8);
    KCHECK_EQ(stats().heap_free, before.heap_free + 8);
    STAYS(a, 24);                                   /* 32 more: the header moves past its old place */
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    memory_stats_t s = stats();
    KCHECK_EQ(s.heap_used, before.heap_used - 40);
    KCHECK_EQ(s.heap_free, before.heap_free + 40);
    KCHECK_EQ(s.heap_blocks, before.heap_blocks);
    KCHECK(all(a, 'a', 24));
    char *t = kmalloc(64 + 40);                     /* the hole holds 104 bytes now, exactly */
    KCHECK_EQ((uintptr_t)t, (uintptr_t)(a + 24 + HEADER));
    memory_stats_t live = stats();
    STAYS(a, 8);                                    /* t is live: the 16 bytes stay in a */
    KCHECK_EQ(stats().heap_used, live.heap_used);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(t);
    kfree(a);
    kfree(c);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* Growing backwards checks the poison of the free block it would take (a
 * write after free is reported, MEM_CORRUPT, and the damaged bytes are never
 * taken: the block moves elsewhere) and leaves no stale header behind (the
 * old pointer is no block any more); a krealloc that fits nowhere changes
 * nothing. */
KTEST(ex_realloc_backwards_checks_its_neighbour)
{
    char *a = kmalloc(100), *b = kmalloc(100), *c = kmalloc(8);
    memset(b, 'b', 100);
    kfree(a);
    a[0] = 'X';                                     /* the bug: a write after free */
    unsigned errors = heap_error_count();
    char *p = b;
    p = krealloc(p, 150);                           /* not into the damaged bytes */
    KCHECK(p != NULL && p != a);
    KCHECK_EQ(heap_last_error(), MEM_CORRUPT);
    KCHECK_EQ(heap_error_count(), errors + 1);
    KCHECK(all(p, 'b', 100));
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(b);                                       /* b's old header must be gone */
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    memory_stats_t before = stats();
    KCHECK(krealloc(p, before.heap_free + 8) == NULL);  /* neither around it nor elsewhere */
    KCHECK_EQ(heap_last_error(), MEM_OUT_OF_MEM);
    KCHECK_EQ(stats().heap_blocks, before.heap_blocks);
    KCHECK_EQ(stats().heap_used, before.heap_used);
    KCHECK(all(p, 'b', 100));
    kfree(p);
    kfree(c);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}
