/* grade_selftest.c: kernels that end in every way the grader must tell
 * apart (tools/test-grader.py checks its verdicts).  ex_not_written is in
 * exercise.conf but deliberately not here. */
#include "ktest.h"
#include "kheap.h"

KTEST(ex_passes) { KCHECK(kmalloc(0) == NULL); }
KTEST(ex_fails_a_check) { KCHECK_EQ(kmalloc(0) != NULL, 1); }
KTEST(ex_panics) { panic("ex_panics: on purpose"); }
KTEST(ex_prints) { kprintf("hello from the test\n"); }
KTEST(ex_prints_wrong) { kprintf("forbidden line\n"); }
KTEST(ex_hangs) { for (;;) __asm__ volatile("hlt"); }

/* An empty IDT: the breakpoint cannot be delivered, the CPU resets. */
KTEST(ex_triple_faults)
{
    static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) none = { 0, 0 };
    __asm__ volatile("cli; lidt %0; int3" : : "m"(none));
}

/* A line that looks like a failed check, with no check failed: the test
 * harness says ok, and the grader must still fail the test. */
KTEST(ex_says_check_failed) { kprintf("  check failed at grade_selftest.c:1: printed, not counted\n"); }
