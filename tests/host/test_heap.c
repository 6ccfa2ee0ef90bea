/* test_heap.c: host tests of the kernel heap (chapter 1), with cmocka.
 * Built from tangled/chapter-1/kheap.c and kstring.c as 64-bit code under
 * AddressSanitizer and UndefinedBehaviorSanitizer (tests/host/heap.mk). */
#define _GNU_SOURCE             /* memfd_create */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include "kheap.h"
#include "kstring.h"

#define REGION (64 * 1024)
static _Alignas(16) uint8_t region[REGION + 64];
static char output[1024];
static size_t header;           /* measured, not assumed: 48 bytes on x86-64 */

static int
setup(void **state)
{
    heap_init(region, REGION);
    memory_stats_t s;
    memory_get_stats(&s);
    header = s.heap_size - s.heap_free;
    console_capture(output, sizeof(output));
    return 0;
}

static int
teardown(void **state)
{
    console_capture(NULL, 0);
    return 0;
}

static void
assert_pristine(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    assert_int_equal(s.heap_blocks, 1);
    assert_int_equal(s.heap_used, 0);
}

static void
test_header_keeps_alignment(void **state)
{
    assert_int_equal(header % HEAP_ALIGN, 0);
    for (size_t n = 1; n < 100; n++) {
        void *p = kmalloc(n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % HEAP_ALIGN, 0);
        kfree(p);
    }
    assert_pristine();
}

static void
test_zero_and_impossible_sizes(void **state)
{
    assert_null(kmalloc(0));
    assert_int_equal(heap_last_error(), MEM_SUCCESS);
    assert_null(kmalloc(SIZE_MAX));
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_null(kmalloc(SIZE_MAX - 6));
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_null(kmalloc(SIZE_MAX - header));
    assert_null(kcalloc(SIZE_MAX / 2, 3));
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_null(kmalloc(REGION));
    assert_int_equal(heap_last_error(), MEM_OUT_OF_MEM);
    assert_null(krealloc(kmalloc(8), SIZE_MAX));
    kfree((char *)region + header);                 /* the block of the line above */
    assert_pristine();
}

static void
test_split_and_coalesce_both_ways(void **state)
{
    char *a = kmalloc(40), *b = kmalloc(40), *c = kmalloc(40);
    assert_ptr_equal(b, a + 40 + header);
    kfree(a);
    kfree(c);
    memory_stats_t s;
    memory_get_stats(&s);
    assert_int_equal(s.heap_blocks, 3);             /* a free, b live, c merged with the rest */
    kfree(b);                                       /* merges with both neighbours */
    assert_pristine();
}

static void
test_kcalloc_zeroes(void **state)
{
    unsigned char *p = kmalloc(256);
    memset(p, 0xFF, 256);
    kfree(p);
    p = kcalloc(16, 16);
    for (int i = 0; i < 256; i++)
        assert_int_equal(p[i], 0);
    kfree(p);
    assert_pristine();
}

static void
test_bad_frees_are_refused(void **state)
{
    int local;
    char *p = kmalloc(64), *q = kmalloc(64);
    unsigned errors = heap_error_count();
    kfree(&local);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    kfree(p + 3);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    kfree(p + 16);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    kfree(p);
    kfree(p);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_non_null(strstr(output, "double free"));
    kfree(q);                                       /* q merges with p's block */
    kfree(q);                                       /* now merged away */
    assert_int_equal(heap_last_error(), MEM_INVALID);
    assert_int_equal(heap_error_count(), errors + 5);
    assert_pristine();
}

static void
test_fake_header_is_refused(void **state)
{
    char *a = kmalloc(200);
    /* Copy a's own, perfectly valid header into its payload: magic, checksum
     * and all.  Only the neighbour check can tell it is not a block. */
    memcpy(a + 64, a - header, header);
    kfree(a + 64 + header);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    kfree(a);
    assert_pristine();
}

static void
test_overflow_into_next_header(void **state)
{
    char *a = kmalloc(40), *b = kmalloc(40);
    char saved[64];
    memcpy(saved, b - header, header);
    b[-(long)header + 8] ^= 0x01;                   /* one bit of b's size field */
    assert_int_equal(heap_check(), MEM_CORRUPT);
    kfree(b);
    assert_int_not_equal(heap_last_error(), MEM_SUCCESS);
    char *c = kmalloc(16);                          /* walks past b: fences it off */
    assert_non_null(c);
    assert_true(c > b);
    assert_int_equal(heap_last_error(), MEM_CORRUPT);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    kfree(b);                                       /* fenced: refused */
    assert_int_equal(heap_last_error(), MEM_INVALID);
    kfree(c);
    kfree(a);
    assert_int_equal(heap_unfence(b), MEM_SUCCESS);
    assert_pristine();
    (void)saved;
}

