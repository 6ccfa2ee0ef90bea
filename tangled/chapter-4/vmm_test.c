#line 1472 "chapters/03-vmm.nw"
/* vmm_test.c: in-kernel tests of paging and the growing heap. */
#include "ktest.h"
#include "vmm.h"
#include "kheap.h"
#include "kstring.h"
#include "x86.h"

#define TEST_VA 0xE0000000u     /* nothing else is mapped here */
extern char stack_guard[];

#line 1486 "chapters/03-vmm.nw"
KTEST(vmm_direct_map_and_kernel_translate)
{
    KCHECK_EQ(vmm_translate(KERNEL_VIRTUAL_BASE + 0x1234), 0x1234);
    KCHECK_EQ(vmm_translate((uintptr_t)_kernel_start), KERNEL_PHYSICAL_BASE);
    KCHECK_EQ(vmm_translate(0), VMM_NO_MAPPING);
    KCHECK_EQ(vmm_translate((uintptr_t)stack_guard), VMM_NO_MAPPING);
}

KTEST(vmm_map_unmap_translate)
{
    phys_addr_t f = pmm_alloc_page();
    KCHECK_EQ(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_SUCCESS);
    KCHECK_EQ(vmm_translate(TEST_VA + 0x10), f + 0x10);
    KCHECK_EQ(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_INVALID);      /* already mapped */
    KCHECK_EQ(vmm_map_page(TEST_VA + 1, f, PAGE_WRITABLE), MEM_INVALID);  /* misaligned */
    KCHECK_EQ(vmm_map_page((uintptr_t)stack_guard, f, PAGE_WRITABLE), MEM_INVALID); /* the kernel's */
    KCHECK_EQ(vmm_unmap_page((uintptr_t)_kernel_start), VMM_NO_MAPPING);
    *(volatile uint32_t *)TEST_VA = 0xCAFEF00D;
    KCHECK_EQ(*(uint32_t *)pmm_frame(f), 0xCAFEF00D);
    KCHECK_EQ(vmm_unmap_page(TEST_VA), f);
    KCHECK_EQ(vmm_unmap_page(TEST_VA), VMM_NO_MAPPING);
    KCHECK_EQ(vmm_translate(TEST_VA), VMM_NO_MAPPING);
    pmm_free_page(f);
}
#line 1520 "chapters/03-vmm.nw"
KTEST(vmm_new_page_table_is_zeroed)
{
    uintptr_t va = TEST_VA + 0x400000;           /* its directory entry has no table yet */
    const uint32_t *pt = (const uint32_t *)(uintptr_t)(PAGE_TABLES + PDX(va) * PAGE_SIZE);
    KCHECK_EQ(vmm_translate((uintptr_t)pt), VMM_NO_MAPPING);
    phys_addr_t page = pmm_alloc_page(), dirty = pmm_alloc_page();
    pmm_free_page(dirty);                        /* poisoned, and next in line */
    KCHECK_EQ(vmm_map_page(va, page, PAGE_WRITABLE), MEM_SUCCESS);
    KCHECK_EQ(vmm_translate((uintptr_t)pt), dirty);
    uint32_t nonzero = 0;
    for (uint32_t i = 0; i < 1024; i++)
        nonzero += i != PTX(va) && pt[i] != 0;
    KCHECK_EQ(nonzero, 0);
    KCHECK_EQ(vmm_unmap_page(va), page);
    pmm_free_page(page);
}
#line 1543 "chapters/03-vmm.nw"
KTEST(vmm_remap_flushes_the_tlb)
{
    phys_addr_t a = pmm_alloc_page(), b = pmm_alloc_page();
    *(uint32_t *)pmm_frame(a) = 0xAAAA0001;
    *(uint32_t *)pmm_frame(b) = 0xBBBB0002;
    vmm_map_page(TEST_VA, a, PAGE_WRITABLE);
    KCHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xAAAA0001);
    vmm_unmap_page(TEST_VA);
    vmm_map_page(TEST_VA, b, PAGE_WRITABLE);
    KCHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xBBBB0002);
    vmm_unmap_page(TEST_VA);
    pmm_free_page(a);
    pmm_free_page(b);
}
#line 1560 "chapters/03-vmm.nw"
/* Probe ADDR for reading or writing; check a page fault with error ERR. */
static void
expect_fault(uintptr_t addr, bool write, uint32_t err)
{
    uint32_t value;
    int v = write ? probe_write((volatile uint32_t *)addr, 1) : probe_read((volatile uint32_t *)addr, &value);
    KCHECK_EQ(v, 14);
    KCHECK_EQ(probe_last_cr2, addr);
    KCHECK_EQ(probe_last.error_code & 7, err);
}

