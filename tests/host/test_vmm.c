/* test_vmm.c: host tests of chapter 3's page-table code (vmm.c, with the
 * real pmm.c and kheap.c), with cmocka, under UBSan, over the simulated
 * MMU and TLB of vmm_host.c.  Every test boots a fresh simulated machine
 * the way kmain does: frame allocator, vmm_init, heap_init_virtual. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vmm.h"
#include "kheap.h"
#include "x86.h"
#include "vmm_host.h"
#include "memory_map.h"

#define MiB (1u << 20)
#define TEST_VA  0xE0000000u                /* nothing else is mapped here */
#define GARBAGE  0x00345067u                /* present, writable, user: a plausible entry */
#define PD_INDEX_HEAP (HEAP_VIRTUAL_START >> 22)

/* struct map, entry() and qemu_map(): memory_map.h. */

/* A kernel panic fails the running test (instead of ending the program). */
static void
panic_fails_the_test(const char *message)
{
    fail_msg("the kernel panicked: %s", message);
}

/* Boot a fresh machine from map M as kmain does; the first 2 MiB (BIOS,
 * the boot directory, "the kernel image") are reserved. */
static void
boot_with(const struct map *m)
{
    host_panic_hook = panic_fails_the_test;
    sim_reset(GARBAGE);
    struct pmm_ranges usable = { 0 }, reserved = { 0 };
    pmm_parse_map(m->bytes, m->length, &usable, &reserved);
    reserved.r[reserved.n++] = (struct pmm_range){ 0, 2 * MiB };
    assert_true(pmm_setup(&usable, &reserved) > 0);
    vmm_init();
    heap_init_virtual();
}

/* Boot with all of the simulated RAM; boot_small with 32 MiB, for the
 * tests that take every frame (and so that freeing them all, which
 * poisons each one, stays cheap). */
static void
boot(void)
{
    struct map m = { .length = 0 };
    qemu_map(&m, SIM_RAM_SIZE);
    boot_with(&m);
}

static void
boot_small(void)
{
    struct map m = { .length = 0 };
    qemu_map(&m, 32 * MiB);
    boot_with(&m);
}

/* A module that fills the direct map (300 MiB at 2 MiB, in 512 MiB of RAM):
 * the frame allocator's bookkeeping has no room below 256 MiB, and must not
 * be put above it, where nothing maps it yet; pmm_setup says so.  A module
 * that leaves a few MiB free below 256 MiB: the bookkeeping goes there. */
static void
test_bookkeeping_stays_in_the_direct_map(void **state)
{
    static char said[512];
    struct map m = { .length = 0 };
    qemu_map(&m, SIM_RAM_SIZE);
    host_panic_hook = panic_fails_the_test;
    for (int big = 1; big >= 0; big--) {
        sim_reset(GARBAGE);
        struct pmm_ranges usable = { 0 }, reserved = { 0 };
        pmm_parse_map(m.bytes, m.length, &usable, &reserved);
        reserved.r[reserved.n++] = (struct pmm_range){ 0, 2 * MiB };
        reserved.r[reserved.n++] = (struct pmm_range){ 2 * MiB, (big ? 302 : 250) * MiB };
        console_capture(said, sizeof(said));
        uint32_t frames = pmm_setup(&usable, &reserved);
        console_capture(NULL, 0);
        if (big) {
            assert_int_equal(frames, 0);
            assert_non_null(strstr(said, "no room for the frame allocator's"));
            assert_non_null(strstr(said, "below 256 MiB"));
        } else {
            assert_true(frames > 0);
            assert_true(pmm_metadata().end <= DIRECT_MAP_SIZE);
        }
    }
}

/* The directory and a page table as the walker sees them (physical). */
static uint32_t
pde_of(uintptr_t va)
{
    return sim_phys32((sim_cr3 & PAGE_FRAME) + PDX(va) * 4);
}

static uint32_t
pte_of(uintptr_t va)
{
    return sim_phys32((pde_of(va) & PAGE_FRAME) + PTX(va) * 4);
}

/* Write V into the first word of frame PA, not through the MMU. */
static void
poke(phys_addr_t pa, uint32_t v)
{
    memcpy(sim_ram + pa, &v, 4);
}

