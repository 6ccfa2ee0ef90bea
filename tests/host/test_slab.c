/* test_slab.c: host tests of stage 4's slab caches and routed kmalloc, with
 * cmocka.  Built from tangled/chapter-4/ (slab.c, kmalloc.c, kheap.c,
 * kstring.c) as 64-bit code under AddressSanitizer and UBSan, over the
 * memory of slab_host.c (tests/host/slab.mk): once as the kernel is built
 * (HEAP_DEBUG: poison) and once without it (the release build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "slab.h"
#include "kstring.h"
#include "slab_host.h"

static char output[2048];
static long pages_at_start;

static int
setup(void **state)
{
    host_memory_init();
    pages_at_start = host_pages_mapped;
    console_capture(output, sizeof(output));
    return 0;
}

static int
teardown(void **state)
{
    console_capture(NULL, 0);
    return 0;
}

static bool
said(const char *phrase)
{
    return strstr(output, phrase) != NULL;
}

static bool
in_slabs(const void *p)
{
    return (uintptr_t)p - host_slab_base < SLAB_VIRTUAL_SIZE;
}

static const size_t class_size[] = { 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048 };

/* Everything back: no live object, every empty slab returned, the heap
 * pristine, and no page mapped beyond those of the start. */
static void
assert_all_returned(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    assert_int_equal(slab_check(), MEM_SUCCESS);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    assert_int_equal(s.heap_used, 0);
    for (const kmem_cache_t *c = slab_next_cache(NULL); c; c = slab_next_cache(c))
        if (c != slab_find_cache("kmem_cache"))
            assert_int_equal(cache_live(c), 0);
    slab_shrink_all();
    heap_trim();
    assert_int_equal(host_pages_mapped, pages_at_start);
}

static void
test_every_size_goes_to_the_smallest_class(void **state)
{
    for (size_t n = 1; n <= 2048; n++) {
        char *p = kmalloc(n);
        size_t k = 0;
        while (class_size[k] < n)
            k++;
        assert_non_null(p);
        assert_true(in_slabs(p));
        assert_int_equal((uintptr_t)p % 8, 0);
        assert_ptr_equal(kmalloc_cache(n), slab_cache_of(p, "test", __FILE__, __LINE__));
        assert_int_equal(kmalloc_cache(n)->size, class_size[k]);
        memset(p, 0x11, n);
        kfree(p);
        assert_int_equal(heap_last_error(), MEM_SUCCESS);
    }
    char *big = kmalloc(2049);
    assert_true(big && !in_slabs(big));
    kfree(big);
    assert_null(kmalloc(0));
    assert_int_equal(heap_last_error(), MEM_SUCCESS);
    assert_null(kmalloc(SIZE_MAX));
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_all_returned();
}

static void
test_bad_pointers_are_refused(void **state)
{
    char *p = kmalloc(48), *q = kmalloc(48);
    unsigned errors = heap_error_count();
    kfree(p);
    kfree(p);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_true(said("double free"));
    kfree(q + 8);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_true(said("inside an object"));
    kfree(q + 1);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    kfree((char *)host_slab_base + SLAB_VIRTUAL_SIZE - 8);
    assert_true(said("not in any slab"));
    assert_null(krealloc(p, 4000));
    assert_int_equal(heap_last_error(), MEM_INVALID);
    /* the descriptor at the end of q's slab is no object either */
    kfree((char *)((uintptr_t)q | (PAGE_SIZE - 8)));
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_int_equal(heap_error_count(), errors + 6);
    kfree(q);
    assert_int_equal(heap_last_error(), MEM_SUCCESS);
    assert_all_returned();
}

