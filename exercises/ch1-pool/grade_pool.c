/* grade_pool.c: graded tests of exercise ch1-pool. */
#include "ktest.h"
#include "kheap.h"
#include "kstring.h"
#include "pool.h"

static memory_stats_t
stats(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    return s;
}

/* Take all objects of POOL into OBJ[0..MAX): how many pool_alloc gave before
 * it returned NULL (MAX + 1 if it never did). Each object is checked for
 * alignment, and filled with its number over SIZE bytes. */
static size_t
take_all(pool_t *pool, uint8_t **obj, size_t max, size_t size)
{
    size_t n = 0;
    for (; n <= max; n++) {
        uint8_t *p = pool_alloc(pool);
        if (!p)
            return n;
        if (n == max) {
            ktest_fail(__FILE__, __LINE__, "pool_alloc gave object %lu of a pool of %lu",
                       (unsigned long)n + 1, (unsigned long)max);
            pool_free(pool, p);
            return n + 1;
        }
        if ((uintptr_t)p % HEAP_ALIGN)
            ktest_fail(__FILE__, __LINE__, "object %p is not %d-byte aligned", (void *)p, HEAP_ALIGN);
        memset(p, (int)n + 1, size);
        obj[n] = p;
    }
    return n;
}

/* Do the N objects still hold what take_all wrote (no two overlap)? */
static bool
intact(uint8_t **obj, size_t n, size_t size)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < size; j++)
            if (obj[i][j] != (uint8_t)(i + 1)) {
                ktest_fail(__FILE__, __LINE__, "object %lu (%p) byte %lu was overwritten: objects overlap",
                           (unsigned long)i, (void *)obj[i], (unsigned long)j);
                return false;
            }
    return true;
}

/* Give back the N objects; true if every pool_free said MEM_SUCCESS. */
static bool
free_all(pool_t *pool, uint8_t **obj, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        ok &= pool_free(pool, obj[i]) == MEM_SUCCESS;
    return ok;
}

/* Ten objects of 24 bytes: all distinct, aligned, no eleventh; they come back
 * and can be taken again; destroying the pool gives the heap its bytes back. */
