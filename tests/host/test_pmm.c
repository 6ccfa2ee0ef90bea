/* test_pmm.c: host tests of the physical memory manager (chapter 2) over
 * synthetic memory maps, with cmocka, under ASan and UBSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "pmm.h"
#include "kheap.h"
#include "memory_map.h"

extern uint8_t *host_ram;
#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* struct map, entry() and qemu_map(): memory_map.h. */

/* Set the allocator up from map M plus the reserved range [0, 1 MiB). */
static uint32_t
setup_from(const struct map *m)
{
    struct pmm_ranges usable = { 0 }, reserved = { 0 };
    pmm_parse_map(m->bytes, m->length, &usable, &reserved);
    reserved.r[reserved.n++] = (struct pmm_range){ 0, LOW_MEMORY_END };
    return pmm_setup(&usable, &reserved);
}

/* Count independently the frames that should be free: usable, whole,
 * below 4 GiB, above 1 MiB, and outside reserved entries and metadata. */
static uint32_t
expected_frames(const struct map *m)
{
    uint32_t n = 0;
    struct pmm_range meta = pmm_metadata();
    for (uint64_t pa = LOW_MEMORY_END; pa < 4 * GiB; pa += PAGE_SIZE) {
        bool usable = false, reserved = pa < meta.end && pa + PAGE_SIZE > meta.start;
        for (uint32_t off = 0; off < m->length; off += 24) {
            const struct multiboot_mmap_entry *e = (const void *)(m->bytes + off);
            uint64_t end = e->addr + e->len < e->addr ? UINT64_MAX : e->addr + e->len;
            if (e->type == 1 && pa >= e->addr && pa + PAGE_SIZE <= end)
                usable = true;
            if (e->type != 1 && pa < end && pa + PAGE_SIZE > e->addr)
                reserved = true;
        }
        n += usable && !reserved;
    }
    return n;
}

/* Take every frame; each must be aligned, unique and usable; give all back. */
static void
drain_and_refill(const struct map *m, uint32_t frames)
{
    uint32_t *taken = malloc(sizeof(uint32_t) * (frames + 1));
    uint8_t *seen = calloc(1 << 20, 1);
    uint32_t n = 0;
    phys_addr_t pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        assert_true(n < frames);
        assert_int_equal(pa % PAGE_SIZE, 0);
        assert_true(pa >= LOW_MEMORY_END);
        assert_false(seen[pa / PAGE_SIZE]);
        seen[pa / PAGE_SIZE] = 1;
        taken[n++] = pa;
    }
    assert_int_equal(n, frames);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(pmm_free_page(taken[i]), MEM_SUCCESS);
    assert_int_equal(pmm_free_frames(), frames);
    free(taken);
    free(seen);
}

static void
check_map(const struct map *m)
{
    uint32_t n = setup_from(m);
    assert_int_equal(n, expected_frames(m));
    assert_int_equal(pmm_free_frames(), n);
    drain_and_refill(m, n);
}

static void
test_qemu_maps(void **state)
{
    static const uint64_t sizes[] = { 16 * MiB, 32 * MiB, 512 * MiB, 3 * GiB, 4 * GiB };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct map m = { .length = 0 };
        qemu_map(&m, sizes[i]);
        check_map(&m);
    }
}

static void
test_holes_overlaps_and_zero_lengths(void **state)
{
    struct map m = { .length = 0 };
    entry(&m, 0x100000, 8 * MiB, 1);
    entry(&m, 0x300000, 0x5000, 2);                 /* reserved inside usable: reserved wins */
    entry(&m, 0x200000, 2 * MiB, 1);                /* usable overlapping usable */
    entry(&m, 12 * MiB, 0, 1);                      /* zero length */
    entry(&m, 16 * MiB, 4 * MiB, 1);                /* after a hole */
    entry(&m, 0x500123, 0x2000, 3);                 /* an unaligned ACPI range */
    check_map(&m);
}

static void
test_above_4g_and_overflowing_entries(void **state)
{
    struct map m = { .length = 0 };
    entry(&m, 0x100000, 16 * MiB, 1);
    entry(&m, 0xFFFF0000ull, 0x20000, 1);           /* crosses 4 GiB: clipped */
    entry(&m, 5 * GiB, 2 * GiB, 1);                 /* entirely above: ignored */
    entry(&m, 0xFFFFFFFFFFFFF000ull, 0x2000, 1);    /* end wraps past 2^64: dropped */
    check_map(&m);
}

