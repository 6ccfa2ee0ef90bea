/* grade_rights.c: graded tests of exercise ch3-showmappings-rights
 * (vmm_page_rights and the rights column of showmappings). */
#include "ktest.h"
#include "vmm.h"
#include "kheap.h"
#include "x86.h"

#define TEST_VA 0xE0000000u     /* nothing else is mapped here */
extern char stack_guard[];

/* Check that VA is mapped with exactly the rights WANT ("P W U A D"). */
static void
expect_rights(const char *what, uintptr_t va, const char *want)
{
    char out[VMM_RIGHTS_LEN] = "(nothing)";
    int r = vmm_page_rights(va, out);
    if (r != MEM_SUCCESS || !ktest_streq(out, want))
        ktest_fail(__FILE__, __LINE__, "%s at %p: expected MEM_SUCCESS and \"%s\", got %d and \"%s\"",
                   what, (void *)va, want, r, out);
}

/* Check that VA is reported as not mapped. */
static void
expect_unmapped(const char *what, uintptr_t va)
{
    char out[VMM_RIGHTS_LEN] = "(nothing)";
    int r = vmm_page_rights(va, out);
    if (r != MEM_INVALID || !ktest_streq(out, "- - - - -"))
        ktest_fail(__FILE__, __LINE__, "%s at %p: expected MEM_INVALID and \"- - - - -\", got %d and \"%s\"",
                   what, (void *)va, r, out);
}

/* A free frame that the direct map reaches through one of its 4 MiB pages
 * (above the first 4 MiB, below DIRECT_MAP_SIZE), or PMM_NO_FRAME.  The
 * frames taken on the way are chained through their first word, then given
 * back. */
static phys_addr_t
large_page_frame(void)
{
    phys_addr_t chain = PMM_NO_FRAME, pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME && (pa < 0x400000u || pa >= DIRECT_MAP_SIZE)) {
        *(uint32_t *)pmm_frame(pa) = chain;
        chain = pa;
    }
    while (chain != PMM_NO_FRAME) {
        phys_addr_t next = *(uint32_t *)pmm_frame(chain);
        pmm_free_page(chain);
        chain = next;
    }
    return pa;
}

static const char read_only_text[] = "a string in .rodata";

KTEST(ex_rights_kernel_code_is_read_only)
{
    volatile char c = read_only_text[3];        /* read it: its page is accessed */
    (void)c;
    expect_rights("this test's own code", (uintptr_t)&expect_rights, "P - - A -");
    expect_rights("a string constant", (uintptr_t)read_only_text, "P - - A -");
}

KTEST(ex_rights_stack_and_heap_are_writable)
{
    volatile uint32_t local = 1;
    expect_rights("a local variable (the kernel stack)", (uintptr_t)&local, "P W - A D");
    char *p = kmalloc(3 * PAGE_SIZE);
    KCHECK(p != NULL);
    if (p) {
        p[2 * PAGE_SIZE] = 'x';
        expect_rights("a heap page just written", (uintptr_t)p + 2 * PAGE_SIZE, "P W - A D");
        kfree(p);
    }
    phys_addr_t f = large_page_frame();
    KCHECK(f != PMM_NO_FRAME);
    if (f != PMM_NO_FRAME) {
        *(volatile uint32_t *)P2V(f) = 7;
        expect_rights("a frame written through the direct map (a 4 MiB page)", (uintptr_t)P2V(f), "P W - A D");
        pmm_free_page(f);
    }
}

KTEST(ex_rights_track_accessed_and_dirty)
{
    phys_addr_t f = pmm_alloc_page(), g = pmm_alloc_page();
    KCHECK_EQ(vmm_map_page(TEST_VA, f, PAGE_WRITABLE), MEM_SUCCESS);
    expect_rights("a page just mapped, never used", TEST_VA, "P W - - -");
    volatile uint32_t v = *(volatile uint32_t *)(TEST_VA + 8);
    (void)v;
    expect_rights("the same page after a read", TEST_VA, "P W - A -");
    *(volatile uint32_t *)(TEST_VA + 8) = 1;
    expect_rights("the same page after a write", TEST_VA, "P W - A D");
    /* PAGE_USER in the table entry, but the directory entry (made by
     * vmm_map_page) does not allow ring 3: the CPU would refuse it. */
    KCHECK_EQ(vmm_map_page(TEST_VA + PAGE_SIZE, g, PAGE_USER), MEM_SUCCESS);
    expect_rights("a user page under a kernel-only directory entry", TEST_VA + PAGE_SIZE, "P - - - -");
    /* Now let the directory entry allow ring 3 (nothing else uses this
     * page table; the kernel never runs in ring 3): the same table entry is
     * a user page, and the page at TEST_VA, kernel-only in its table entry,
     * is still not one. */
    volatile uint32_t *pde = (volatile uint32_t *)(PAGE_TABLES + PDX(PAGE_TABLES) * PAGE_SIZE) + PDX(TEST_VA);
    *pde |= PAGE_USER;
    expect_rights("a user page under a user directory entry", TEST_VA + PAGE_SIZE, "P - U - -");
    expect_rights("a kernel page under a user directory entry", TEST_VA, "P W - A D");
    *pde &= ~PAGE_USER;
    invlpg(TEST_VA);
    invlpg(TEST_VA + PAGE_SIZE);
    vmm_unmap_page(TEST_VA);
    vmm_unmap_page(TEST_VA + PAGE_SIZE);
    pmm_free_page(f);
    pmm_free_page(g);
}

KTEST(ex_rights_unmapped_pages)
{
    expect_unmapped("the NULL page", 0);
    expect_unmapped("the stack's guard page", (uintptr_t)stack_guard + 0x10);
    expect_unmapped("a page nobody mapped", TEST_VA + 0x123);
    expect_unmapped("the heap's guard page", HEAP_VIRTUAL_START + HEAP_VIRTUAL_MAX - 4);
    expect_unmapped("the top of the lower 3 GiB", KERNEL_VIRTUAL_BASE - 1);
}

KTEST(ex_rights_showmappings_table)
{
    volatile uint32_t local = 1;
    uintptr_t code = ALIGN_DOWN((uintptr_t)&expect_rights, PAGE_SIZE);
    uintptr_t stack = ALIGN_DOWN((uintptr_t)&local, PAGE_SIZE);
    kprintf("showmappings of this test's code page:\n");
    vmm_show_mappings(code, code);
    kprintf("showmappings of the stack's guard page and the page above it:\n");
    vmm_show_mappings((uintptr_t)stack_guard, (uintptr_t)stack_guard + PAGE_SIZE);
    kprintf("showmappings of this test's stack page:\n");
    vmm_show_mappings(stack, stack);
}
