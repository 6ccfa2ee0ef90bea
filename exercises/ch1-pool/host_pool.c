/* host_pool.c: host tests of exercise ch1-pool, with cmocka.  Built with the
 * student's pool.c, kheap.c and kstring.c as 64-bit code under
 * AddressSanitizer and UBSan (tools/grade.py, run_host_tests).
 *
 * The heap lives in a static array, which AddressSanitizer sees as one
 * object; so the tests tell it more.  While an object is handed out, its
 * bytes belong to the test: they are poisoned (ASAN_POISON_MEMORY_REGION),
 * and the pool reading or writing them (a free-list link, a flag, a
 * neighbour's overflow) stops the program with a report that names the line
 * of pool.c.  The test unpoisons an object to check its contents, and just
 * before it gives the object back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sanitizer/asan_interface.h>
#include "kheap.h"
#include "pool.h"

#define REGION (256 * 1024)
static _Alignas(16) uint8_t region[REGION];

/* A fresh heap over REGION, every byte of it unpoisoned (a failed test may
 * have left objects poisoned). */
static int
setup(void **state)
{
    ASAN_UNPOISON_MEMORY_REGION(region, sizeof(region));
    heap_init(region, REGION);
    return 0;
}

static memory_stats_t
stats(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    return s;
}

/* Byte I of an object at P: derived from the address, so that an object
 * handed out twice, or two that overlap, cannot both look right. */
static uint8_t
pattern(const void *p, size_t i)
{
    return (uint8_t)(((uintptr_t)p >> 3) * 31 + i * 7 + 1);
}

/* Fill the N bytes at P with their pattern, then poison them: from now on
 * they are the test's, and the pool must not touch them. */
static void
hand_out(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(p, i);
    ASAN_POISON_MEMORY_REGION(p, n);
}

/* Unpoison the N bytes at P and check that they still hold their pattern
 * (WHAT says where we are, for the message). */
static void
take_back(uint8_t *p, size_t n, const char *what)
{
    ASAN_UNPOISON_MEMORY_REGION(p, n);
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(p, i))
            fail_msg("%s: object %p byte %zu was overwritten (objects overlap, or the pool wrote into a "
                     "handed-out object)", what, (void *)p, i);
}

/* The room an object of SIZE bytes takes: a pointer at least, 8-aligned. */
static size_t
room(size_t size)
{
    size = size < sizeof(void *) ? sizeof(void *) : size;
    return (size + HEAP_ALIGN - 1) / HEAP_ALIGN * HEAP_ALIGN;
}

/* --- The randomized run: several pools, one model ------------------------ */

#define POOLS    4
#define MAX_OBJ  200

/* What the test knows of one pool: the objects it handed out and the test
 * still holds, and the span of every object it ever handed out. */
struct model {
    pool_t *pool;
    size_t size, count;
    size_t block;               /* heap bytes pool_create took */
    uint8_t *live[MAX_OBJ];
    size_t nlive;
    uint8_t *lo, *hi;           /* lowest and highest object so far */
    uint8_t *freed;             /* the object given back last (NULL: none) */
};

static const struct { size_t size, count; } shapes[POOLS] = {
    { 1, 64 }, { 24, 40 }, { 100, 16 }, { 13, MAX_OBJ },
};

/* Create pool I of the model, with a 64-byte heap block after it whose
 * payload stays poisoned: a pool that strays past its storage hits it. */
static void
create(struct model *m, int i, uint8_t **fence)
{
    memory_stats_t before = stats();
    m->size = shapes[i].size;
    m->count = shapes[i].count;
    m->pool = pool_create(m->size, m->count);
    if (!m->pool)
        fail_msg("pool_create(%zu, %zu) gave NULL with %d KiB of heap free", m->size, m->count,
                 (int)(before.heap_free / 1024));
    m->block = stats().heap_used - before.heap_used;
    m->nlive = 0;
    m->lo = m->hi = NULL;
    m->freed = NULL;
    *fence = kmalloc(64);
    assert_non_null(*fence);
    ASAN_POISON_MEMORY_REGION(*fence, 64);
}

/* Does [P, P + N) overlap a live object of any pool of M? */
static bool
overlaps_live(const struct model *m, const uint8_t *p, size_t n)
{
    for (int i = 0; i < POOLS; i++)
        for (size_t k = 0; k < m[i].nlive; k++)
            if (p < m[i].live[k] + m[i].size && m[i].live[k] < p + n)
                return true;
    return false;
}

/* Check object P that pool I just handed out: aligned, in the heap, free in
 * the model, and within the heap bytes the pool took at creation. */