static uint32_t
peek(phys_addr_t pa)
{
    return sim_phys32(pa);
}

/* Read through the MMU; fail the test if it faults. */
static uint32_t
read_va(uintptr_t va)
{
    uint32_t v = 0;
    if (!sim_read(va, &v))
        fail_msg("reading 0x%08x faulted (error code %u)", (unsigned)va, sim_last_fault.err);
    return v;
}

static void
expect_fault(uintptr_t va, bool write, uint32_t err)
{
    uint32_t v;
    if (write ? sim_write(va, 0xDEADBEEF) : sim_read(va, &v))
        fail_msg("%s 0x%08x did not fault (a stale TLB entry? a missing check?)",
                 write ? "writing" : "reading", (unsigned)va);
    assert_int_equal(sim_last_fault.addr, (uint32_t)va);
    assert_int_equal(sim_last_fault.err, err);
}

/* Take every free frame (into a host array, touching none of them). */
static phys_addr_t *
drain(uint32_t *n)
{
    phys_addr_t *all = malloc(sizeof(phys_addr_t) * (pmm_free_frames() + 1)), pa;
    *n = 0;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME)
        all[(*n)++] = pa;
    return all;
}

static void
refill(phys_addr_t *all, uint32_t n)
{
    while (n > 0)
        assert_int_equal(pmm_free_page(all[--n]), MEM_SUCCESS);
    free(all);
}

/* vmm_init, on a machine whose RAM is dirty: the directory it switched to
 * holds exactly the kernel's layout, every table it took was zeroed, and
 * the recursive entry shows the tables at 0xFFC00000. */
static void
test_vmm_init_builds_the_directory(void **state)
{
    boot();
    assert_int_equal(sim_count.cr3_writes, 1);
    assert_int_not_equal(sim_cr3, SIM_BOOT_PD);
    assert_true(read_cr0() & CR0_WP);
    assert_true(vmm_ready());
    uint32_t pd = sim_cr3 & PAGE_FRAME;
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t e = sim_phys32(pd + i * 4);
        uintptr_t va = (uintptr_t)i << 22;
        if (i == PDX(KERNEL_VIRTUAL_BASE) || i == PDX(TEMP_WINDOW) || i == PD_INDEX_HEAP)
            assert_int_equal(e & (PAGE_PRESENT | PAGE_WRITABLE | PAGE_LARGE), PAGE_PRESENT | PAGE_WRITABLE);
        else if (va > KERNEL_VIRTUAL_BASE && va < KERNEL_VIRTUAL_BASE + DIRECT_MAP_SIZE)
            assert_int_equal(e, (va - KERNEL_VIRTUAL_BASE) | PAGE_PRESENT | PAGE_WRITABLE | PAGE_LARGE);
        else if (i == 1023)
            assert_int_equal(e, pd | PAGE_PRESENT | PAGE_WRITABLE);
        else
            assert_int_equal(e, 0);     /* the identity mapping is gone, and no garbage */
        assert_int_equal(read_va(PAGE_TABLES + 1023 * PAGE_SIZE + i * 4), e);  /* the directory, through itself */
    }
    /* The first 4 MiB page by page (the host has no kernel image, so no
     * read-only code and no guard page here: the boot tests check those). */
    for (uint32_t i = 0; i < 1024; i++)
        assert_int_equal(pte_of(KERNEL_VIRTUAL_BASE + i * PAGE_SIZE), i * PAGE_SIZE | PAGE_PRESENT | PAGE_WRITABLE);
    /* The temporary window's table was zeroed. */
    for (uint32_t i = 0; i < 1024; i++)
        assert_int_equal(read_va(PAGE_TABLES + PDX(TEMP_WINDOW) * PAGE_SIZE + i * 4), 0);
    /* The direct map reaches physical memory, and translate agrees. */
    for (phys_addr_t pa = 0x1000; pa < DIRECT_MAP_SIZE; pa += 0x01234000) {
        poke(pa, pa ^ 0x5A5A5A5A);
        assert_int_equal(read_va(KERNEL_VIRTUAL_BASE + pa), pa ^ 0x5A5A5A5A);
        assert_int_equal(vmm_translate(KERNEL_VIRTUAL_BASE + pa + 0x123), pa + 0x123);
    }
    assert_int_equal(vmm_translate(PAGE_TABLES + 1023 * PAGE_SIZE), pd);
    assert_int_equal(vmm_translate(HEAP_VIRTUAL_START + INITIAL_HEAP_SIZE), VMM_NO_MAPPING);
}

