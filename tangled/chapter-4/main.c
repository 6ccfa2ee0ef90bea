#line 646 "chapters/00-boot.nw"
/* main.c: kmain, the command line. */
#include "kernel.h"
#include "multiboot.h"
#include "ktest.h"
#include "monitor.h"
#line 725 "chapters/01-heap.nw"
#include "kheap.h"
#line 844 "chapters/02-pmm.nw"
#include "pmm.h"
#line 1034 "chapters/03-vmm.nw"
#include "vmm.h"
#line 1084 "chapters/04-slab.nw"
#include "slab.h"

#line 653 "chapters/00-boot.nw"
const struct multiboot_info *boot_info;
bool test_mode;
void cpu_init(void);
void cpu_check(void);

#line 1379 "chapters/00-workbench.nw"
static const char *
cmdline(void)
{
    if (!boot_info || !(boot_info->flags & MULTIBOOT_INFO_CMDLINE))
        return "";
    return P2V(boot_info->cmdline);
}

/* Find the word starting with PREFIX (followed by END, or by a blank or
 * the end of the string when END is 0); return the text after PREFIX. */
static const char *
cmdline_find(const char *prefix, char end)
{
    for (const char *s = cmdline(); *s; ) {
        while (*s == ' ')
            s++;
        int i = 0;
        while (prefix[i] && s[i] == prefix[i])
            i++;
        if (!prefix[i] && (end ? s[i] == end : (s[i] == ' ' || !s[i])))
            return s + i + (end != 0);
        while (*s && *s != ' ')
            s++;
    }
    return NULL;
}
#line 1408 "chapters/00-workbench.nw"
bool
cmdline_has(const char *word)
{
    return cmdline_find(word, 0) != NULL;
}

const char *
cmdline_value(const char *key, char *buf, size_t size)
{
    const char *v = cmdline_find(key, '=');
    if (!v || !size)
        return NULL;
    size_t n = 0;
    while (v[n] && v[n] != ' ' && n + 1 < size) {
        buf[n] = v[n];
        n++;
    }
    buf[n] = '\0';
    return buf;
}
#line 1459 "chapters/00-workbench.nw"
static bool
origin_before(const struct origin *a, const struct origin *b)
{
    const char *x = a->file, *y = b->file;
    while (*x && *x == *y)
        x++, y++;
    if (*x != *y)
        return (unsigned char)*x < (unsigned char)*y;
    return a->line < b->line;
}

int
table_sorted(const void *const *start, const void *const *stop,
             const void **out, int max)
{
    int n = 0;
    for (const void *const *e = start; e < stop && n < max; e++) {
        int i = n++;
        for (; i > 0 && origin_before(*e, out[i - 1]); i--)
            out[i] = out[i - 1];
        out[i] = *e;
    }
    return n;
}
#line 604 "chapters/00-boot.nw"
void kmain(uint32_t magic, uint32_t info_phys);

void
kmain(uint32_t magic, uint32_t info_phys)
{
    console_init();
    cpu_init();
    kprintf("Sarrus memory manager, stage %d\n", KERNEL_STAGE);
#line 627 "chapters/00-boot.nw"
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC) {
        char name[64];
        boot_info = P2V(info_phys);
        ktest_take_grade_nonce();
        test_mode = cmdline_has("test") || cmdline_value("test", name, sizeof(name));
        if (boot_info->flags & MULTIBOOT_INFO_CMDLINE)
            kprintf("command line: %s\n", (const char *)P2V(boot_info->cmdline));
    } else {
        kprintf("kmain: not started by a multiboot loader (eax=0x%x)\n", magic);
    }
#line 613 "chapters/00-boot.nw"
    cpu_check();
#line 1028 "chapters/03-vmm.nw"
    pmm_init(boot_info);
    vmm_init();
    heap_init_virtual();
#line 1080 "chapters/04-slab.nw"
    kmalloc_init(SLAB_VIRTUAL_START, SLAB_VIRTUAL_SIZE);
#line 615 "chapters/00-boot.nw"
    if (test_mode)
        ktest_main();
    monitor_run();
}