static void
check_new_object(struct model *m, int i, uint8_t *p, int step)
{
    struct model *mp = &m[i];
    if ((uintptr_t)p % HEAP_ALIGN)
        fail_msg("step %d: pool %d gave %p, not %d-byte aligned", step, i, (void *)p, HEAP_ALIGN);
    if (p < region || p + mp->size > region + REGION)
        fail_msg("step %d: pool %d gave %p, outside the heap", step, i, (void *)p);
    if (overlaps_live(m, p, mp->size))
        fail_msg("step %d: pool %d gave %p, which overlaps an object already handed out", step, i, (void *)p);
    mp->lo = !mp->lo || p < mp->lo ? p : mp->lo;
    mp->hi = !mp->hi || p > mp->hi ? p : mp->hi;
    if ((size_t)(mp->hi + room(mp->size) - mp->lo) > mp->block)
        fail_msg("step %d: pool %d's objects span %zu bytes, more than the %zu it took from the heap", step, i,
                 (size_t)(mp->hi + room(mp->size) - mp->lo), mp->block);
}

/* One pool_alloc from pool I: NULL exactly when all its objects are out. */
static void
step_alloc(struct model *m, int i, int step)
{
    struct model *mp = &m[i];
    uint8_t *p = pool_alloc(mp->pool);
    if (mp->nlive == mp->count) {
        if (p)
            fail_msg("step %d: pool %d gave object %zu of %zu", step, i, mp->nlive + 1, mp->count);
        return;
    }
    if (!p)
        fail_msg("step %d: pool %d gave NULL with %zu of %zu objects out", step, i, mp->nlive, mp->count);
    check_new_object(m, i, p, step);
    hand_out(p, mp->size);
    mp->live[mp->nlive++] = p;
    if (mp->freed == p)
        mp->freed = NULL;
}

/* Give back a random live object of pool I: contents intact, MEM_SUCCESS. */
static void
step_free(struct model *m, int i, int step)
{
    struct model *mp = &m[i];
    if (mp->nlive == 0)
        return;
    size_t k = (size_t)rand() % mp->nlive;
    uint8_t *p = mp->live[k];
    take_back(p, mp->size, "before pool_free");
    mp->live[k] = mp->live[--mp->nlive];
    if (pool_free(mp->pool, p) != MEM_SUCCESS)
        fail_msg("step %d: pool_free of pool %d's live object %p refused", step, i, (void *)p);
    mp->freed = p;
}

/* pool_free(POOL, P) must be MEM_INVALID (WHY says what P is). */
static void
expect_refused(pool_t *pool, void *p, const char *why, int step)
{
    if (pool_free(pool, p) != MEM_INVALID)
        fail_msg("step %d: pool_free accepted %p, %s", step, p, why);
}

/* A bad pool_free on pool I: a local variable, a double free, a misaligned
 * or interior pointer, another pool's object.  Each is refused, and nothing changes
 * (the objects stay live and poisoned: the pool must not even read them). */
static void
step_bad_free(struct model *m, int i, int step)
{
    struct model *mp = &m[i], *other = &m[(i + 1 + rand() % (POOLS - 1)) % POOLS];
    int local;
    expect_refused(mp->pool, &local, "a local variable", step);
    if (mp->freed)
        expect_refused(mp->pool, mp->freed, "freed already (a double free)", step);
    if (mp->nlive) {
        uint8_t *p = mp->live[(size_t)rand() % mp->nlive];
        expect_refused(mp->pool, p + 1 + rand() % 7, "inside an object (misaligned)", step);
        if (room(mp->size) > 8)
            expect_refused(mp->pool, p + 8, "inside an object", step);
    }
    if (other->nlive)
        expect_refused(mp->pool, other->live[0], "an object of another pool", step);
    if (pool_free(mp->pool, NULL) != MEM_SUCCESS)
        fail_msg("step %d: pool_free(pool, NULL) is not MEM_SUCCESS", step);
}

/* Give back every live object of every pool, then take all of each pool
 * once more (every one, none twice: the free list survived the run) and
 * give those back too. */
static void
drain(struct model *m, int step)
{
    for (int i = 0; i < POOLS; i++)
        while (m[i].nlive)
            step_free(m, i, step);
    for (int i = 0; i < POOLS; i++) {
        for (size_t n = 0; n <= m[i].count; n++)
            step_alloc(m, i, step);
        while (m[i].nlive)
            step_free(m, i, step);
    }
}

/* STEPS random operations on POOLS pools against the model. */
static void
random_run(unsigned seed, int steps)
{
    static struct model m[POOLS];
    uint8_t *fence[POOLS];
    memory_stats_t start = stats();
    srand(seed);
    for (int i = 0; i < POOLS; i++)
        create(&m[i], i, &fence[i]);
    for (int step = 0; step < steps; step++) {
        int i = rand() % POOLS, op = rand() % 16;
        if (op < 8)
            step_alloc(m, i, step);
        else if (op < 15)
            step_free(m, i, step);
        else
            step_bad_free(m, i, step);
        if (step % 64 == 0 && heap_check() != MEM_SUCCESS)
            fail_msg("step %d: heap_check failed: the heap's own data was overwritten", step);
    }
    drain(m, steps);
    for (int i = 0; i < POOLS; i++) {
        pool_destroy(m[i].pool);
        ASAN_UNPOISON_MEMORY_REGION(fence[i], 64);
        kfree(fence[i]);
    }
    assert_int_equal(heap_check(), MEM_SUCCESS);
    assert_int_equal(stats().heap_used, start.heap_used);
}

