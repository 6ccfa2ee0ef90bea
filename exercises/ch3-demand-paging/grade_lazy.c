/* grade_lazy.c: graded tests of exercise ch3-demand-paging
 * (vmm_reserve_lazy, vmm_release_lazy and the page-fault hook). */
#include "ktest.h"
#include "kheap.h"
#include "kstring.h"
#include "vmm.h"
#include "x86.h"

#define LAZY_VA 0xE8000000u     /* nothing else is mapped here */

/* Free frames, plus the page tables the kernel made (never given back). */
static uint32_t
frames(void)
{
    return pmm_free_frames() + vmm_page_tables();
}

/* Read the word at VA with a probe; false (and a message) if it faulted. */
static bool
lazy_read(uintptr_t va, uint32_t *value)
{
    int v = probe_read((volatile uint32_t *)va, value);
    if (v != -1)
        ktest_fail(__FILE__, __LINE__, "reading %p faulted (vector %d, cr2 0x%08x): the page was not mapped on demand",
                   (void *)va, v, probe_last_cr2);
    return v == -1;
}

/* Write VALUE at VA with a probe; false (and a message) if it faulted. */
static bool
lazy_write(uintptr_t va, uint32_t value)
{
    int v = probe_write((volatile uint32_t *)va, value);
    if (v != -1)
        ktest_fail(__FILE__, __LINE__, "writing %p faulted (vector %d, cr2 0x%08x): the page was not mapped on demand",
                   (void *)va, v, probe_last_cr2);
    return v == -1;
}

KTEST(ex_lazy_first_touch_reads_zero)
{
    phys_addr_t dirty[4];                   /* the next frames handed out hold 0xA5 bytes */
    for (int i = 0; i < 4; i++) {
        dirty[i] = pmm_alloc_page();
        memset(pmm_frame(dirty[i]), 0xA5, PAGE_SIZE);
    }
    for (int i = 3; i >= 0; i--)
        pmm_free_page(dirty[i]);
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA, 16 * PAGE_SIZE), MEM_SUCCESS);
    uintptr_t page = LAZY_VA + 3 * PAGE_SIZE;
    KCHECK_EQ(vmm_translate(page), VMM_NO_MAPPING);            /* nothing mapped yet */
    uint32_t value = 0xFFFFFFFF;
    if (!lazy_read(page + 0x100, &value))
        return;
    KCHECK_EQ(value, 0);
    KCHECK(vmm_translate(page) != VMM_NO_MAPPING);
    KCHECK_EQ(vmm_translate(page + PAGE_SIZE), VMM_NO_MAPPING);  /* only that page */
    for (uint32_t off = 0; off < PAGE_SIZE; off += 4)
        if (*(volatile uint32_t *)(page + off) != 0) {
            ktest_fail(__FILE__, __LINE__, "the new page is not zeroed at offset 0x%x", off);
            break;
        }
}

KTEST(ex_lazy_writes_persist)
{
    static const unsigned pages[] = { 0, 1, 7 };
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA, 8 * PAGE_SIZE), MEM_SUCCESS);
    for (unsigned i = 0; i < ARRAY_SIZE(pages); i++)           /* the first touch is a write */
        if (!lazy_write(LAZY_VA + pages[i] * PAGE_SIZE + 0x40, 0xC0DE0000 + i))
            return;
    for (unsigned i = 0; i < ARRAY_SIZE(pages); i++) {
        uintptr_t va = LAZY_VA + pages[i] * PAGE_SIZE + 0x40;
        uint32_t value = 0;
        if (!lazy_read(va, &value))
            return;
        KCHECK_EQ(value, 0xC0DE0000 + i);
        KCHECK_EQ(*(uint32_t *)pmm_frame(vmm_translate(va) & PAGE_FRAME) , 0);   /* offset 0: zero */
        KCHECK_EQ(*(uint32_t *)((char *)pmm_frame(vmm_translate(va) & PAGE_FRAME) + 0x40), 0xC0DE0000 + i);
    }
}