KTEST(vmm_faults_are_caught_and_decoded)
{
    expect_fault(TEST_VA + 0x100, false, 0);                        /* unmapped, read */
    expect_fault(TEST_VA + 0x200, true, PF_WRITE);                  /* unmapped, write */
    expect_fault(0, false, 0);                                      /* NULL */
    expect_fault((uintptr_t)_kernel_start + 0x1000, true, PF_WRITE | PF_PROTECTION);
    expect_fault((uintptr_t)stack_guard + 0x40, true, PF_WRITE);    /* stack guard */
    expect_fault(HEAP_VIRTUAL_START + HEAP_VIRTUAL_MAX - 0x10, false, 0);   /* heap guard */
}
#line 1583 "chapters/03-vmm.nw"
KTEST(vmm_heap_grows_and_gives_back)
{
    heap_trim();
    size_t size = 8u << 20;                     /* or half the free RAM, on a small machine */
    if ((size_t)pmm_free_frames() * PAGE_SIZE / 2 < size)
        size = ALIGN_DOWN((size_t)pmm_free_frames() * PAGE_SIZE / 2, (size_t)PAGE_SIZE);
    void *warm = kmalloc(size);                 /* make its page tables once: they stay */
    kfree(warm);
    heap_trim();
    uint32_t frames = pmm_free_frames();
    uint8_t *big = kmalloc(size);
    KCHECK(big != NULL);
    if (big) {
        memset(big, 0x5C, size);
        KCHECK(big[size - 1] == 0x5C);
    }
    KCHECK(pmm_free_frames() < frames - (size / PAGE_SIZE - 48));
    kfree(big);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    heap_trim();
    KCHECK_EQ(pmm_free_frames(), frames);       /* no frame lost */
}
#line 1614 "chapters/03-vmm.nw"
KTEST(vmm_growth_without_frames_fails_cleanly)
{
    heap_trim();
    uint32_t before = pmm_free_frames();
    phys_addr_t last = PMM_NO_FRAME, pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        *(uint32_t *)pmm_frame(pa) = last;
        last = pa;
    }
    for (int i = 0; i < 16 && last != PMM_NO_FRAME; i++) {    /* a few, not enough */
        phys_addr_t prev = *(uint32_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev;
    }
    uint32_t spare = pmm_free_frames();
    KCHECK(kmalloc(1u << 20) == NULL);                  /* runs out half way */
    KCHECK_EQ(heap_last_error(), MEM_OUT_OF_MEM);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_frames(), spare);                /* what it took, it gave back */
    while (last != PMM_NO_FRAME) {
        phys_addr_t prev = *(uint32_t *)pmm_frame(last);
        pmm_free_page(last);
        last = prev;
    }
    KCHECK_EQ(pmm_free_frames(), before);
}
#line 1647 "chapters/03-vmm.nw"
KTEST(vmm_showmappings_prints_runs)
{
    static char out[8192];
    console_capture(out, sizeof(out));
    vmm_show_mappings(0, 0xFFFFFFFFu);
    console_capture(NULL, 0);
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    KCHECK(lines > 3 && lines < 128);
    KCHECK(memcmp(out, "  0x00000000-0xbfffffff  not mapped (786432 pages)\n", 51) == 0);
}