/* 20,000 random pool_alloc, pool_free and bad pool_free calls over four
 * pools (1, 13, 24 and 100-byte objects), five seeds, against a model. */
static void
pool_random_against_a_model(void **state)
{
    for (unsigned seed = 1; seed <= 5; seed++)
        random_run(seed, 4000);
}

/* --- Many shapes --------------------------------------------------------- */

/* Take all COUNT objects of a pool of SIZE-byte objects into OBJ, each
 * checked and filled over all SIZE bytes; the pool took BLOCK heap bytes. */
static void
take_all(pool_t *pool, size_t size, size_t count, size_t block, uint8_t **obj)
{
    uint8_t *lo = NULL, *hi = NULL;
    for (size_t n = 0; n < count; n++) {
        uint8_t *p = pool_alloc(pool);
        if (!p)
            fail_msg("pool (%zu x %zu bytes): object %zu is NULL", count, size, n + 1);
        if ((uintptr_t)p % HEAP_ALIGN || p < region || p + size > region + REGION)
            fail_msg("pool (%zu x %zu bytes): object %p misaligned or outside the heap", count, size, (void *)p);
        lo = !lo || p < lo ? p : lo;
        hi = !hi || p > hi ? p : hi;
        hand_out(p, size);
        obj[n] = p;
    }
    if ((size_t)(hi + room(size) - lo) > block)
        fail_msg("pool (%zu x %zu bytes): objects span %zu bytes, more than the %zu taken from the heap",
                 count, size, (size_t)(hi + room(size) - lo), block);
    if (pool_alloc(pool))
        fail_msg("pool (%zu x %zu bytes): gave object %zu", count, size, count + 1);
}

/* Give back the COUNT objects of OBJ in a shuffled order, checking each. */
static void
give_all_back(pool_t *pool, size_t size, size_t count, uint8_t **obj)
{
    for (size_t n = count; n > 1; n--) {
        size_t k = (size_t)rand() % n;
        uint8_t *t = obj[k];
        obj[k] = obj[n - 1];
        obj[n - 1] = t;
    }
    for (size_t n = 0; n < count; n++) {
        take_back(obj[n], size, "before pool_free");
        if (pool_free(pool, obj[n]) != MEM_SUCCESS)
            fail_msg("pool (%zu x %zu bytes): pool_free of object %p refused", count, size, (void *)obj[n]);
    }
}

/* One pool of COUNT objects of SIZE bytes, with a poisoned fence block after
 * it: filled to the brim twice, emptied twice, destroyed, and the heap is
 * as it was. */
static void
one_shape(size_t size, size_t count)
{
    static uint8_t *obj[256];
    memory_stats_t before = stats();
    pool_t *pool = pool_create(size, count);
    if (!pool)
        fail_msg("pool_create(%zu, %zu) gave NULL", size, count);
    size_t block = stats().heap_used - before.heap_used;
    uint8_t *fence = kmalloc(64);
    ASAN_POISON_MEMORY_REGION(fence, 64);
    for (int round = 0; round < 2; round++) {
        take_all(pool, size, count, block, obj);
        give_all_back(pool, size, count, obj);
    }
    pool_destroy(pool);
    ASAN_UNPOISON_MEMORY_REGION(fence, 64);
    kfree(fence);
    if (heap_check() != MEM_SUCCESS || stats().heap_used != before.heap_used)
        fail_msg("pool (%zu x %zu bytes): the heap is not as before once the pool is destroyed", count, size);
}

/* Sizes that overflow a size_t when multiplied (on 64 bits too) must give
 * NULL, not a small pool whose objects lie all over memory. */
static void
overflowing_sizes(void)
{
    memory_stats_t before = stats();
    assert_null(pool_create((size_t)1 << 61, 8));          /* 2^64: 0 once wrapped */
    assert_null(pool_create((size_t)1 << 60, 17));
    assert_null(pool_create(SIZE_MAX / 3 + 1, 3));
    assert_null(pool_create(SIZE_MAX - 3, 1));              /* rounding up wraps */
    assert_null(pool_create(24, SIZE_MAX / 16 + 1));
    assert_int_equal(stats().heap_used, before.heap_used);
    assert_int_equal(heap_check(), MEM_SUCCESS);
}

/* Pools of 1 to 40 bytes, and sizes around powers of two up to 1000 bytes,
 * each of 1 to 200 objects: the layout holds for every shape. */
static void
pool_fills_many_shapes(void **state)
{
    static const size_t sizes[] = { 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 1000 };
    static const size_t counts[] = { 1, 2, 3, 7, 8, 9, 33, 200 };
    srand(7);
    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        for (size_t s = 1; s <= 40; s++)
            one_shape(s, counts[c]);
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
            one_shape(sizes[s], counts[c]);
    }
    overflowing_sizes();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(pool_random_against_a_model, setup),
        cmocka_unit_test_setup(pool_fills_many_shapes, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