KTEST(ex_lazy_only_touched_pages_take_frames)
{
    uint32_t before = frames(), value;
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA, 64 * PAGE_SIZE), MEM_SUCCESS);
    KCHECK_EQ(frames(), before);                               /* a reservation takes nothing */
    if (!lazy_write(LAZY_VA, 1) || !lazy_write(LAZY_VA + 5 * PAGE_SIZE + 8, 2)
        || !lazy_read(LAZY_VA + 63 * PAGE_SIZE + 0xFFC, &value))
        return;
    KCHECK_EQ(before - frames(), 3);                           /* three pages touched */
    lazy_write(LAZY_VA + 4, 3);
    lazy_read(LAZY_VA + 5 * PAGE_SIZE + 8, &value);
    lazy_write(LAZY_VA + 63 * PAGE_SIZE, 4);
    KCHECK_EQ(before - frames(), 3);                           /* touching again takes nothing */
    KCHECK_EQ(vmm_release_lazy(LAZY_VA), MEM_SUCCESS);
    KCHECK_EQ(frames(), before);                               /* all given back */
    KCHECK_EQ(vmm_translate(LAZY_VA), VMM_NO_MAPPING);
    KCHECK_EQ(probe_read((volatile uint32_t *)LAZY_VA, &value), 14);   /* no longer lazy */
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA, 64 * PAGE_SIZE), MEM_SUCCESS); /* the range is free again */
    KCHECK_EQ(vmm_release_lazy(LAZY_VA), MEM_SUCCESS);
}

KTEST(ex_lazy_outside_still_faults)
{
    uint32_t value;
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA, 4 * PAGE_SIZE), MEM_SUCCESS);
    KCHECK_EQ(probe_read((volatile uint32_t *)(LAZY_VA + 4 * PAGE_SIZE), &value), 14);   /* just past it */
    KCHECK_EQ(probe_last_cr2, LAZY_VA + 4 * PAGE_SIZE);
    KCHECK_EQ(probe_write((volatile uint32_t *)(LAZY_VA - 4), 1), 14);                   /* just before it */
    KCHECK_EQ(probe_write((volatile uint32_t *)((uintptr_t)_kernel_start + 0x1000), 1), 14);
    KCHECK_EQ(probe_last.error_code & 7, PF_WRITE | PF_PROTECTION);                      /* still read-only */
    KCHECK_EQ(probe_read((volatile uint32_t *)0, &value), 14);                           /* NULL too */
    KCHECK_EQ(vmm_translate(LAZY_VA + 4 * PAGE_SIZE), VMM_NO_MAPPING);
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA + 8 * PAGE_SIZE + 1, PAGE_SIZE), MEM_INVALID);    /* misaligned */
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA + 8 * PAGE_SIZE, 100), MEM_INVALID);
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA + 8 * PAGE_SIZE, 0), MEM_INVALID);
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA + 2 * PAGE_SIZE, 4 * PAGE_SIZE), MEM_INVALID);    /* overlaps */
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA + 4 * PAGE_SIZE, 4 * PAGE_SIZE), MEM_SUCCESS);    /* adjacent: fine */
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA - PAGE_SIZE, PAGE_SIZE), MEM_SUCCESS);
    KCHECK_EQ(vmm_release_lazy(LAZY_VA + 4 * PAGE_SIZE), MEM_SUCCESS);
    KCHECK_EQ(vmm_release_lazy(LAZY_VA - PAGE_SIZE), MEM_SUCCESS);
    KCHECK_EQ(vmm_reserve_lazy(HEAP_VIRTUAL_START, 4 * PAGE_SIZE), MEM_INVALID);         /* the heap */
    KCHECK_EQ(vmm_reserve_lazy(0, 4 * PAGE_SIZE), MEM_INVALID);                          /* NULL */
    KCHECK_EQ(vmm_reserve_lazy(TEMP_WINDOW - PAGE_SIZE, 2 * PAGE_SIZE), MEM_INVALID);    /* the window */
    KCHECK_EQ(vmm_release_lazy(LAZY_VA + PAGE_SIZE), MEM_INVALID);                       /* not its start */
    phys_addr_t f = pmm_alloc_page();                                                    /* a page mapped ... */
    KCHECK_EQ(vmm_map_page(LAZY_VA + 10 * PAGE_SIZE, f, PAGE_WRITABLE), MEM_SUCCESS);
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA + 8 * PAGE_SIZE, 4 * PAGE_SIZE), MEM_INVALID);    /* ... inside */
    vmm_unmap_page(LAZY_VA + 10 * PAGE_SIZE);
    pmm_free_page(f);
    unsigned n = 1;                                                                      /* LAZY_VA's */
    while (n < VMM_LAZY_MAX && vmm_reserve_lazy(LAZY_VA + n * 16 * PAGE_SIZE, PAGE_SIZE) == MEM_SUCCESS)
        n++;
    KCHECK_EQ(n, VMM_LAZY_MAX);
    KCHECK_EQ(vmm_reserve_lazy(LAZY_VA + n * 16 * PAGE_SIZE, PAGE_SIZE), MEM_OUT_OF_MEM); /* the table is full */
    while (n > 1)
        KCHECK_EQ(vmm_release_lazy(LAZY_VA + --n * 16 * PAGE_SIZE), MEM_SUCCESS);
    KCHECK_EQ(vmm_release_lazy(LAZY_VA), MEM_SUCCESS);
}
