/* grade_guard.c: graded tests of exercise ch3-guard-pages (kmalloc_guarded
 * and kfree_guarded). */
#include "ktest.h"
#include "kguard.h"
#include "kheap.h"
#include "kstring.h"
#include "vmm.h"
#include "x86.h"

static const size_t sizes[] = { 1, 13, 100, 4096, 4097, 10000 };

/* Free frames, plus the page tables the kernel made (never given back). */
static uint32_t
frames(void)
{
    return pmm_free_frames() + vmm_page_tables();
}

/* Is P a plausible guarded block of SIZE bytes? Says why not. */
static bool
check_block(const char *p, size_t size)
{
    if (!p) {
        ktest_fail(__FILE__, __LINE__, "kmalloc_guarded(%u) returned NULL", (unsigned)size);
        return false;
    }
    uintptr_t end = (uintptr_t)p + size;
    if ((uintptr_t)p < GUARD_VIRTUAL_START || end > GUARD_VIRTUAL_START + GUARD_VIRTUAL_SIZE)
        ktest_fail(__FILE__, __LINE__, "kmalloc_guarded(%u) = %p: outside the guarded range",
                   (unsigned)size, (void *)p);
    if (!IS_ALIGNED(end, PAGE_SIZE))
        ktest_fail(__FILE__, __LINE__, "kmalloc_guarded(%u) = %p: the block ends at %p, not at a page boundary",
                   (unsigned)size, (void *)p, (void *)end);
    return true;
}

KTEST(ex_guard_block_is_usable)
{
    char *p[ARRAY_SIZE(sizes)];
    uint32_t before = frames(), pages = 0;
    KCHECK(kmalloc_guarded(0) == NULL);
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        p[i] = kmalloc_guarded(sizes[i]);
        if (!check_block(p[i], sizes[i]))
            return;
        memset(p[i], 'a' + i, sizes[i]);
        pages += ALIGN_UP(sizes[i], (size_t)PAGE_SIZE) / PAGE_SIZE;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)        /* no block overlaps another */
        for (size_t j = 0; j < sizes[i]; j++)
            if (p[i][j] != (char)('a' + i)) {
                ktest_fail(__FILE__, __LINE__, "block %u (%u bytes): byte %u overwritten",
                           i, (unsigned)sizes[i], (unsigned)j);
                break;
            }
    KCHECK_EQ(before - frames(), pages);        /* one frame per page, none for the guards */
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {  /* every guard stays unmapped ... */
        uintptr_t guard = (uintptr_t)p[i] + sizes[i];
        if (vmm_translate(guard) != VMM_NO_MAPPING)     /* ... although later blocks were placed */
            ktest_fail(__FILE__, __LINE__, "block %u (%u bytes at %p): its guard page %p is mapped "
                       "(by a later block?)", i, (unsigned)sizes[i], (void *)p[i], (void *)guard);
    }
    KCHECK(kmalloc_guarded(GUARD_VIRTUAL_SIZE) == NULL);   /* no room for its guard */
    KCHECK_EQ(before - frames(), pages);
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++)
        KCHECK_EQ(kfree_guarded(p[i]), MEM_SUCCESS);
}

KTEST(ex_guard_overflow_faults)
{
    for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
        char *p = kmalloc_guarded(sizes[i]);
        if (!check_block(p, sizes[i]))
            return;
        uintptr_t end = (uintptr_t)p + sizes[i];
        p[0] = p[sizes[i] - 1] = 'x';                   /* the first and last bytes are fine */
        KCHECK_EQ(probe_write((volatile uint32_t *)(end - 4), 1), -1);
        KCHECK_EQ(probe_write((volatile uint32_t *)end, 1), 14);       /* one byte past: #PF */
        KCHECK_EQ(probe_last_cr2, end);
        KCHECK_EQ(probe_last.error_code & 7, PF_WRITE);                 /* not present, write */
        uint32_t v;
        KCHECK_EQ(probe_read((volatile uint32_t *)end, &v), 14);        /* reading too */
        KCHECK_EQ(probe_write((volatile uint32_t *)(end - 2), 1), 14);  /* straddling the end */
        KCHECK_EQ(kfree_guarded(p), MEM_SUCCESS);
    }
}