KTEST(ex_pool_alloc_and_free)
{
    static uint8_t *obj[16];
    memory_stats_t before = stats();
    pool_t *pool = pool_create(24, 10);
    KCHECK(pool != NULL);
    KCHECK_EQ(take_all(pool, obj, 10, 24), 10);
    KCHECK(intact(obj, 10, 24));
    KCHECK(free_all(pool, obj, 10));
    KCHECK_EQ(take_all(pool, obj, 10, 24), 10);     /* all ten again */
    KCHECK(intact(obj, 10, 24));
    KCHECK(free_all(pool, obj, 10));
    pool_destroy(pool);
    pool_destroy(NULL);                             /* nothing to do */
    KCHECK_EQ(stats().heap_used, before.heap_used);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* One-byte objects still hold a free-list link and stay aligned; sizes that
 * are zero, overflow or cannot fit in the heap give NULL and leave the heap
 * as it was. */
KTEST(ex_pool_rounds_and_rejects_sizes)
{
    static uint8_t *obj[128];
    memory_stats_t before = stats();
    pool_t *pool = pool_create(1, 100);
    KCHECK(pool != NULL);
    KCHECK_EQ(take_all(pool, obj, 100, 1), 100);
    KCHECK(intact(obj, 100, 1));
    uint8_t *lo = obj[0], *hi = obj[0];
    for (size_t i = 1; i < 100; i++) {
        lo = obj[i] < lo ? obj[i] : lo;
        hi = obj[i] > hi ? obj[i] : hi;
    }
    KCHECK_EQ(hi - lo, 99 * 8);                     /* 8 bytes apart, side by side */
    KCHECK(free_all(pool, obj, 100));
    KCHECK_EQ(take_all(pool, obj, 100, 1), 100);    /* the links survived */
    pool_destroy(pool);
    KCHECK(pool_create(0, 5) == NULL);
    KCHECK(pool_create(8, 0) == NULL);
    KCHECK(pool_create((size_t)-1 / 2, 4) == NULL);     /* size * count overflows */
    KCHECK(pool_create(8, (size_t)-1) == NULL);
    KCHECK(pool_create((size_t)-1, 1) == NULL);         /* rounding overflows */
    KCHECK(pool_create(1000, 1000) == NULL);            /* more than the heap */
    KCHECK_EQ(stats().heap_used, before.heap_used);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* pool_free refuses what is not the start of one of the pool's objects, and
 * the pool is none the worse for it. */
KTEST(ex_pool_free_rejects_bad_pointers)
{
    static uint8_t *obj[16];
    int local;
    pool_t *pool = pool_create(32, 8), *other = pool_create(32, 8);
    KCHECK(pool != NULL && other != NULL);
    uint8_t *p = pool_alloc(pool), *q = pool_alloc(other);
    char *block = kmalloc(32);
    KCHECK(p != NULL && q != NULL);
    KCHECK_EQ(pool_free(pool, &local), MEM_INVALID);    /* not in the heap at all */
    KCHECK_EQ(pool_free(pool, block), MEM_INVALID);     /* a heap block, not the pool's */
    KCHECK_EQ(pool_free(pool, q), MEM_INVALID);         /* another pool's object */
    KCHECK_EQ(pool_free(pool, p + 1), MEM_INVALID);     /* misaligned */
    KCHECK_EQ(pool_free(pool, p + 8), MEM_INVALID);     /* inside an object */
    KCHECK_EQ(pool_free(pool, pool), MEM_INVALID);      /* the pool's own storage */
    KCHECK_EQ(pool_free(pool, NULL), MEM_SUCCESS);      /* like kfree(NULL) */
    KCHECK_EQ(take_all(pool, obj, 7, 32), 7);           /* exactly the other seven */
    for (size_t i = 0; i < 7; i++)
        KCHECK(obj[i] != p);
    KCHECK(free_all(pool, obj, 7));
    KCHECK_EQ(pool_free(pool, p), MEM_SUCCESS);
    KCHECK_EQ(pool_free(other, q), MEM_SUCCESS);
    kfree(block);
    pool_destroy(pool);
    pool_destroy(other);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* A double free is refused, and does not put the object on the free list
 * twice (it would then be handed out twice). */
KTEST(ex_pool_detects_double_free)
{
    static uint8_t *obj[8];
    pool_t *pool = pool_create(16, 4);
    KCHECK(pool != NULL);
    KCHECK_EQ(take_all(pool, obj, 4, 16), 4);
    KCHECK_EQ(pool_free(pool, obj[1]), MEM_SUCCESS);
    KCHECK_EQ(pool_free(pool, obj[1]), MEM_INVALID);
    KCHECK_EQ(pool_free(pool, obj[3]), MEM_SUCCESS);
    KCHECK_EQ(pool_free(pool, obj[1]), MEM_INVALID);    /* still, with another free in between */
    uint8_t *x = pool_alloc(pool), *y = pool_alloc(pool);
    KCHECK(x != NULL && y != NULL && x != y);
    KCHECK((x == obj[1] && y == obj[3]) || (x == obj[3] && y == obj[1]));
    KCHECK(pool_alloc(pool) == NULL);                   /* no third one */
    pool_destroy(pool);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* The storage comes from the heap once, at pool_create; pool_alloc and
 * pool_free never call kmalloc or kfree. */
KTEST(ex_pool_uses_the_heap_only_at_creation)
{
    static uint8_t *obj[40];
    memory_stats_t before = stats();
    pool_t *pool = pool_create(64, 32);
    KCHECK(pool != NULL);
    memory_stats_t created = stats();
    KCHECK(created.allocation_count > before.allocation_count);
    KCHECK(created.heap_used >= before.heap_used + 64 * 32);
    for (int round = 0; round < 100; round++) {
        if (take_all(pool, obj, 32, 64) != 32 || !intact(obj, 32, 64) || !free_all(pool, obj, 32)) {
            ktest_fail(__FILE__, __LINE__, "round %d went wrong", round);
            break;
        }
    }
    KCHECK_EQ(stats().allocation_count, created.allocation_count);
    KCHECK_EQ(stats().free_count, created.free_count);
    KCHECK_EQ(stats().heap_used, created.heap_used);
    pool_destroy(pool);
    KCHECK_EQ(stats().heap_used, before.heap_used);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}

/* The time stamp counter: cycles (in QEMU, a clock of the host). */
static uint64_t
cycles(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* The fewest cycles of 16 pool_free calls of a live object (each object
 * taken back at once); 0 if a free failed. */
static uint64_t
free_cost(pool_t *pool, void *p)
{
    uint64_t best = ~0ull;
    for (int i = 0; i < 16; i++) {
        uint64_t t = cycles();
        int r = pool_free(pool, p);
        t = cycles() - t;
        if (r != MEM_SUCCESS)
            return 0;
        if (t < best)
            best = t;
        p = pool_alloc(pool);           /* the same object, or another one: live again */
        if (!p)
            return 0;
    }
    return best;
}

/* pool_free is O(1), its double-free check included, as the statement
 * asks: freeing an object costs about the same with one other free object
 * as with thousands (a check that walks the free list costs thousands of
 * times more). */
KTEST(ex_pool_free_is_o1)
{
    static void *obj[5000];
    size_t n = 5000;
    pool_t *pool = NULL;
    while (n >= 500 && !(pool = pool_create(8, n)))
        n /= 2;
    KCHECK(pool != NULL);
    if (!pool)
        return;
    size_t got = 0;
    while (got < n && (obj[got] = pool_alloc(pool)) != NULL)
        got++;
    KCHECK_EQ(got, n);
    if (got != n) {
        pool_destroy(pool);
        return;
    }
    KCHECK_EQ(pool_free(pool, obj[0]), MEM_SUCCESS);
    uint64_t few = free_cost(pool, obj[n - 1]);
    for (size_t i = 1; i < n - 2; i++)
        pool_free(pool, obj[i]);
    uint64_t many = free_cost(pool, obj[n - 2]);
    KCHECK(few > 0 && many > 0);            /* 0: a free of a live object failed */
    if (many > 8 * few + 20000)
        ktest_fail(__FILE__, __LINE__, "pool_free takes %lu cycles with 1 other object free, %lu with "
                   "%lu: it is not O(1) (does the double-free check walk the free list?)", (unsigned long)few,
                   (unsigned long)many, (unsigned long)(n - 3));
    pool_destroy(pool);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}
