#line 762 "chapters/00-boot.nw"
/* monitor.h: the interactive kernel monitor. */
#ifndef MONITOR_H
#define MONITOR_H

#include "kernel.h"

struct monitor_command {
    struct origin origin;       /* first: see table_sorted */
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv);
};

/* MONITOR_COMMAND(heap, "dump the heap") (int argc, char **argv) { ... } */
#define MONITOR_COMMAND(cmd, text)                                      \
    static int monitor_##cmd(int argc, char **argv);                    \
    static const struct monitor_command monitor_desc_##cmd =            \
        { ORIGIN, #cmd, text, monitor_##cmd };                          \
    static const struct monitor_command *const monitor_ptr_##cmd        \
        __attribute__((section("kcmds"), used)) = &monitor_desc_##cmd;  \
    static int monitor_##cmd

void monitor_run(void) __attribute__((noreturn));
/* Parse a number: decimal, or hexadecimal with 0x.  False if S is not one. */
bool monitor_number(const char *s, uintptr_t *value);

#endif
