/* grade_cow.c: graded tests of exercise ch3-cow (vmm_share_cow,
 * vmm_unmap_cow and the copy-on-write fault). */
#include "ktest.h"
#include "kheap.h"
#include "vmm.h"
#include "x86.h"

#define SRC 0xE8000000u         /* nothing else is mapped here ... */
#define DST 0xE9000000u         /* ... nor here (another page table) ... */
#define THIRD 0xEA000000u       /* ... nor here */
#define NPAGES 4

/* Free frames, plus the page tables the kernel made (never given back). */
static uint32_t
frames(void)
{
    return pmm_free_frames() + vmm_page_tables();
}

static uint32_t
pattern(unsigned page, uint32_t off)
{
    return 0x5EED0000u + page * 0x1000u + off;
}

/* Map NPAGES fresh writable frames at SRC, each word holding pattern(). */
static void
make_source(void)
{
    for (unsigned i = 0; i < NPAGES; i++) {
        phys_addr_t f = pmm_alloc_page();
        KCHECK_EQ(vmm_map_page(SRC + i * PAGE_SIZE, f, PAGE_WRITABLE), MEM_SUCCESS);
        for (uint32_t off = 0; off < PAGE_SIZE; off += 4)
            *(volatile uint32_t *)(SRC + i * PAGE_SIZE + off) = pattern(i, off);
    }
}

/* The page table entry that maps VA, read through the recursive mapping
 * (VA's page table must exist). */
static uint32_t
entry_of(uintptr_t va)
{
    return ((volatile uint32_t *)PAGE_TABLES)[va / PAGE_SIZE];
}

/* Check that the page at VA is mapped read-only with PAGE_COW. */
static void
expect_cow_entry(uintptr_t va, int line)
{
    uint32_t e = entry_of(va);
    if ((e & (PAGE_PRESENT | PAGE_WRITABLE | PAGE_COW)) != (PAGE_PRESENT | PAGE_COW))
        ktest_fail(__FILE__, line, "the entry of the shared page %p is 0x%08x: it should be present, "
                   "read-only and have PAGE_COW", (void *)va, e);
}
#define EXPECT_COW_ENTRY(va) expect_cow_entry((va), __LINE__)

/* Check that the source pages are still plain writable pages (a refused
 * share changes nothing). */
static void
expect_source_untouched(int line)
{
    for (unsigned i = 0; i < NPAGES; i++) {
        uint32_t e = entry_of(SRC + i * PAGE_SIZE);
        if ((e & (PAGE_PRESENT | PAGE_WRITABLE | PAGE_COW)) != (PAGE_PRESENT | PAGE_WRITABLE))
            ktest_fail(__FILE__, line, "after a refused share the entry of the source page %p is 0x%08x: "
                       "it should still be present, writable and without PAGE_COW", (void *)(SRC + i * PAGE_SIZE), e);
    }
}
#define EXPECT_SOURCE_UNTOUCHED() expect_source_untouched(__LINE__)

/* The word at VA, read with a probe (0xDEAD0000 + vector if it faults). */
static uint32_t
peek(uintptr_t va)
{
    uint32_t v;
    int r = probe_read((volatile uint32_t *)va, &v);
    return r == -1 ? v : 0xDEAD0000u + (uint32_t)r;
}

/* Write VALUE at VA with a probe; the write must not fault in the end. */
static void
poke(uintptr_t va, uint32_t value)
{
    int r = probe_write((volatile uint32_t *)va, value);
    if (r != -1)
        ktest_fail(__FILE__, __LINE__, "the write to %p faulted (vector %d, error code 0x%x): "
                   "the copy-on-write fault was not resolved", (void *)va, r, probe_last.error_code);
}

/* Share SRC into DST; false (with a message) if it fails. */
static bool
share(void)
{
    int r = vmm_share_cow(SRC, DST, NPAGES);
    if (r != MEM_SUCCESS)
        ktest_fail(__FILE__, __LINE__, "vmm_share_cow(SRC, DST, %d) = %d, not MEM_SUCCESS", NPAGES, r);
    return r == MEM_SUCCESS;
}

