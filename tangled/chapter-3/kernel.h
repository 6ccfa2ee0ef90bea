#line 331 "chapters/00-boot.nw"
/* kernel.h: what every part of the kernel may use. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#line 401 "chapters/03-vmm.nw"
#define KERNEL_VIRTUAL_BASE   0xC0000000u   /* chapter 3: the kernel lives in the top GiB */
#define KERNEL_PHYSICAL_BASE  0x00100000u   /* where the loader puts the kernel */
#define DIRECT_MAP_SIZE       0x10000000u   /* physical [0, 256 MiB) is mapped at the base */
#define HEAP_VIRTUAL_START    0xD0000000u   /* the heap grows from here ... */
#define HEAP_VIRTUAL_MAX      0x10000000u   /* ... for at most 256 MiB */
#define TEMP_WINDOW           0xFF800000u   /* one page to reach any frame */
#define PAGE_TABLES           0xFFC00000u   /* the page tables, seen through themselves */
#define PAGE_SIZE             4096u         /* as in pmm.h */

#define P2V(pa) ((void *)((uintptr_t)(pa) + KERNEL_VIRTUAL_BASE))
#define V2P(va) ((uintptr_t)(va) - KERNEL_VIRTUAL_BASE)

extern char _kernel_start[], _kernel_end[];     /* from kernel.ld */
#line 374 "chapters/00-boot.nw"
#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a)  ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)    ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define IS_ALIGNED(x, a)  (((x) & ((__typeof__(x))(a) - 1)) == 0)
#line 1442 "chapters/00-workbench.nw"
struct origin {
    const char *file;
    int line;
};
#define ORIGIN { __FILE__, __LINE__ }

/* Copy the entries of a linker-section table [START, STOP) into OUT (at most
 * MAX) sorted by their origin, i.e. in book order.  Each entry must begin
 * with a struct origin.  Returns the number of entries copied. */
int table_sorted(const void *const *start, const void *const *stop,
                 const void **out, int max);
#line 397 "chapters/00-boot.nw"
void console_init(void);
void console_putc(char c);
/* Wait for no byte: return the next byte typed on the serial line, or -1. */
int console_getc(void);
/* Copy everything printed from now on into BUF (NUL-terminated, truncated
 * to SIZE); console_capture(NULL, 0) stops copying. */
void console_capture(char *buf, size_t size);

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#line 432 "chapters/00-boot.nw"
struct trapframe {
    uint32_t gs, fs, es, ds;                            /* pushed by us */
    uint32_t edi, esi, ebp, esp_at_pushad, ebx, edx, ecx, eax;  /* pushad */
    uint32_t vector, error_code;                        /* pushed by the stub */
    uint32_t eip, cs, eflags;                           /* pushed by the CPU */
};
#line 447 "chapters/00-boot.nw"
/* The function containing ADDR and the offset of ADDR in it, or NULL. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);
/* Print PREFIX, ADDR and the function it lies in, and a newline. */
void print_address(const char *prefix, uint32_t addr);
#line 462 "chapters/00-boot.nw"
int probe_read(const volatile uint32_t *addr, uint32_t *value);
int probe_write(volatile uint32_t *addr, uint32_t value);
int probe_ud2(void);
extern struct trapframe probe_last;     /* the frame of the last probe fault */
extern uint32_t probe_last_cr2;         /* and CR2 at that moment */
void trap_report(const struct trapframe *tf);
void backtrace(uint32_t ebp);
#line 487 "chapters/00-boot.nw"
#define QEMU_EXIT_SUCCESS  0x10     /* QEMU exits with status 33 */
#define QEMU_EXIT_FAILURE  0x11     /* QEMU exits with status 35 */

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Report if the kernel stack has overflowed into its guard (a panic). */
void stack_check(void);
/* Tests that crash on purpose: the phrase the panic must contain; and the
 * check panic makes (it ends the run as a pass if the phrase is there). */
void ktest_expect_crash(const char *phrase);
void ktest_crash_check(const char *message);
/* Leave QEMU with CODE if it provides isa-debug-exit, else halt. */
void qemu_exit(uint32_t code) __attribute__((noreturn));
extern bool test_mode;              /* booted with "test" on the command line */
#line 1236 "chapters/00-workbench.nw"
struct cpu_features {
    bool i486;                  /* EFLAGS.AC can be set */
    bool cpuid;                 /* EFLAGS.ID can be changed: CPUID exists */
    uint32_t edx;               /* CPUID leaf 1: the feature bits */
};
/* What a processor with features F lacks of NEEDS (CPUID.1:EDX bits), in
 * words, or NULL if nothing. */
const char *cpu_missing(const struct cpu_features *f, uint32_t needs);
#line 1217 "chapters/03-vmm.nw"
/* Chapter 3: decode a page fault for the exception report. */
void page_fault_explain(uint32_t addr, uint32_t error_code);
#line 586 "chapters/00-boot.nw"
struct multiboot_info;
extern const struct multiboot_info *boot_info;   /* NULL if not booted by multiboot */
/* Is WORD one of the blank-separated words of the kernel command line? */
bool cmdline_has(const char *word);
/* The text after "KEY=" on the command line (up to the next blank) copied
 * into BUF, or NULL if there is no such word. */
const char *cmdline_value(const char *key, char *buf, size_t size);

#line 346 "chapters/00-boot.nw"
#endif
