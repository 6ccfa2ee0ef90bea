/* grade_auto_trim.c: graded tests of exercise ch3-auto-trim (kfree trims
 * the heap by itself, with hysteresis). */
#include "ktest.h"
#include "kheap.h"
#include "kstring.h"
#include "vmm.h"

/* Free frames, plus the page tables the kernel made: page tables are never
 * given back, so this sum only changes when heap pages are mapped or unmapped. */
static uint32_t
frames(void)
{
    return pmm_free_frames() + vmm_page_tables();
}

static uint32_t
heap_size(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    return s.heap_size;
}

KTEST(ex_trim_big_free_gives_frames_back)
{
    uint32_t before = frames(), size = heap_size();
    char *p = kmalloc(4u << 20);
    KCHECK(p != NULL);
    if (!p)
        return;
    memset(p, 0x33, 4u << 20);
    KCHECK(frames() < before - 1000);
    kfree(p);
    KCHECK_EQ(frames(), before);            /* kfree gave the 4 MiB back by itself */
    KCHECK_EQ(heap_size(), size);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    KCHECK_EQ(heap_trim(), 0);              /* nothing left for heap_trim */
}

KTEST(ex_trim_waits_for_more_than_1mib)
{
    KCHECK_EQ(heap_trim_threshold(), 1u << 20);
    uint32_t before = frames();
    char *a = kmalloc(768u << 10), *b = kmalloc(768u << 10);
    KCHECK(a != NULL && b != NULL);
    if (!a || !b)
        return;
    uint32_t full = frames();
    kfree(b);                               /* about 800 KiB free at the end: keep it */
    KCHECK_EQ(frames(), full);
    kfree(a);                               /* now about 1.6 MiB: give it back */
    KCHECK_EQ(frames(), before);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
    KCHECK_EQ(heap_trim_threshold(), 1u << 20);
    char *c = kmalloc(768u << 10);          /* grows right after that automatic trim: */
    KCHECK(c != NULL);
    KCHECK_EQ(heap_trim_threshold(), 2u << 20);     /* it was premature, double */
    kfree(c);                               /* below 2 MiB: kept */
    KCHECK(heap_trim() > 0);                /* an explicit trim ... */
    c = kmalloc(768u << 10);                /* ... then growth: */
    KCHECK(c != NULL);
    KCHECK_EQ(heap_trim_threshold(), 2u << 20);     /* not an automatic trim: no doubling */
    kfree(c);
    heap_trim();
    KCHECK_EQ(frames(), before);
}

KTEST(ex_trim_alternating_settles)
{
    enum { CYCLES = 8 };
    uint32_t before = frames();
    bool mapped[CYCLES];
    int mapping_cycles = 0;
    for (int i = 0; i < CYCLES; i++) {
        uint32_t f = frames();
        char *p = kmalloc(2u << 20);
        KCHECK(p != NULL);
        if (!p)
            return;
        p[0] = p[(2u << 20) - 1] = (char)i;
        mapped[i] = frames() < f;
        mapping_cycles += mapped[i];
        kfree(p);
        if (i == 0)
            KCHECK_EQ(frames(), before);    /* the first free of 2 MiB is trimmed */
    }
    kprintf("2 MiB allocated and freed %d times: the heap grew in %d of them; threshold now %u KiB\n",
            CYCLES, mapping_cycles, (unsigned)(heap_trim_threshold() >> 10));
    KCHECK(mapping_cycles >= 2);            /* trimmed at least once more after the first */
    KCHECK(mapping_cycles <= 3);            /* then it settles */
    for (int i = CYCLES - 4; i < CYCLES; i++)
        if (mapped[i])
            ktest_fail(__FILE__, __LINE__, "cycle %d of %d still mapped fresh pages", i + 1, CYCLES);
    KCHECK(heap_trim_threshold() >= 2u << 20);
    KCHECK(heap_trim_threshold() <= HEAP_TRIM_MAX);
    heap_trim();                            /* an explicit trim still gives everything back */
    KCHECK_EQ(frames(), before);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);
}