/* Random maps, unmaps, translations and accesses, checked against a model
 * (an array of what each page should map to); then everything undone: no
 * frame lost except the page tables, which stay, and are reused. */
#define RANDOM_REGIONS  40                  /* 4 MiB regions, 12 MiB apart */
#define RANDOM_SLOTS    64                  /* pages used in each region */
static uintptr_t
random_va(uint32_t r)
{
    uint32_t region = r % RANDOM_REGIONS, slot = (r / RANDOM_REGIONS) % RANDOM_SLOTS;
    return TEST_VA + region * 12 * MiB + slot * 16 * PAGE_SIZE;
}

static uint32_t
xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void
random_round(uint32_t seed, int ops, phys_addr_t model[RANDOM_REGIONS * RANDOM_SLOTS], bool ro[])
{
    for (int op = 0; op < ops; op++) {
        uint32_t r = xorshift(&seed), i = r % (RANDOM_REGIONS * RANDOM_SLOTS);
        uintptr_t va = random_va(i);
        uint32_t off = (r >> 16) & 0xFFC;
        switch ((r >> 28) % 4) {
        case 0: case 1: {                   /* map */
            phys_addr_t pa = pmm_alloc_page();
            assert_int_not_equal(pa, PMM_NO_FRAME);
            bool writable = r & 0x08000000;
            int rc = vmm_map_page(va, pa, writable ? PAGE_WRITABLE : 0);
            if (model[i] != VMM_NO_MAPPING) {
                assert_int_equal(rc, MEM_INVALID);
                assert_int_equal(pmm_free_page(pa), MEM_SUCCESS);
            } else {
                assert_int_equal(rc, MEM_SUCCESS);
                model[i] = pa;
                ro[i] = !writable;
                poke(pa, (uint32_t)va);
            }
            break;
        }
        case 2: {                           /* unmap */
            phys_addr_t pa = vmm_unmap_page(va);
            assert_int_equal(pa, model[i]);
            if (pa != VMM_NO_MAPPING) {
                assert_int_equal(pmm_free_page(pa), MEM_SUCCESS);
                model[i] = VMM_NO_MAPPING;
            }
            break;
        }
        default:                            /* translate and access */
            if (model[i] == VMM_NO_MAPPING) {
                assert_int_equal(vmm_translate(va + off), VMM_NO_MAPPING);
                expect_fault(va + off, r & 1, r & 1 ? PF_WRITE : 0);
            } else {
                assert_int_equal(vmm_translate(va + off), model[i] + off);
                assert_int_equal(read_va(va), (uint32_t)va);
                if (ro[i])
                    expect_fault(va + off, true, PF_WRITE | PF_PROTECTION);
                else {
                    assert_true(sim_write(va + off, op));
                    assert_int_equal(peek(model[i] + off), (uint32_t)op);
                    assert_true(sim_write(va + off, off ? 0 : (uint32_t)va));
                }
            }
        }
        assert_int_equal(vmm_translate(va + off),
                         model[i] == VMM_NO_MAPPING ? VMM_NO_MAPPING : model[i] + off);
    }
}

static void
unmap_all(phys_addr_t model[])
{
    for (uint32_t i = 0; i < RANDOM_REGIONS * RANDOM_SLOTS; i++) {
        assert_int_equal(vmm_unmap_page(random_va(i)), model[i]);
        if (model[i] != VMM_NO_MAPPING)
            assert_int_equal(pmm_free_page(model[i]), MEM_SUCCESS);
        model[i] = VMM_NO_MAPPING;
        assert_int_equal(vmm_translate(random_va(i)), VMM_NO_MAPPING);
    }
}