static void
test_tiny_machines(void **state)
{
    struct map m = { .length = 0 };
    entry(&m, 0, 0x9FC00, 1);                       /* 639 KiB: nothing above 1 MiB */
    assert_int_equal(setup_from(&m), 0);
    assert_int_equal(pmm_alloc_page(), PMM_NO_FRAME);
    assert_int_equal(pmm_free_page(0x1000), MEM_INVALID);
    struct map two = { .length = 0 };
    entry(&two, 0x100000, 0x1800, 1);               /* 1.5 frames above 1 MiB */
    assert_int_equal(setup_from(&two), 0);          /* the one frame holds the metadata */
    assert_int_equal(pmm_alloc_page(), PMM_NO_FRAME);
}

static void
test_bad_frees_change_nothing(void **state)
{
    struct map m = { .length = 0 };
    qemu_map(&m, 32 * MiB);
    uint32_t n = setup_from(&m);
    phys_addr_t pa = pmm_alloc_page();
    memset(host_ram + pa, 0x11, PAGE_SIZE);
    assert_int_equal(pmm_free_page(pa + 4), MEM_INVALID);
    assert_int_equal(pmm_free_page(0), MEM_INVALID);
    assert_int_equal(pmm_free_page(0xA0000), MEM_INVALID);          /* the hole */
    assert_int_equal(pmm_free_page((phys_addr_t)pmm_metadata().start), MEM_INVALID);
    assert_int_equal(pmm_free_page(0x02000000), MEM_INVALID);       /* past the end of RAM */
    assert_int_equal(pmm_free_page(pa), MEM_SUCCESS);
    assert_int_equal(host_ram[pa], PMM_POISON);
    assert_int_equal(pmm_free_page(pa), MEM_INVALID);               /* double free */
    assert_int_equal(pmm_free_frames(), n);
}

/* Broken entries end the walk, without reading past the map or looping:
 * a size whose size + 4 is 0 in 32 bits, and one past the end of the map. */
static void
test_broken_entries_end_the_walk(void **state)
{
    struct map m = { .length = 0 };
    entry(&m, 0x100000, 16 * MiB, 1);
    entry(&m, 32 * MiB, 16 * MiB, 1);
    entry(&m, 64 * MiB, 16 * MiB, 1);               /* never reached */
    struct multiboot_mmap_entry e;
    memcpy(&e, m.bytes + 24, sizeof e);
    e.size = 0xFFFFFFFCu;                           /* size + 4 == 0 in 32 bits */
    memcpy(m.bytes + 24, &e, sizeof e);
    struct pmm_ranges usable = { 0 }, reserved = { 0 };
    pmm_parse_map(m.bytes, m.length, &usable, &reserved);
    assert_int_equal(usable.n, 2);                  /* the broken entry is whole: used, last */
    e.size = 20 + 4;                                /* claims 4 bytes more than the map has */
    memcpy(m.bytes + 24, &e, sizeof e);
    usable.n = 0;
    pmm_parse_map(m.bytes, 2 * 24, &usable, &reserved);
    assert_int_equal(usable.n, 2);
    usable.n = 0;
    pmm_parse_map(m.bytes, 24 + 10, &usable, &reserved);   /* half an entry at the end */
    assert_int_equal(usable.n, 1);
}

/* pmm_frame refuses the failure value with a panic. */
static jmp_buf panicked;
static void
panic_returns(const char *message)
{
    (void)message;
    longjmp(panicked, 1);
}

static void
test_pmm_frame_refuses_no_frame(void **state)
{
    int before = host_panic_count;
    host_panic_hook = panic_returns;
    if (!setjmp(panicked))
        pmm_frame(PMM_NO_FRAME);
    host_panic_hook = NULL;
    assert_int_equal(host_panic_count, before + 1);
}

int
main(void)
{
    host_ram = calloc(64 << 20, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_maps),
        cmocka_unit_test(test_holes_overlaps_and_zero_lengths),
        cmocka_unit_test(test_above_4g_and_overflowing_entries),
        cmocka_unit_test(test_tiny_machines),
        cmocka_unit_test(test_bad_frees_change_nothing),
        cmocka_unit_test(test_broken_entries_end_the_walk),
        cmocka_unit_test(test_pmm_frame_refuses_no_frame),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    free(host_ram);
    return failed;
}
