#line 2004 "chapters/00-workbench.nw"
/* monitor.c: the interactive kernel monitor on the serial line. */
#include "monitor.h"
#include "multiboot.h"

#line 1802 "chapters/00-workbench.nw"
#define LINE_MAX 128

static void
read_line(char *line)
{
    static bool last_was_cr;
    int n = 0;
    bool too_long = false;
    for (;;) {
        int c = console_getc();
        if (c < 0)
            continue;
        if (c == '\n' && last_was_cr) {
            last_was_cr = false;
            continue;
        }
        last_was_cr = c == '\r';
#line 1825 "chapters/00-workbench.nw"
        if (c == '\r' || c == '\n') {
            console_putc('\n');
            line[n] = '\0';
            if (too_long) {
                kprintf("line too long (more than %d characters): ignored\n", LINE_MAX - 1);
                line[0] = '\0';
            }
            return;
        }
        if ((c == 0x7F || c == '\b') && n > 0) {
            n--;
            console_putc('\b');
            console_putc(' ');
            console_putc('\b');
        } else if (c >= ' ' && c < 0x7F && n < LINE_MAX - 1) {
            line[n++] = (char)c;
            console_putc((char)c);
        } else if (c >= ' ' && c < 0x7F) {
            too_long = true;                    /* the rest is lost: refuse the line */
        }
#line 1820 "chapters/00-workbench.nw"
    }
}
#line 1856 "chapters/00-workbench.nw"
#define MAX_ARGS 8
#define MAX_COMMANDS 128

extern const struct monitor_command *const __start_kcmds[], *const __stop_kcmds[];
static const struct monitor_command *commands[MAX_COMMANDS];
static int ncommands;

static int
split(char *line, char **argv)
{
    int argc = 0;
    while (*line) {
        while (*line == ' ')
            *line++ = '\0';
        if (*line && argc == MAX_ARGS)
            return -1;                  /* more words than a command takes */
        if (*line)
            argv[argc++] = line;
        while (*line && *line != ' ')
            line++;
    }
    return argc;
}
#line 1882 "chapters/00-workbench.nw"
static bool
same_word(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static void
run_command(char *line)
{
    char *argv[MAX_ARGS];
    int argc = split(line, argv);
    if (argc < 0)
        kprintf("too many words (a command takes at most %d): ignored\n", MAX_ARGS);
    if (argc <= 0)
        return;
    for (int i = 0; i < ncommands; i++) {
        if (same_word(commands[i]->name, argv[0])) {
            commands[i]->run(argc, argv);
            stack_check();
            return;
        }
    }
    kprintf("unknown command '%s' (try 'help')\n", argv[0]);
}
#line 1911 "chapters/00-workbench.nw"
void
monitor_run(void)
{
    char line[LINE_MAX];
    ncommands = table_sorted((const void *const *)__start_kcmds, (const void *const *)__stop_kcmds,
                             (const void **)commands, MAX_COMMANDS);
    kprintf("Type 'help' for a list of commands.\n");
    for (;;) {
        kprintf("K> ");
        read_line(line);
        run_command(line);
    }
}
#line 1934 "chapters/00-workbench.nw"
bool
monitor_number(const char *s, uintptr_t *value)
{
    const char *text = s;
    unsigned base = 10;
    uintptr_t v = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
            d = (*s | 0x20) - 'a' + 10;
        else
            return false;
        if (v > (UINTPTR_MAX - d) / base) {
            kprintf("%s is too large (the largest number is %lu)\n", text,
                    (unsigned long)UINTPTR_MAX);
            return false;
        }
        v = v * base + d;
    }
    *value = v;
    return true;
}
#line 1971 "chapters/00-workbench.nw"
MONITOR_COMMAND(help, "list the commands")(int argc, char **argv)
{
    for (int i = 0; i < ncommands; i++)
        kprintf("  %-10s %s\n", commands[i]->name, commands[i]->help);
    return 0;
}

MONITOR_COMMAND(info, "where the kernel lives and how it was booted")(int argc, char **argv)
{
    kprintf("kernel: virtual %p-%p, physical 0x%08x-0x%08x\n",
            (void *)_kernel_start, (void *)_kernel_end,
            (unsigned)V2P(_kernel_start), (unsigned)V2P(_kernel_end));
    if (boot_info && (boot_info->flags & MULTIBOOT_INFO_LOADER))
        kprintf("boot loader: %s\n", (const char *)P2V(boot_info->boot_loader_name));
    return 0;
}
#line 1990 "chapters/00-workbench.nw"
MONITOR_COMMAND(trap, "execute an invalid instruction (shows an exception report)")
(int argc, char **argv)
{
    __asm__ volatile("ud2");
    return 0;
}

MONITOR_COMMAND(quit, "leave QEMU")(int argc, char **argv)
{
    qemu_exit(QEMU_EXIT_SUCCESS);
}