static void
test_map_translate_unmap_against_a_model(void **state)
{
    boot();
    static phys_addr_t model[RANDOM_REGIONS * RANDOM_SLOTS];
    static bool ro[RANDOM_REGIONS * RANDOM_SLOTS];
    for (uint32_t i = 0; i < RANDOM_REGIONS * RANDOM_SLOTS; i++)
        model[i] = VMM_NO_MAPPING;
    uint32_t frames = pmm_free_frames(), tables = vmm_page_tables(), mapped = vmm_mapped_pages();
    random_round(0x9E3779B9, 30000, model, ro);
    uint32_t new_tables = vmm_page_tables() - tables;
    assert_int_equal(new_tables, RANDOM_REGIONS);           /* one per region touched */
    unmap_all(model);
    assert_int_equal(vmm_mapped_pages(), mapped);
    assert_int_equal(pmm_free_frames(), frames - new_tables); /* only the tables stay */
    /* Once more: the tables are reused, and now not a single frame is lost. */
    random_round(0x12345678, 30000, model, ro);
    unmap_all(model);
    assert_int_equal(vmm_page_tables(), tables + new_tables);
    assert_int_equal(pmm_free_frames(), frames - new_tables);
    assert_int_equal(vmm_mapped_pages(), mapped);
}

/* What vmm_map_page refuses, and that a refusal changes nothing. */
static void
test_refusals_change_nothing(void **state)
{
    boot();
    phys_addr_t f = pmm_alloc_page(), g = pmm_alloc_page();
    assert_int_equal(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_SUCCESS);
    uint32_t frames = pmm_free_frames(), tables = vmm_page_tables(), mapped = vmm_mapped_pages();
    uint32_t pd = sim_cr3 & PAGE_FRAME;
    static const struct { uintptr_t va; phys_addr_t pa; } bad[] = {
        { TEST_VA + 1, 0 },                             /* misaligned virtual */
        { TEST_VA + 0x5000 + 0x800, 0 },
        { TEST_VA + 0x5000, 0x10 },                     /* misaligned physical */
        { TEST_VA, 0 },                                 /* already mapped (to f) */
        { KERNEL_VIRTUAL_BASE + 0x1000, 0 },            /* the kernel's first 4 MiB: mapped */
        { KERNEL_VIRTUAL_BASE + 0x400000, 0 },          /* the direct map: a 4 MiB page */
        { KERNEL_VIRTUAL_BASE + DIRECT_MAP_SIZE - PAGE_SIZE, 0 },
        { TEMP_WINDOW, 0 },                             /* the temporary window */
        { TEMP_WINDOW + 0x1000, 0 },
        { PAGE_TABLES, 0 },                             /* the recursive area */
        { PAGE_TABLES + PDX(TEST_VA) * PAGE_SIZE, 0 },  /* a page table itself */
        { 0xFFFFF000u, 0 },                             /* the directory itself */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        phys_addr_t pa = bad[i].pa ? g + bad[i].pa : g;
        assert_int_equal(vmm_map_page(bad[i].va, pa, PAGE_WRITABLE), MEM_INVALID);
    }
    /* Unmapping what vmm_map_page did not map is refused too. */
    static const uintptr_t not_mine[] = {
        KERNEL_VIRTUAL_BASE + 0x400000, TEMP_WINDOW, PAGE_TABLES + PDX(TEST_VA) * PAGE_SIZE,
        0xFFFFF000u, TEST_VA + PAGE_SIZE, TEST_VA + 64 * MiB,
    };
    for (size_t i = 0; i < ARRAY_SIZE(not_mine); i++)
        assert_int_equal(vmm_unmap_page(not_mine[i]), VMM_NO_MAPPING);
    assert_int_equal(vmm_translate(TEST_VA), f);
    assert_int_equal(vmm_translate(KERNEL_VIRTUAL_BASE + 0x400000), 0x400000);
    assert_int_equal(vmm_translate(0xFFFFF000u), pd);
    assert_int_equal(sim_phys32(pd + 1023 * 4), pd | PAGE_PRESENT | PAGE_WRITABLE);
    assert_int_equal(pmm_free_frames(), frames);
    assert_int_equal(vmm_page_tables(), tables);
    assert_int_equal(vmm_mapped_pages(), mapped);
    assert_int_equal(vmm_unmap_page(TEST_VA), f);
}

/* No frame for a new page table: MEM_OUT_OF_MEM, and the directory is as
 * it was. */
