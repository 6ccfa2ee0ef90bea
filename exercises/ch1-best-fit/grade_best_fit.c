/* grade_best_fit.c: graded tests of exercise ch1-best-fit (heap_set_policy). */
#include "ktest.h"
#include "kheap.h"
#include "kstring.h"

/* The holes: free blocks of these payload sizes, in address order, each kept
 * apart from the next by a live 8-byte separator. After the last separator
 * the rest of the heap is one large free block. C and E are the same size. */
#define HOLES 5
static const size_t hole_size[HOLES] = { 200, 48, 40, 96, 40 };
static const char *const hole_name[HOLES] = { "A", "B", "C", "D", "E" };
static char *hole[HOLES];
static void *separator[HOLES];

/* Make the holes in an empty heap; true if the heap was empty. */
static bool
make_holes(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    if (heap_check() != MEM_SUCCESS || s.heap_used != 0)
        return false;
    for (int i = 0; i < HOLES; i++) {
        hole[i] = kmalloc(hole_size[i]);
        separator[i] = kmalloc(8);
    }
    for (int i = 0; i < HOLES; i++)
        kfree(hole[i]);
    return true;
}

/* Free the separators (the test freed its own blocks) and go back to first fit. */
static void
remove_holes(void)
{
    for (int i = 0; i < HOLES; i++)
        kfree(separator[i]);
    heap_set_policy(HEAP_FIRST_FIT);
}

/* Check that kmalloc(SIZE) returns the start of hole WANT (by its letter);
 * return the block. */
static void *
expect_hole(size_t size, int want, int line)
{
    char *p = kmalloc(size);
    if (p == hole[want])
        return p;
    const char *got = "the large free block after the holes";
    for (int i = 0; i < HOLES; i++)
        if (p == hole[i])
            got = hole_name[i];
    if (!p)
        got = "NULL";
    ktest_fail(__FILE__, line, "kmalloc(%lu) should take hole %s (%lu bytes), got %s (%p)",
               (unsigned long)size, hole_name[want], (unsigned long)hole_size[want], got, (void *)p);
    return p;
}
#define EXPECT_HOLE(size, want) expect_hole((size), (want), __LINE__)

/* With holes of 200, 48, 40, 96 and 40 bytes, best fit takes the smallest
 * hole each request fits in; first fit would take A every time. */
KTEST(ex_best_fit_takes_the_smallest_hole)
{
    KCHECK(make_holes());
    KCHECK_EQ(heap_set_policy(HEAP_BEST_FIT), MEM_SUCCESS);
    void *c = EXPECT_HOLE(40, 2);           /* C fits exactly (E too: C comes first) */
    void *b = EXPECT_HOLE(41, 1);           /* 48 after rounding: B, not A or D */
    void *d = EXPECT_HOLE(90, 3);           /* 96: D */
    void *e = EXPECT_HOLE(33, 4);           /* 40: E, the last 40-byte hole */
    char *big = kmalloc(300);               /* no hole is large enough */
    KCHECK(big && big > hole[HOLES - 1]);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(c);
    kfree(b);
    kfree(d);
    kfree(e);
    kfree(big);
    remove_holes();
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* Best fit splits the hole it takes when the rest is large enough for a
 * block, and the rest is then a hole like any other. */
KTEST(ex_best_fit_splits_the_rest)
{
    memory_stats_t before, s;
    KCHECK(make_holes());
    KCHECK_EQ(heap_set_policy(HEAP_BEST_FIT), MEM_SUCCESS);
    memory_get_stats(&before);
    char *a = EXPECT_HOLE(100, 0);          /* only A (200) and the tail hold 104 */
    memory_get_stats(&s);
    KCHECK_EQ(s.heap_blocks, before.heap_blocks + 1);   /* 104 + a 64-byte rest */
    char *rest = kmalloc(60);               /* 64: A's rest, not D (96) */
    KCHECK_EQ((uintptr_t)rest, (uintptr_t)(a + 104 + 32));
    void *c = EXPECT_HOLE(40, 2);
    void *e = EXPECT_HOLE(40, 4);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    kfree(a);
    kfree(rest);
    kfree(c);
    kfree(e);
    remove_holes();
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* The policy can be switched back and forth; first fit still takes A. */
KTEST(ex_policy_switches_both_ways)
{
    KCHECK(make_holes());
    KCHECK_EQ(heap_set_policy(HEAP_BEST_FIT), MEM_SUCCESS);
    kfree(EXPECT_HOLE(40, 2));
    KCHECK_EQ(heap_set_policy(HEAP_FIRST_FIT), MEM_SUCCESS);
    kfree(EXPECT_HOLE(40, 0));              /* first fit: the first hole, A */
    kfree(EXPECT_HOLE(150, 0));
    KCHECK_EQ(heap_set_policy(HEAP_BEST_FIT), MEM_SUCCESS);
    kfree(EXPECT_HOLE(48, 1));
    remove_holes();
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* An unknown policy is refused, and the policy in force stays. */
KTEST(ex_unknown_policy_is_rejected)
{
    KCHECK(make_holes());
    KCHECK_EQ(heap_set_policy(HEAP_BEST_FIT), MEM_SUCCESS);
    KCHECK_EQ(heap_set_policy((heap_policy_t)7), MEM_INVALID);
    kfree(EXPECT_HOLE(40, 2));              /* still best fit */
    remove_holes();
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* First fit is the policy at boot (nothing has called heap_set_policy in
 * this boot), and best fit can then be chosen. */
KTEST(ex_first_fit_at_boot)
{
    KCHECK(make_holes());
    kfree(EXPECT_HOLE(40, 0));              /* first fit: A, the first hole */
    KCHECK_EQ(heap_set_policy(HEAP_BEST_FIT), MEM_SUCCESS);
    kfree(EXPECT_HOLE(40, 2));
    remove_holes();
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* Best fit walks the whole list: a corrupt header on the way is reported and
 * fenced off as under first fit (MEM_CORRUPT), and the damaged block is never
 * handed out. */
KTEST(ex_best_fit_stops_at_a_corrupt_header)
{
    KCHECK(make_holes());
    KCHECK_EQ(heap_set_policy(HEAP_BEST_FIT), MEM_SUCCESS);
    memset(separator[2], 'x', 8 + 8);                   /* C's separator overflows into D's header */
    char *p = kmalloc(90);                              /* D would fit best: the walk must reach it */
    KCHECK_EQ(heap_last_error(), MEM_CORRUPT);          /* reported on the way */
    if (!p || p == hole[3])
        ktest_fail(__FILE__, __LINE__, "kmalloc(90) returned %p: D (%p) is damaged and must be fenced "
                   "off, another block taken", (void *)p, (void *)hole[3]);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);               /* the damage is contained */
    kfree(p);
    KCHECK_EQ(heap_unfence(hole[3]), MEM_SUCCESS);      /* repair */
    remove_holes();
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}
