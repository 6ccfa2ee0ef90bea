#line 1680 "chapters/00-workbench.nw"
/* ktest_boot.c: tests of the prologue's scaffolding. */
#include "ktest.h"
#include "monitor.h"
#include "x86.h"

#line 1689 "chapters/00-workbench.nw"
KTEST(kprintf_formats)
{
    char buf[64];
    ksnprintf(buf, sizeof(buf), "%d|%5u|%-4x|%08X|%s|%c|%lld",
              -42, 7u, 0xabu, 0xBEEFu, "hi", '!', -1234567890123ll);
    KCHECK(ktest_streq(buf, "-42|    7|ab  |0000BEEF|hi|!|-1234567890123"));
    KCHECK_EQ(ksnprintf(buf, 4, "%s", "truncated"), 9);
    KCHECK(ktest_streq(buf, "tru"));
}
#line 1701 "chapters/00-workbench.nw"
KTEST(segments_are_ours)
{
    uint16_t cs, ds, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2"
                     : "=r"(cs), "=r"(ds), "=r"(ss));
    KCHECK_EQ(cs, SEG_KCODE);
    KCHECK_EQ(ds, SEG_KDATA);
    KCHECK_EQ(ss, SEG_KDATA);
}

KTEST(invalid_opcode_is_caught)
{
    KCHECK_EQ(probe_ud2(), 6);              /* #UD */
    KCHECK_EQ(probe_last.vector, 6);
    KCHECK_EQ(probe_last.cs, SEG_KCODE);
}
#line 1724 "chapters/00-workbench.nw"
KTEST(cpu_check_knows_the_processors)
{
    struct cpu_features an386 = { false, false, 0 }, early486 = { true, false, 0 },
                        late486 = { true, true, 0 }, pentium = { true, true, CPUID_1_EDX_PSE };
    KCHECK(cpu_missing(&an386, 0) != NULL);
    KCHECK(cpu_missing(&early486, 0) == NULL);
    KCHECK(cpu_missing(&early486, CPUID_1_EDX_PSE) != NULL);
    KCHECK(cpu_missing(&late486, CPUID_1_EDX_PSE) != NULL);
    KCHECK(cpu_missing(&pentium, CPUID_1_EDX_PSE) == NULL);
    KCHECK(eflags_bit_changes(EFLAGS_AC));  /* we run on an i486 or later */
}
#line 1740 "chapters/00-workbench.nw"
KTEST(monitor_numbers_do_not_wrap)
{
    uintptr_t v;
    char out[128];
    KCHECK(monitor_number("4294967295", &v) && v == 0xFFFFFFFFu);
    KCHECK(monitor_number("0xFFFFFFFF", &v) && v == 0xFFFFFFFFu);
    console_capture(out, sizeof(out));
    KCHECK(!monitor_number("4294967312", &v));          /* 2^32 + 16 */
    KCHECK(!monitor_number("0x100136000", &v));
    console_capture(NULL, 0);
    KCHECK(!monitor_number("12a", &v) && !monitor_number("0x", &v));
}
#line 1761 "chapters/00-workbench.nw"
/* Recurse until the frame lies below FLOOR. */
static int
dive(uintptr_t floor)
{
    volatile char pad[64];
    pad[0] = 1;
    if ((uintptr_t)__builtin_frame_address(0) > floor)
        return dive(floor) + pad[0];
    return pad[0];
}

KTEST(crash_stack_overflow)
{
    extern char stack_bottom[];
    ktest_expect_crash("the kernel stack overflowed into its guard");
    dive((uintptr_t)stack_bottom - 512);
    stack_check();
    KCHECK(!"the overflow went unnoticed");
}

extern volatile bool trap_fault_injection;

KTEST(crash_fault_in_fault_handler)
{
    ktest_expect_crash("while reporting exception 6: the exception handler itself faulted");
    trap_fault_injection = true;
    __asm__ volatile("ud2");
    KCHECK(!"the exception returned");
}
