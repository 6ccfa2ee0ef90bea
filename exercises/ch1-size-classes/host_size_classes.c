/* host_size_classes.c: host tests of exercise ch1-size-classes, with cmocka.
 * Built with the student's kheap.c and kstring.c as 64-bit code under
 * AddressSanitizer and UBSan (tools/grade.py, run_host_tests).
 *
 * Long random runs of kmalloc, kfree and krealloc against a model of the
 * live blocks: the class of every live pointer, its contents, the
 * statistics, heap_check() after every step.  The heap lives in a static
 * array, which AddressSanitizer sees as one object, so the test tells it
 * more: while the caller holds a block or an object, its bytes are poisoned
 * (ASAN_POISON_MEMORY_REGION), and the heap reading or writing them (a
 * free-list link or a bit in the wrong place, a chunk cut too long) stops
 * the program with a report naming the line of kheap.c.  The test unpoisons
 * a pointer to check its contents, and just before it hands it back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sanitizer/asan_interface.h>
#include "kheap.h"

#define REGION (128 * 1024)
static _Alignas(16) uint8_t region[REGION];

/* A fresh heap over REGION, every byte of it unpoisoned, classes off (a
 * failed test may have left blocks poisoned and classes on). */
static int
setup(void **state)
{
    ASAN_UNPOISON_MEMORY_REGION(region, sizeof(region));
    heap_use_size_classes(false);
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

/* Byte I of a block at P: derived from the address, so that a pointer
 * handed out twice, or two that overlap, cannot both look right. */
static uint8_t
pattern(const void *p, size_t i)
{
    return (uint8_t)(((uintptr_t)p >> 3) * 31 + i * 7 + 1);
}

/* The class that kmalloc(SIZE) must use: 8, 16, 32, 64 or 128, or 0 for a
 * plain block (classes off, or SIZE over HEAP_CLASS_MAX). */
static size_t
class_for(size_t size, bool on)
{
    size_t c = 8;
    if (!on || size > HEAP_CLASS_MAX)
        return 0;
    while (c < size)
        c *= 2;
    return c;
}

/* What the test holds: SLOTS pointers, each with the bytes it asked for and
 * the class heap_size_class_of must give (EITHER: that class or 0, for a
 * plain block that krealloc moved: the statement leaves it open). */
#define SLOTS 64

struct slot {
    uint8_t *p;
    size_t size;
    size_t cls;
    bool either;
};

struct run {
    struct slot s[SLOTS];
    bool on;                    /* are the classes on? */
    bool bad_frees;             /* mix refused frees into the run? */
    unsigned seed;
    int step;
    uint32_t allocs, frees;     /* the statistics the model expects */
    unsigned errors;            /* heap_error_count() the model expects */
};

/* Fill the N bytes at P with their pattern, then poison them: they are the
 * caller's now, and the heap must not touch them. */
static void
hand_out(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(p, i);
    ASAN_POISON_MEMORY_REGION(p, n);
}

/* Unpoison slot S's bytes and check that they still hold their pattern. */
static void
take_back(const struct run *r, const struct slot *s)
{
    ASAN_UNPOISON_MEMORY_REGION(s->p, s->size);
    for (size_t i = 0; i < s->size; i++)
        if (s->p[i] != pattern(s->p, i))
            fail_msg("seed %u step %d: %zu-byte block %p, byte %zu was overwritten (blocks overlap, or the "
                     "heap wrote into a live one)", r->seed, r->step, s->size, (void *)s->p, i);
}

/* Check the class of slot S, and that P is aligned and inside the heap;
 * an open case (EITHER) is settled by what the heap chose. */
static void
check_class(const struct run *r, struct slot *s)
{
    size_t got = heap_size_class_of(s->p);
    if ((uintptr_t)s->p % HEAP_ALIGN || s->p < region || s->p + s->size > region + REGION)
        fail_msg("seed %u step %d: %p is misaligned or outside the heap", r->seed, r->step, (void *)s->p);
    if (got != s->cls && !(s->either && got == 0))
        fail_msg("seed %u step %d: heap_size_class_of(%p), a live %zu-byte block, is %zu; expected %zu "
                 "(classes %s)", r->seed, r->step, (void *)s->p, s->size, got, s->cls, r->on ? "on" : "off");
    s->cls = got;
    s->either = false;
}

/* The last heap operation must have succeeded (WHAT names it). */
static void
check_success(const struct run *r, const char *what)
{
    if (heap_last_error() != MEM_SUCCESS)
        fail_msg("seed %u step %d: %s: heap_last_error() is %d", r->seed, r->step, what, heap_last_error());
}

/* kmalloc of a random size (1..300, mostly small) into empty slot S. */
static void
do_kmalloc(struct run *r, struct slot *s)
{
    s->size = rand() % 4 ? 1 + (size_t)rand() % HEAP_CLASS_MAX : 1 + (size_t)rand() % 300;
    s->p = kmalloc(s->size);
    check_success(r, "kmalloc");
    if (!s->p)
        fail_msg("seed %u step %d: kmalloc(%zu) gave NULL", r->seed, r->step, s->size);
    s->cls = class_for(s->size, r->on);
    s->either = false;
    check_class(r, s);
    hand_out(s->p, s->size);
    r->allocs++;
}

/* A refused kfree of P (WHY says what it is): MEM_INVALID, one error. */
static void
expect_refused(struct run *r, void *p, const char *why)
{
    kfree(p);
    r->errors++;
    if (heap_last_error() != MEM_INVALID || heap_error_count() != r->errors)
        fail_msg("seed %u step %d: kfree(%p), %s: heap_last_error() %d, %u errors; expected MEM_INVALID (%d) "
                 "and %u errors", r->seed, r->step, p, why, heap_last_error(), heap_error_count(), MEM_INVALID,
                 r->errors);
}

/* kfree of slot S (by krealloc(p, 0) now and then): the pointer has no
 * class afterwards; with bad frees on, a second kfree is refused. */
static void
do_kfree(struct run *r, struct slot *s)
{
    uint8_t *p = s->p;
    take_back(r, s);
    if (rand() % 8)
        kfree(p);
    else if (krealloc(p, 0) != NULL)
        fail_msg("seed %u step %d: krealloc(p, 0) did not give NULL", r->seed, r->step);
    check_success(r, "kfree");
    r->frees++;
    s->p = NULL;
    if (heap_size_class_of(p) != 0)
        fail_msg("seed %u step %d: heap_size_class_of(%p) is not 0 after kfree", r->seed, r->step, (void *)p);
    if (r->bad_frees && rand() % 2)
        expect_refused(r, p, "freed just before (a double free)");
}

/* krealloc of slot S to a random size: the contents kept, the pointer kept
 * while the new size fits the object's class, the class right. */
static void
do_krealloc(struct run *r, struct slot *s)
{
    size_t size = rand() % 4 ? 1 + (size_t)rand() % HEAP_CLASS_MAX : 1 + (size_t)rand() % 300;
    size_t keep = size < s->size ? size : s->size;
    take_back(r, s);
    uint8_t *q = krealloc(s->p, size);
    check_success(r, "krealloc");
    if (!q)
        fail_msg("seed %u step %d: krealloc(%p, %zu) gave NULL", r->seed, r->step, (void *)s->p, size);
    if (s->cls && size <= s->cls && q != s->p)
        fail_msg("seed %u step %d: krealloc moved a %zu-byte class object for %zu bytes", r->seed, r->step,
                 s->cls, size);
    for (size_t i = 0; i < keep; i++)
        if (q[i] != pattern(s->p, i))
            fail_msg("seed %u step %d: krealloc(%p, %zu) lost byte %zu", r->seed, r->step, (void *)s->p, size, i);
    if (q != s->p && heap_size_class_of(s->p) != 0)
        fail_msg("seed %u step %d: krealloc moved %p, which still has a class", r->seed, r->step, (void *)s->p);
    if (q != s->p) {
        s->either = s->cls == 0 && class_for(size, r->on);
        s->cls = class_for(size, r->on);
    }
    s->p = q;
    s->size = size;
    check_class(r, s);
    hand_out(q, size);
}

/* Bad kfrees of the live object in slot S: misaligned, and interior for a
 * class of 16 bytes or more.  Refused; the object stays live (poisoned:
 * refusing it must not read it). */
static void
do_bad_free(struct run *r, struct slot *s)
{
    if (s->cls == 0)
        return;                 /* a plain block: the heap's own tests check those */
    expect_refused(r, s->p + 1 + rand() % 7, "inside an object (misaligned)");
    if (s->cls >= 16)
        expect_refused(r, s->p + 8, "inside an object");
    check_class(r, s);
}

/* Do the statistics count what the model did, and is the heap sound? */
static void
check_heap(const struct run *r, const memory_stats_t *start)
{
    memory_stats_t now = stats();
    if (now.allocation_count - start->allocation_count != r->allocs ||
        now.free_count - start->free_count != r->frees)
        fail_msg("seed %u step %d: allocation_count +%u, free_count +%u; expected +%u and +%u", r->seed,
                 r->step, now.allocation_count - start->allocation_count, now.free_count - start->free_count,
                 r->allocs, r->frees);
    if (heap_error_count() != r->errors)
        fail_msg("seed %u step %d: %u heap errors, expected %u", r->seed, r->step, heap_error_count(), r->errors);
    if (heap_check() != MEM_SUCCESS)
        fail_msg("seed %u step %d: heap_check failed", r->seed, r->step);
}

/* One random step on a random slot. */
static void
random_step(struct run *r)
{
    struct slot *s = &r->s[rand() % SLOTS];
    int op = rand() % 8;
    if (!s->p)
        do_kmalloc(r, s);
    else if (op < 3)
        do_kfree(r, s);
    else if (op < 6)
        do_krealloc(r, s);
    else if (r->bad_frees)
        do_bad_free(r, s);
    else
        check_class(r, s);
}

/* STEPS random steps against the model (BAD_FREES: refused frees mixed in,
 * and the classes turned off and on now and then), then everything freed:
 * every chunk must have gone back, the heap as it was. */
static void
random_run(unsigned seed, int steps, bool bad_frees)
{
    static struct run r;
    memory_stats_t start = stats();
    r = (struct run){ .on = true, .bad_frees = bad_frees, .seed = seed, .errors = heap_error_count() };
    srand(seed);
    heap_use_size_classes(true);
    for (r.step = 0; r.step < steps; r.step++) {
        if (bad_frees && rand() % 500 == 0)
            heap_use_size_classes(r.on = !r.on);
        random_step(&r);
        check_heap(&r, &start);
    }
    for (int i = 0; i < SLOTS; i++)
        if (r.s[i].p)
            do_kfree(&r, &r.s[i]);
    heap_use_size_classes(false);
    check_heap(&r, &start);
    memory_stats_t end = stats();
    if (end.heap_blocks != start.heap_blocks || end.heap_used != start.heap_used)
        fail_msg("seed %u: all freed, the heap has %u blocks and %u bytes used; at the start %u and %u", seed,
                 end.heap_blocks, end.heap_used, start.heap_blocks, start.heap_used);
}

/* 8 seeds x 2500 random kmalloc, kfree and krealloc of 1 to 300 bytes,
 * classes on, against the model. */
static void
classes_random_against_a_model(void **state)
{
    for (unsigned seed = 1; seed <= 8; seed++)
        random_run(seed, 2500, false);
}

/* The same with double frees, misaligned and interior frees mixed in, and
 * the classes turned off and on during the run. */
static void
classes_random_bad_frees_and_switching(void **state)
{
    for (unsigned seed = 101; seed <= 104; seed++)
        random_run(seed, 2500, true);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(classes_random_against_a_model, setup),
        cmocka_unit_test_setup(classes_random_bad_frees_and_switching, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