KTEST(ex_guard_free_returns_frames)
{
    uint32_t before = frames();
    char *p = kmalloc_guarded(3 * PAGE_SIZE + 5);
    if (!check_block(p, 3 * PAGE_SIZE + 5))
        return;
    KCHECK_EQ(before - frames(), 4);
    KCHECK_EQ(kfree_guarded(p), MEM_SUCCESS);
    KCHECK_EQ(frames(), before);
    uint32_t v;
    KCHECK_EQ(probe_read((volatile uint32_t *)p, &v), 14);             /* a use after free faults */
    for (uintptr_t va = ALIGN_DOWN((uintptr_t)p, PAGE_SIZE); va < (uintptr_t)p + 3 * PAGE_SIZE + 5; va += PAGE_SIZE)
        KCHECK_EQ(vmm_translate(va), VMM_NO_MAPPING);
    for (int round = 0; round < 40; round++) {                         /* nothing leaks */
        char *a = kmalloc_guarded(sizes[round % ARRAY_SIZE(sizes)]);
        char *b = kmalloc_guarded(5000);
        KCHECK(a != NULL && b != NULL);
        KCHECK_EQ(kfree_guarded(a), MEM_SUCCESS);
        KCHECK_EQ(kfree_guarded(b), MEM_SUCCESS);
    }
    KCHECK_EQ(frames(), before);
    static char *live[GUARD_MAX_BLOCKS];                               /* at most 64 live blocks */
    unsigned n = 0;
    while (n < GUARD_MAX_BLOCKS && (live[n] = kmalloc_guarded(8)) != NULL)
        n++;
    KCHECK_EQ(n, GUARD_MAX_BLOCKS);
    KCHECK(kmalloc_guarded(8) == NULL);                                /* the 65th */
    KCHECK_EQ(before - frames(), n);                                   /* and it took no frame */
    while (n > 0)
        KCHECK_EQ(kfree_guarded(live[--n]), MEM_SUCCESS);
    KCHECK_EQ(frames(), before);
}

KTEST(ex_guard_bad_frees_are_refused)
{
    char *p = kmalloc_guarded(100);
    if (!check_block(p, 100))
        return;
    void *h = kmalloc(100);
    uint32_t before = frames();
    KCHECK_EQ(kfree_guarded(p + 1), MEM_INVALID);                       /* inside the block */
    KCHECK_EQ(kfree_guarded(h), MEM_INVALID);                           /* a heap block */
    KCHECK_EQ(kfree_guarded((void *)GUARD_VIRTUAL_START), MEM_INVALID); /* never returned */
    KCHECK_EQ(frames(), before);                                        /* nothing changed */
    memset(p, 'y', 100);                                                /* still mapped */
    KCHECK_EQ(kfree_guarded(p), MEM_SUCCESS);
    KCHECK_EQ(kfree_guarded(p), MEM_INVALID);                           /* double free */
    KCHECK_EQ(kfree_guarded(NULL), MEM_SUCCESS);
    kfree(h);
}

/* Freed pages are used again: allocating and freeing 1 MiB 300 times (far
 * more than the 64 MiB range holds at once) never runs out, and one more
 * round of 64 small blocks fits too. */
KTEST(ex_guard_freed_pages_are_reused)
{
    uint32_t before = frames();
    unsigned round;
    for (round = 0; round < 300; round++) {
        char *p = kmalloc_guarded(1024 * 1024);
        if (!p)
            break;
        p[0] = 1;
        KCHECK_EQ(kfree_guarded(p), MEM_SUCCESS);
    }
    if (round < 300)
        ktest_fail(__FILE__, __LINE__, "kmalloc_guarded(1 MiB) returned NULL in round %u (after %u MiB "
                   "allocated and freed): are freed pages used again?", round + 1, round);
    for (round = 0; round < 2 * 16384 / 2; round++) {           /* two pages each: the range twice over */
        char *p = kmalloc_guarded(8);
        if (!p)
            break;
        KCHECK_EQ(kfree_guarded(p), MEM_SUCCESS);
    }
    if (round < 16384)
        ktest_fail(__FILE__, __LINE__, "kmalloc_guarded(8) returned NULL in round %u", round + 1);
    KCHECK_EQ(frames(), before);
}