static void
test_no_frame_for_a_table(void **state)
{
    boot_small();
    phys_addr_t f = pmm_alloc_page();
    uint32_t n, tables = vmm_page_tables(), mapped = vmm_mapped_pages();
    phys_addr_t *all = drain(&n);
    assert_int_equal(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_OUT_OF_MEM);
    assert_int_equal(pde_of(TEST_VA), 0);
    assert_int_equal(vmm_page_tables(), tables);
    assert_int_equal(vmm_mapped_pages(), mapped);
    refill(all, n);
    assert_int_equal(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_SUCCESS);
}

/* A new page table is zeroed: its frame held entries that look present. */
static void
test_new_page_table_is_zeroed(void **state)
{
    boot();
    phys_addr_t f = pmm_alloc_page(), t = pmm_alloc_page();
    assert_int_equal(pmm_free_page(t), MEM_SUCCESS);    /* the next frame handed out */
    for (uint32_t i = 0; i < 1024; i++)
        poke(t + i * 4, (f + 0x1000) | PAGE_PRESENT | PAGE_WRITABLE);
    assert_int_equal(pde_of(TEST_VA), 0);
    assert_int_equal(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_SUCCESS);
    assert_int_equal(pde_of(TEST_VA) & PAGE_FRAME, t);
    for (uint32_t i = 1; i < 1024; i++) {
        assert_int_equal(vmm_translate(TEST_VA + i * PAGE_SIZE), VMM_NO_MAPPING);
        assert_int_equal(peek(t + i * 4), 0);
    }
    expect_fault(TEST_VA + 0x3FF000, false, 0);
    assert_int_equal(vmm_translate(TEST_VA), f);
}

/* The simulated TLB itself: a changed entry is not seen until invlpg or a
 * write to CR3.  (If this fails, the simulation proves nothing about the
 * flushes below.) */
static void
test_the_tlb_keeps_stale_translations(void **state)
{
    boot();
    phys_addr_t a = pmm_alloc_page(), b = pmm_alloc_page();
    poke(a, 0xAAAA0001);
    poke(b, 0xBBBB0002);
    assert_int_equal(vmm_map_page(TEST_VA, a, PAGE_WRITABLE), MEM_SUCCESS);
    assert_false(sim_tlb_has(TEST_VA));                 /* nothing cached yet */
    assert_int_equal(read_va(TEST_VA), 0xAAAA0001);
    assert_true(sim_tlb_has(TEST_VA));
    /* Change the entry behind the kernel's back, through the recursive map. */
    uintptr_t pte = PAGE_TABLES + PDX(TEST_VA) * PAGE_SIZE + PTX(TEST_VA) * 4;
    assert_true(sim_write(pte, b | PAGE_PRESENT | PAGE_WRITABLE));
    assert_int_equal(vmm_translate(TEST_VA), b);        /* the tables say b ... */
    assert_int_equal(read_va(TEST_VA), 0xAAAA0001);     /* ... the TLB still says a */
    invlpg(TEST_VA);
    assert_int_equal(read_va(TEST_VA), 0xBBBB0002);
    assert_true(sim_write(pte, a | PAGE_PRESENT | PAGE_WRITABLE));
    assert_int_equal(read_va(TEST_VA), 0xBBBB0002);
    write_cr3(read_cr3());                              /* flushes everything */
    assert_int_equal(read_va(TEST_VA), 0xAAAA0001);
}

/* vmm_unmap_page flushes: a page remapped to another frame reads the new
 * frame, not the old one still cached (the in-kernel test
 * vmm_remap_flushes_the_tlb, on the host), and an unmapped page cannot be
 * reached any more. */
static void
test_remap_flushes_the_tlb(void **state)
{
    boot();
    phys_addr_t a = pmm_alloc_page(), b = pmm_alloc_page();
    poke(a, 0xAAAA0001);
    poke(b, 0xBBBB0002);
    poke(a + 4, 0);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(vmm_map_page(TEST_VA, a, PAGE_WRITABLE), MEM_SUCCESS);
        assert_int_equal(read_va(TEST_VA), 0xAAAA0001);  /* now in the TLB */
        assert_int_equal(vmm_unmap_page(TEST_VA), a);
        assert_int_equal(vmm_map_page(TEST_VA, b, PAGE_WRITABLE), MEM_SUCCESS);
        assert_int_equal(read_va(TEST_VA), 0xBBBB0002);  /* not the stale 0xAAAA0001 */
        assert_true(sim_write(TEST_VA + 4, 0xB0B0));
        assert_int_equal(peek(b + 4), 0xB0B0);
        assert_int_equal(peek(a + 4), 0);
        assert_int_equal(vmm_unmap_page(TEST_VA), b);
        expect_fault(TEST_VA, false, 0);                /* unmapped means unreachable */
    }
}