static void
test_caches_check_their_objects(void **state)
{
    kmem_cache_t *a = kmem_cache_create("a", 24, 0, NULL), *b = kmem_cache_create("b", 24, 0, NULL);
    void *x = kmem_cache_alloc(a);
    kmem_cache_free(b, x);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_true(said("belongs to a, not b"));
    assert_int_equal(kmem_cache_destroy(a), MEM_INVALID);
    kmem_cache_free(a, x);
    assert_int_equal(kmem_cache_destroy(a), MEM_SUCCESS);
    assert_int_equal(kmem_cache_destroy(b), MEM_SUCCESS);
    assert_null(kmem_cache_create("zero", 0, 0, NULL));
    assert_null(kmem_cache_create("huge", SLAB_MAX_OBJECT + 1, 0, NULL));
    assert_null(kmem_cache_create("odd", 32, 12, NULL));
    kmem_cache_t *al = kmem_cache_create("aligned", 100, 64, NULL);
    void *o[50];
    for (int i = 0; i < 50; i++) {
        o[i] = kmem_cache_alloc(al);
        assert_int_equal((uintptr_t)o[i] % 64, 0);
    }
    for (int i = 0; i < 50; i++)
        kmem_cache_free(al, o[i]);
    assert_int_equal(kmem_cache_destroy(al), MEM_SUCCESS);
    assert_all_returned();
}

static int constructed;

static void
ctor(void *p)
{
    memset(p, 0x3C, 72);
    constructed++;
}

static void
test_constructed_objects_stay_constructed(void **state)
{
    kmem_cache_t *c = kmem_cache_create("ctor", 72, 0, ctor);
    constructed = 0;
    void *o[200];
    for (int i = 0; i < 200; i++) {
        o[i] = kmem_cache_alloc(c);
        for (int b = 0; b < 72; b++)
            assert_int_equal(((uint8_t *)o[i])[b], 0x3C);
    }
    assert_int_equal(constructed, (int)(c->slabs * c->objects));
    for (int i = 0; i < 200; i++)
        kmem_cache_free(c, o[i]);
    for (int i = 0; i < 200; i++) {
        o[i] = kmem_cache_alloc(c);
        for (int b = 0; b < 72; b++)
            assert_int_equal(((uint8_t *)o[i])[b], 0x3C);
    }
    assert_int_equal(constructed, (int)(c->slabs * c->objects));
    for (int i = 0; i < 200; i++)
        kmem_cache_free(c, o[i]);
    assert_int_equal(kmem_cache_destroy(c), MEM_SUCCESS);
    assert_all_returned();
}

static void
test_write_after_free(void **state)
{
    char *p = kmalloc(200);
    kfree(p);
    p[150] = 1;
#ifdef HEAP_DEBUG
    assert_int_equal(slab_check(), MEM_CORRUPT);
    char *q = kmalloc(200);
    assert_ptr_equal(q, p);
    assert_int_equal(heap_last_error(), MEM_CORRUPT);
    assert_true(said("written after it was freed"));
    kfree(q);
#else
    char *q = kmalloc(200);
    assert_ptr_equal(q, p);
    kfree(q);
#endif
    /* a corrupted link: the slab is set aside, the allocation still succeeds */
    void *a = kmalloc(16), *b = kmalloc(16);
    kfree(b);
    kfree(a);
    *(void **)a = (char *)host_slab_base + SLAB_VIRTUAL_SIZE - 64;
    assert_ptr_equal(kmalloc(16), a);
    void *c = kmalloc(16);
    assert_true(c != NULL && in_slabs(c) && c != (char *)host_slab_base + SLAB_VIRTUAL_SIZE - 64);
    assert_true(said("not a free object"));
    assert_int_equal(slab_check(), MEM_SUCCESS);
}

static void
test_shrink_returns_pages_and_oom_is_clean(void **state)
{
    static void *p[20000];
    for (int i = 0; i < 20000; i++)
        assert_non_null(p[i] = kmalloc(1 + i % 700));
    long pages = host_pages_mapped;
    for (int i = 0; i < 20000; i++)
        kfree(p[i]);
    assert_int_equal(host_pages_mapped, pages);     /* empty slabs are kept ... */
    assert_true(slab_shrink_all() > 0);             /* ... until the caches shrink */
    assert_int_equal(host_pages_mapped, pages_at_start);
    host_page_limit = host_pages_mapped;            /* no frame left */
    assert_null(kmalloc(100));
    assert_int_equal(heap_last_error(), MEM_OUT_OF_MEM);
    assert_int_equal(host_pages_mapped, pages_at_start);
    host_page_limit = -1;
    void *q = kmalloc(100);
    assert_non_null(q);
    kfree(q);
    assert_all_returned();
}