/* The common bug: one byte too many, into the magic of the next header.
 * kfree of the culprit must say so, and the heap must go on working. */
static void
test_one_byte_overrun_caught_at_kfree(void **state)
{
    char *a = kmalloc(40), *b = kmalloc(40), *c = kmalloc(40);
    a[40] = 0;
    kfree(a);
    assert_int_equal(heap_last_error(), MEM_CORRUPT);
    assert_non_null(strstr(output, "kfree: the header after block"));
    assert_int_equal(heap_check(), MEM_SUCCESS);
    char *d = kmalloc(300);
    assert_non_null(d);
    kfree(b);
    assert_int_equal(heap_last_error(), MEM_INVALID);
    kfree(c);
    kfree(d);
    assert_int_equal(heap_unfence(b), MEM_SUCCESS);
    assert_pristine();
}

/* A heap of 4 GiB and more: the statistics must not wrap at 2^32.  The
 * region is 1 MiB of private memory followed by the same 1 MiB of shared
 * memory mapped again and again, so that 4 GiB of address space costs 2 MiB
 * of RAM; everything past the first MiB is free, poisoned memory, the same
 * bytes wherever it appears.  (MAP_POPULATE fills in the page tables at
 * once: a million page faults, one per page, took twice as long.) */
static void
test_statistics_of_a_4_gib_heap(void **state)
{
    const size_t chunk = 1 << 20, size = ((size_t)4 << 30) + 2 * chunk;
    int fd = memfd_create("heap4g", 0);
    assert_true(fd >= 0 && ftruncate(fd, (off_t)chunk) == 0);
    uint8_t *base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(base != MAP_FAILED);
    assert_true(mmap(base, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                     -1, 0) == base);
    for (size_t off = chunk; off < size; off += chunk)
        assert_true(mmap(base + off, chunk, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0)
                    == base + off);
    heap_init(base, size);
    memory_stats_t s;
    memory_get_stats(&s);
    assert_true(s.heap_size == size);
    assert_true(s.heap_free == size - header);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    void *p = kmalloc(100);                         /* in the private first MiB */
    assert_non_null(p);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    kfree(p);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    munmap(base, size);
    close(fd);
    heap_init(region, REGION);
}

static void
test_write_after_free_is_reported(void **state)
{
    char *p = kmalloc(100);
    kfree(p);
    p[99] = 1;
    assert_int_equal(heap_check(), MEM_CORRUPT);
    char *q = kmalloc(100);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);                     /* the damaged bytes are fenced off */
    assert_int_equal(heap_last_error(), MEM_CORRUPT);
    assert_non_null(strstr(output, "written after it was freed"));
    assert_int_equal(heap_check(), MEM_SUCCESS);
    kfree(q);
    assert_int_equal(heap_unfence(p), MEM_SUCCESS);
    assert_pristine();
}

/* krealloc that grows into a free neighbour re-poisons only what held data:
 * a write into the neighbour after it was freed, beyond what the growth
 * takes, stays visible and is reported when those bytes are reused. */
static void
test_write_after_free_survives_realloc(void **state)
{
    char *a = kmalloc(64);
    char *b = kmalloc(1000);
    kfree(b);                                       /* merges with the rest of the heap */
    b[900] = 1;                                     /* the use-after-free write */
    assert_ptr_equal(krealloc(a, 128), a);          /* grows into b, gives the rest back */
    assert_int_equal(heap_last_error(), MEM_SUCCESS);
    assert_int_equal(heap_check(), MEM_CORRUPT);
    char *c = kmalloc(1000);
    assert_non_null(c);
    assert_ptr_not_equal(c, b + 64);                /* the tail, damaged, is fenced off */
    assert_int_equal(heap_last_error(), MEM_CORRUPT);
    assert_non_null(strstr(output, "written after it was freed"));
    kfree(c);
    kfree(a);
    assert_int_equal(heap_unfence(b + 64), MEM_SUCCESS);
    assert_pristine();
}

static void
test_realloc_keeps_contents(void **state)
{
    unsigned char *p = kmalloc(10);
    for (int i = 0; i < 10; i++)
        p[i] = (unsigned char)i;
    char *blocker = kmalloc(8);
    p = krealloc(p, 5000);                          /* must move */
    for (int i = 0; i < 10; i++)
        assert_int_equal(p[i], i);
    unsigned char *r = krealloc(p, 3);              /* shrink in place */
    assert_ptr_equal(r, p);
    assert_null(krealloc(r, 0));                    /* = kfree */
    kfree(blocker);
    assert_pristine();
}

/* The randomized test: random operations against a model of the live
 * blocks; each payload holds a pattern derived from its address, checked
 * before it is freed or resized; heap_check after every step. */