/* A mapping without PAGE_WRITABLE: reads work, writes fault (CR0.WP is set
 * by vmm_init; without it ring 0 would write anyway). */
static void
test_write_to_a_read_only_page_faults(void **state)
{
    boot();
    phys_addr_t f = pmm_alloc_page();
    poke(f + 8, 0x600DF00D);
    assert_int_equal(vmm_map_page(TEST_VA, f, 0), MEM_SUCCESS);
    assert_int_equal(read_va(TEST_VA + 8), 0x600DF00D);
    expect_fault(TEST_VA + 8, true, PF_PROTECTION | PF_WRITE);
    assert_int_equal(peek(f + 8), 0x600DF00D);
    assert_int_equal(read_va(TEST_VA + 8), 0x600DF00D);
    assert_true(read_cr0() & CR0_WP);
    write_cr0(read_cr0() & ~CR0_WP);                    /* what the design forgot */
    assert_true(sim_write(TEST_VA + 8, 0xBAD));
    assert_int_equal(peek(f + 8), 0xBAD);
}

/* Unmapped addresses fault with "not present", read or write, whether the
 * directory entry or the table entry is missing; the kernel's report
 * decodes it. */
static void
test_unmapped_addresses_fault(void **state)
{
    boot();
    expect_fault(TEST_VA + 0x100, false, 0);            /* no page table */
    expect_fault(TEST_VA + 0x204, true, PF_WRITE);
    phys_addr_t f = pmm_alloc_page();
    assert_int_equal(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_SUCCESS);
    expect_fault(TEST_VA + PAGE_SIZE + 0x10, false, 0); /* a table, no entry */
    expect_fault(TEST_VA + PAGE_SIZE + 0x14, true, PF_WRITE);
    expect_fault(HEAP_VIRTUAL_START + INITIAL_HEAP_SIZE, false, 0);     /* past the heap's end */
    expect_fault(HEAP_VIRTUAL_START + HEAP_VIRTUAL_MAX - 0x10, true, PF_WRITE); /* the heap's guard */
    expect_fault(PAGE_TABLES + PDX(TEST_VA + 4 * MiB) * PAGE_SIZE, false, 0);  /* a table not made */
    char report[512];
    console_capture(report, sizeof(report));
    page_fault_explain(sim_last_fault.addr, sim_last_fault.err);
    console_capture(NULL, 0);
    assert_non_null(strstr(report, "page not present, read, kernel mode"));
}

/* The temporary window reaches frames above the direct map, and moves from
 * one to the next (vmm_temp_map flushes).  The machine's RAM is 1-8 MiB
 * and 288-296 MiB, so the frame allocator itself must use the window. */
static void
test_temp_window_reaches_high_frames(void **state)
{
    struct map m = { .length = 0 };
    entry(&m, 0, 0x9FC00, 1);
    entry(&m, 0x100000, 7 * MiB, 1);
    entry(&m, 288 * MiB, 8 * MiB, 1);
    boot_with(&m);
    phys_addr_t hi1 = 290 * MiB, hi2 = 295 * MiB + 0x7000, low = 6 * MiB;
    poke(hi1, 0x11111111);
    poke(hi2, 0x22222222);
    uint32_t *w1 = pmm_frame(hi1);
    assert_ptr_equal(w1, (void *)(uintptr_t)TEMP_WINDOW);
    assert_int_equal(*w1, 0x11111111);
    assert_int_equal(vmm_translate(TEMP_WINDOW + 4), hi1 + 4);
    uint32_t *w2 = pmm_frame(hi2);
    assert_ptr_equal(w2, w1);
    assert_int_equal(*w2, 0x22222222);                  /* not the cached hi1 */
    w2[1] = 0x2222AAAA;
    assert_int_equal(peek(hi2 + 4), 0x2222AAAA);
    assert_ptr_equal(pmm_frame(low), (void *)(uintptr_t)(KERNEL_VIRTUAL_BASE + low));
    assert_int_equal(*(uint32_t *)pmm_frame(hi1), 0x11111111);
    /* The allocator poisons a freed frame through the window. */
    uint32_t n;
    phys_addr_t *all = drain(&n);
    phys_addr_t top = all[n - 1];
    assert_true(top >= 288 * MiB);
    assert_int_equal(pmm_free_page(top), MEM_SUCCESS);
    for (uint32_t off = 0; off < PAGE_SIZE; off += 4)
        assert_int_equal(peek(top + off), 0xAAAAAAAA);
    assert_int_equal(pmm_alloc_page(), top);
    refill(all, n);
}

