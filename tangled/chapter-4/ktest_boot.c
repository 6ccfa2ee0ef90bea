#line 1158 "chapters/00-workbench.nw"
/* ktest_boot.c: tests of the prologue's scaffolding. */
#include "ktest.h"
#include "x86.h"

#line 1166 "chapters/00-workbench.nw"
KTEST(kprintf_formats)
{
    char buf[64];
    ksnprintf(buf, sizeof(buf), "%d|%5u|%-4x|%08X|%s|%c|%lld",
              -42, 7u, 0xabu, 0xBEEFu, "hi", '!', -1234567890123ll);
    KCHECK(ktest_streq(buf, "-42|    7|ab  |0000BEEF|hi|!|-1234567890123"));
    KCHECK_EQ(ksnprintf(buf, 4, "%s", "truncated"), 9);
    KCHECK(ktest_streq(buf, "tru"));
}
#line 1178 "chapters/00-workbench.nw"
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