static void
test_krealloc_moves_between_classes_and_the_heap(void **state)
{
    char *p = kmalloc(10);
    memcpy(p, "0123456789", 10);
    assert_ptr_equal(krealloc(p, 8), p);
    for (size_t n = 11; n < 6000; n = n * 3 / 2) {
        p = krealloc(p, n);
        assert_non_null(p);
        assert_memory_equal(p, "01234567", 8);
        assert_int_equal(in_slabs(p), n <= 2048);
    }
    kfree(p);
    assert_all_returned();
}

/* The randomized test: random kmalloc, kfree and krealloc against a model
 * of what is live; every block filled with a pattern of its own, checked
 * before it is freed or resized; slab_check and heap_check now and then. */
#define SLOTS 3000
static struct {
    uint8_t *p;
    size_t n;
    uint8_t tag;
} live[SLOTS];

static uint32_t rng;
static uint32_t
next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static size_t
random_size(void)
{
    uint32_t r = next() % 100;
    if (r < 60)
        return 1 + next() % 128;
    if (r < 90)
        return 1 + next() % 2048;
    return 1 + next() % 9000;
}

static void
fill(int i)
{
    for (size_t b = 0; b < live[i].n; b++)
        live[i].p[b] = (uint8_t)(live[i].tag + b);
}

static void
verify(int i)
{
    for (size_t b = 0; b < live[i].n; b++)
        if (live[i].p[b] != (uint8_t)(live[i].tag + b))
            fail_msg("block %d (%zu bytes at %p): byte %zu overwritten", i, live[i].n, (void *)live[i].p, b);
}

static void
random_run(uint32_t seed, int steps)
{
    rng = seed;
    memset(live, 0, sizeof(live));
    for (int step = 0; step < steps; step++) {
        int i = (int)(next() % SLOTS);
        uint32_t op = next() % 10;
        if (!live[i].p) {
            live[i].n = random_size();
            live[i].p = kmalloc(live[i].n);
            assert_non_null(live[i].p);
            assert_int_equal((uintptr_t)live[i].p % 8, 0);
            live[i].tag = (uint8_t)next();
            fill(i);
        } else if (op < 7) {
            verify(i);
            kfree(live[i].p);
            assert_int_equal(heap_last_error(), MEM_SUCCESS);
            live[i].p = NULL;
        } else {
            verify(i);
            size_t n = random_size();
            uint8_t *q = krealloc(live[i].p, n);
            assert_non_null(q);
            live[i].p = q;
            live[i].n = n < live[i].n ? n : live[i].n;
            verify(i);
            live[i].n = n;
            fill(i);
        }
        if (step % 5000 == 0) {
            assert_int_equal(slab_check(), MEM_SUCCESS);
            assert_int_equal(heap_check(), MEM_SUCCESS);
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (live[i].p) {
            verify(i);
            kfree(live[i].p);
            live[i].p = NULL;
        }
    assert_all_returned();
}

static void
test_randomized_against_a_model(void **state)
{
    for (uint32_t seed = 1; seed <= 4; seed++) {
        print_message("random run, seed %u\n", seed);
        host_memory_init();
        pages_at_start = host_pages_mapped;
        random_run(seed * 2654435761u, 100000);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_size_goes_to_the_smallest_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_pointers_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caches_check_their_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constructed_objects_stay_constructed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_after_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shrink_returns_pages_and_oom_is_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_krealloc_moves_between_classes_and_the_heap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_randomized_against_a_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
