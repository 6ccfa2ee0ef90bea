#line 109 "chapters/00-boot.nw"
/* x86.h: constants of the i386 architecture and tiny wrappers around
 * the instructions C cannot express.  Nothing else in the kernel uses asm. */
#ifndef X86_H
#define X86_H

#include <stdint.h>

#line 522 "chapters/00-workbench.nw"
#define SEG_KCODE  0x08     /* GDT entry 1: kernel code */
#define SEG_KDATA  0x10     /* GDT entry 2: kernel data */
#define SEG_TSS    0x18     /* GDT entry 3: the kernel's task state segment */
#define SEG_DFTSS  0x20     /* GDT entry 4: the double-fault task's */
#line 138 "chapters/00-boot.nw"
#define CR0_PE  0x00000001u     /* protected mode enable */
#define CR0_WP  0x00010000u     /* write protect: honour read-only pages in ring 0 */
#define CR0_PG  0x80000000u     /* paging enable */
#line 144 "chapters/00-boot.nw"
#define EFLAGS_IF  0x00000200u  /* interrupts enabled */
#line 1204 "chapters/00-workbench.nw"
#define EFLAGS_AC  0x00040000u  /* alignment check: exists from the 486 on */
#define EFLAGS_ID  0x00200000u  /* changeable exactly where CPUID exists */
#line 20 "chapters/00-workbench.nw"
static inline uint8_t
inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void
outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
#line 47 "chapters/00-workbench.nw"
#ifndef HOST_TEST
static inline uint32_t
read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline uint32_t
read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint32_t
read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
#else                           /* the host tests' simulated processor */
uint32_t read_cr0(void);
uint32_t read_cr2(void);
uint32_t read_cr3(void);
#endif
#line 83 "chapters/00-workbench.nw"
static inline void
cli(void)
{
    __asm__ volatile("cli");
}

static inline void
hlt(void)
{
    __asm__ volatile("hlt");
}
#line 1209 "chapters/00-workbench.nw"
#define CPUID_1_EDX_PSE  (1u << 3)      /* 4 MiB pages */
#ifndef HOST_TEST
/* Can bit BIT of EFLAGS be changed?  (EFLAGS is restored.) */
static inline int
eflags_bit_changes(uint32_t bit)
{
    uint32_t before, after;
    __asm__ volatile("pushfl; popl %0; movl %0, %1; xorl %2, %1; pushl %1; popfl;"
                     "pushfl; popl %1; pushl %0; popfl"
                     : "=&r"(before), "=&r"(after) : "ri"(bit) : "cc");
    return ((before ^ after) & bit) != 0;
}

static inline void
cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
#endif
#line 1098 "chapters/00-workbench.nw"
#ifndef HOST_TEST
static inline void
ltr(uint16_t selector)
{
    __asm__ volatile("ltr %0" : : "r"(selector));
}
#endif
#line 254 "chapters/03-vmm.nw"
#define PAGE_PRESENT   0x001u   /* the entry is valid */
#define PAGE_WRITABLE  0x002u   /* writes allowed (in ring 0 only if CR0.WP is set) */
#define PAGE_USER      0x004u   /* ring 3 may use it */
#define PAGE_ACCESSED  0x020u   /* set by the CPU on use */
#define PAGE_DIRTY     0x040u   /* set by the CPU on a write (table entries) */
#define PAGE_LARGE     0x080u   /* directory entry: a 4 MiB page (needs CR4.PSE) */
#define PAGE_FRAME     0xFFFFF000u
#define CR4_PSE        0x00000010u

#define PDX(va)  (((uint32_t)(va) >> 22) & 0x3FF)   /* page directory index */
#define PTX(va)  (((uint32_t)(va) >> 12) & 0x3FF)   /* page table index */
#line 313 "chapters/03-vmm.nw"
#ifndef HOST_TEST
static inline void
invlpg(uintptr_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void
write_cr3(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void
write_cr0(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
#else                           /* the host tests' simulated TLB */
void invlpg(uintptr_t va);
void write_cr3(uint32_t v);
void write_cr0(uint32_t v);
#endif
#line 354 "chapters/03-vmm.nw"
#define PF_PROTECTION  0x1u     /* 0: the page was not present */
#define PF_WRITE       0x2u
#define PF_USER        0x4u

#line 126 "chapters/00-boot.nw"
#endif