#define SLOTS 64

static uint8_t
pattern(const void *p, size_t i)
{
    return (uint8_t)(((uintptr_t)p >> 3) * 31 + i * 7);
}

static void
fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(p, i);
}

static void
verify(const uint8_t *p, size_t n, unsigned seed, int step)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(p, i))
            fail_msg("seed %u step %d: payload %p byte %zu changed", seed, step, (void *)p, i);
}

static void
random_run(unsigned seed, int steps)
{
    uint8_t *ptr[SLOTS] = { 0 };
    size_t size[SLOTS] = { 0 };
    srand(seed);
    for (int step = 0; step < steps; step++) {
        int i = rand() % SLOTS, op = rand() % 3;
        size_t n = (rand() % 4 == 0) ? (size_t)(rand() % 4096) : (size_t)(rand() % 200);
        if (ptr[i] && op == 0) {
            verify(ptr[i], size[i], seed, step);
            kfree(ptr[i]);
            ptr[i] = NULL;
        } else if (ptr[i] && op == 1) {
            verify(ptr[i], size[i], seed, step);
            uint8_t *q = krealloc(ptr[i], n);
            if (n == 0) {
                ptr[i] = NULL;
            } else if (q) {
                size_t keep = size[i] < n ? size[i] : n;
                for (size_t k = 0; k < keep; k++)    /* contents survive, moved or not */
                    if (q[k] != pattern(ptr[i], k))
                        fail_msg("seed %u step %d: krealloc lost byte %zu", seed, step, k);
                ptr[i] = q;
                size[i] = n;
                fill(q, n);
            }
        } else if (!ptr[i] && n) {
            ptr[i] = kmalloc(n);
            size[i] = n;
            if (ptr[i])
                fill(ptr[i], n);
        }
        int e = heap_last_error();              /* running out is fine; nothing else */
        if (e != MEM_SUCCESS && e != MEM_OUT_OF_MEM)
            fail_msg("seed %u step %d: heap error %d", seed, step, e);
        if (heap_check() != MEM_SUCCESS)
            fail_msg("seed %u step %d: heap_check failed", seed, step);
    }
    for (int i = 0; i < SLOTS; i++) {
        if (ptr[i])
            verify(ptr[i], size[i], seed, steps);
        kfree(ptr[i]);
    }
    assert_pristine();
}

/* Fill BUF with a pattern that differs from SRC's. */
static void
patterns(unsigned char *buf, unsigned char *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        buf[i] = (unsigned char)(i * 7);
        src[i] = (unsigned char)(i * 13 + 1);
    }
}

/* The kernel's memset, memcpy and memmove (kstring.c; renamed k* here) at
 * every alignment of destination and source and every length up to 80,
 * against byte loops: the bytes in range change, no byte outside does.
 * The fill byte 0xA5 is >= 0x80, the design's undefined shift (UBSan). */
static void
test_string_functions_at_every_alignment(void **state)
{
    enum { SIZE = 128 };
    static unsigned char buf[SIZE], src[SIZE], want[SIZE], tmp[SIZE];
    for (size_t off = 0; off < 16; off++)
        for (size_t soff = 0; soff < 16; soff++)
            for (size_t n = 0; n <= 80; n++) {
                patterns(buf, src, SIZE);
                patterns(want, tmp, SIZE);
                memcpy(buf + off, src + soff, n);
                for (size_t i = 0; i < n; i++)
                    want[off + i] = src[soff + i];
                assert_memory_equal(buf, want, SIZE);

                memset(buf + off, 0xA5, n);
                for (size_t i = 0; i < n; i++)
                    want[off + i] = 0xA5;
                assert_memory_equal(buf, want, SIZE);

                patterns(buf, src, SIZE);
                patterns(want, tmp, SIZE);
                memmove(buf + off, buf + soff, n);          /* overlapping, either way */
                for (size_t i = 0; i < n; i++)
                    tmp[i] = want[soff + i];
                for (size_t i = 0; i < n; i++)
                    want[off + i] = tmp[i];
                assert_memory_equal(buf, want, SIZE);
            }
}

static void
test_randomized_against_a_model(void **state)
{
    for (unsigned seed = 1; seed <= 8; seed++) {
        heap_init(region, REGION);
        random_run(seed, 4000);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_keeps_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_and_impossible_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_and_coalesce_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kcalloc_zeroes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frees_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fake_header_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overflow_into_next_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_byte_overrun_caught_at_kfree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_after_free_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_after_free_survives_realloc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics_of_a_4_gib_heap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realloc_keeps_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_randomized_against_a_model, setup, teardown),
        cmocka_unit_test(test_string_functions_at_every_alignment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