/* The heap grows by 8 MiB of fresh pages and gives them back: every frame
 * returns, and the pages given back are unmapped (and flushed). */
static void
test_heap_grows_and_gives_back(void **state)
{
    boot();
    const size_t big = 8 * MiB;
    void *warm = kmalloc(big);                          /* make its page tables once: they stay */
    assert_non_null(warm);
    kfree(warm);
    heap_trim();
    uint32_t frames = pmm_free_frames(), tables = vmm_page_tables();
    uint8_t *p = kmalloc(big);
    assert_non_null(p);
    memset(p, 0x5C, big);
    assert_true(pmm_free_frames() <= frames - big / PAGE_SIZE);
    assert_int_equal(vmm_page_tables(), tables);
    uintptr_t end = (uintptr_t)p + big - 4;
    assert_int_equal(read_va(end), 0x5C5C5C5C);
    assert_int_equal(peek(vmm_translate(end)), 0x5C5C5C5C);
    kfree(p);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    assert_true(heap_trim() >= big);
    assert_int_equal(pmm_free_frames(), frames);        /* no frame lost */
    assert_int_equal(vmm_translate(end), VMM_NO_MAPPING);
    expect_fault(end, false, 0);                        /* given back, and flushed */
    uint32_t v;
    assert_true(sim_read(HEAP_VIRTUAL_START + INITIAL_HEAP_SIZE - 4, &v));    /* the first 64 KiB stay */
    assert_int_equal(heap_check(), MEM_SUCCESS);
}

/* Growth that runs out of frames half way gives back what it took. */
static void
test_heap_growth_without_frames_fails_cleanly(void **state)
{
    boot_small();
    void *warm = kmalloc(MiB);                          /* the heap's page table exists */
    kfree(warm);
    heap_trim();
    uint32_t before = pmm_free_frames(), n;
    phys_addr_t *all = drain(&n);
    for (int i = 0; i < 16; i++)
        assert_int_equal(pmm_free_page(all[--n]), MEM_SUCCESS);
    uint32_t mapped = vmm_mapped_pages();
    assert_null(kmalloc(MiB));                          /* needs 256 pages, gets 16 */
    assert_int_equal(heap_last_error(), MEM_OUT_OF_MEM);
    assert_int_equal(heap_check(), MEM_SUCCESS);
    assert_int_equal(pmm_free_frames(), 16);            /* what it took, it gave back */
    assert_int_equal(vmm_mapped_pages(), mapped);
    refill(all, n);
    assert_int_equal(pmm_free_frames(), before);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vmm_init_builds_the_directory),
        cmocka_unit_test(test_bookkeeping_stays_in_the_direct_map),
        cmocka_unit_test(test_map_translate_unmap_against_a_model),
        cmocka_unit_test(test_refusals_change_nothing),
        cmocka_unit_test(test_no_frame_for_a_table),
        cmocka_unit_test(test_new_page_table_is_zeroed),
        cmocka_unit_test(test_the_tlb_keeps_stale_translations),
        cmocka_unit_test(test_remap_flushes_the_tlb),
        cmocka_unit_test(test_write_to_a_read_only_page_faults),
        cmocka_unit_test(test_unmapped_addresses_fault),
        cmocka_unit_test(test_temp_window_reaches_high_frames),
        cmocka_unit_test(test_heap_grows_and_gives_back),
        cmocka_unit_test(test_heap_growth_without_frames_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