KTEST(ex_cow_share_reads_same_data)
{
    make_source();
    uint32_t before = frames();
    if (!share())
        return;
    KCHECK_EQ(frames(), before);                        /* sharing takes no frame */
    for (unsigned i = 0; i < NPAGES; i++) {
        uintptr_t s = SRC + i * PAGE_SIZE, d = DST + i * PAGE_SIZE;
        KCHECK_EQ(vmm_translate(d), vmm_translate(s));  /* the same frame */
        EXPECT_COW_ENTRY(s);                            /* both read-only, copy-on-write */
        EXPECT_COW_ENTRY(d);
        KCHECK_EQ(peek(d + 0x10), pattern(i, 0x10));
        KCHECK_EQ(peek(s + 0xFFC), pattern(i, 0xFFC));
    }
    KCHECK_EQ(frames(), before);                        /* reading takes none either */
    vmm_unmap_cow(SRC, NPAGES);
    vmm_unmap_cow(DST, NPAGES);
}

KTEST(ex_cow_write_copies_once)
{
    make_source();
    if (!share())
        return;
    uint32_t before = frames();
    phys_addr_t shared = vmm_translate(SRC);
    poke(DST + 0x20, 0xD5700001);
    KCHECK_EQ(before - frames(), 1);                    /* one copy */
    KCHECK_EQ(peek(DST + 0x20), 0xD5700001);            /* the write is there ... */
    KCHECK_EQ(peek(SRC + 0x20), pattern(0, 0x20));      /* ... not in the other sharer */
    KCHECK_EQ(peek(DST + 0x24), pattern(0, 0x24));      /* the rest was copied */
    KCHECK_EQ(peek(DST + 0xFFC), pattern(0, 0xFFC));
    KCHECK_EQ(vmm_translate(SRC), shared);              /* the other sharer keeps its frame */
    KCHECK(vmm_translate(DST) != shared);
    for (unsigned i = 1; i < NPAGES; i++)               /* the other pages are still shared */
        KCHECK_EQ(vmm_translate(DST + i * PAGE_SIZE), vmm_translate(SRC + i * PAGE_SIZE));
    poke(DST + 0x28, 0xD5700002);                       /* the copy is writable: no new copy */
    KCHECK_EQ(before - frames(), 1);
    KCHECK_EQ(peek(SRC + 0x28), pattern(0, 0x28));
    vmm_unmap_cow(SRC, NPAGES);
    vmm_unmap_cow(DST, NPAGES);
}

KTEST(ex_cow_last_sharer_takes_no_frame)
{
    make_source();
    if (!share())
        return;
    poke(DST + 0x30, 0x1);                              /* DST gets its copy */
    uint32_t before = frames();
    phys_addr_t mine = vmm_translate(SRC);
    poke(SRC + 0x30, 0x51);                             /* SRC is now the frame's only user */
    KCHECK_EQ(frames(), before);
    KCHECK_EQ(vmm_translate(SRC), mine);                /* made writable in place */
    KCHECK_EQ(peek(SRC + 0x30), 0x51);
    KCHECK_EQ(peek(DST + 0x30), 0x1);
    KCHECK_EQ(peek(SRC + 0x34), pattern(0, 0x34));
    vmm_unmap_cow(SRC, NPAGES);
    vmm_unmap_cow(DST, NPAGES);
}

/* Three sharers: a count, not a flag. After the first copy the frame still
 * has two sharers, so the second writer copies too; only the third writes
 * in place. */
KTEST(ex_cow_three_sharers_count)
{
    make_source();
    if (!share())
        return;
    KCHECK_EQ(vmm_share_cow(SRC, THIRD, NPAGES), MEM_SUCCESS);   /* shared again */
    phys_addr_t shared = vmm_translate(SRC);
    KCHECK_EQ(vmm_translate(THIRD), shared);
    uint32_t before = frames();
    poke(DST + 0x50, 0xD);                              /* three sharers: a copy */
    KCHECK_EQ(before - frames(), 1);
    poke(THIRD + 0x50, 0x3);                            /* still two: a copy again */
    KCHECK_EQ(before - frames(), 2);
    KCHECK(vmm_translate(THIRD) != shared);
    KCHECK_EQ(peek(SRC + 0x50), pattern(0, 0x50));      /* nobody wrote into SRC's frame */
    poke(SRC + 0x50, 0x5);                              /* the last sharer: in place */
    KCHECK_EQ(before - frames(), 2);
    KCHECK_EQ(vmm_translate(SRC), shared);
    KCHECK_EQ(peek(DST + 0x50), 0xD);
    KCHECK_EQ(peek(THIRD + 0x50), 0x3);
    KCHECK_EQ(peek(THIRD + 0x54), pattern(0, 0x54));
    vmm_unmap_cow(SRC, NPAGES);
    vmm_unmap_cow(DST, NPAGES);
    vmm_unmap_cow(THIRD, NPAGES);
}

KTEST(ex_cow_unmap_returns_frames)
{
    uint32_t start = frames();
    make_source();
    if (!share())
        return;
    poke(DST + 0x40, 1);                                /* page 0: DST copies */
    poke(SRC + PAGE_SIZE + 0x40, 2);                    /* page 1: SRC copies */
    KCHECK_EQ(start - frames(), NPAGES + 2);
    KCHECK_EQ(vmm_unmap_cow(SRC, NPAGES), 2);           /* pages 2, 3 are still DST's */
    KCHECK_EQ(peek(DST + 2 * PAGE_SIZE + 0x40), pattern(2, 0x40));
    KCHECK_EQ(vmm_unmap_cow(DST, NPAGES), NPAGES);
    KCHECK_EQ(frames(), start);                         /* every frame is back */
    for (unsigned i = 0; i < NPAGES; i++) {
        KCHECK_EQ(vmm_translate(SRC + i * PAGE_SIZE), VMM_NO_MAPPING);
        KCHECK_EQ(vmm_translate(DST + i * PAGE_SIZE), VMM_NO_MAPPING);
    }
}

KTEST(ex_cow_refuses_bad_shares)
{
    make_source();
    KCHECK_EQ(vmm_share_cow(SRC + 1, DST, 1), MEM_INVALID);                    /* misaligned */
    KCHECK_EQ(vmm_share_cow(SRC, DST + 8, 1), MEM_INVALID);
    KCHECK_EQ(vmm_share_cow(SRC, DST, 0), MEM_INVALID);                        /* nothing */
    KCHECK_EQ(vmm_share_cow(SRC, SRC + PAGE_SIZE, 2), MEM_INVALID);            /* overlap */
    KCHECK_EQ(vmm_share_cow(SRC, DST, NPAGES + 1), MEM_INVALID);               /* a source page unmapped */
    KCHECK_EQ(vmm_translate(DST), VMM_NO_MAPPING);                             /* nothing changed */
    EXPECT_SOURCE_UNTOUCHED();
    KCHECK_EQ(vmm_share_cow((uintptr_t)_kernel_start, DST, 1), MEM_INVALID);   /* the kernel */
    KCHECK_EQ(vmm_share_cow((uintptr_t)P2V(0x800000), DST, 1), MEM_INVALID);   /* the direct map */
    phys_addr_t f = pmm_alloc_page();
    vmm_map_page(DST + PAGE_SIZE, f, PAGE_WRITABLE);
    KCHECK_EQ(vmm_share_cow(SRC, DST, 2), MEM_INVALID);                        /* a target page is mapped */
    KCHECK_EQ(vmm_translate(DST), VMM_NO_MAPPING);
    EXPECT_SOURCE_UNTOUCHED();
    vmm_unmap_page(DST + PAGE_SIZE);
    pmm_free_page(f);
    KCHECK_EQ(vmm_share_cow(SRC, DST, NPAGES), MEM_SUCCESS);                   /* a good one */
    KCHECK_EQ(probe_write((volatile uint32_t *)((uintptr_t)_kernel_start + 0x1000), 1), 14);
    KCHECK_EQ(probe_last.error_code & 7, PF_WRITE | PF_PROTECTION);            /* kernel code: still a fault */
    KCHECK_EQ(vmm_unmap_cow(SRC + 1, 1), MEM_INVALID);
    vmm_unmap_cow(SRC, NPAGES);
    vmm_unmap_cow(DST, NPAGES);
}
