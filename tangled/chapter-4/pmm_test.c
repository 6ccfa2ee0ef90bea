#line 1094 "chapters/02-pmm.nw"
/* pmm_test.c: in-kernel tests of the physical memory manager. */
#include "ktest.h"
#include "monitor.h"
#include "pmm.h"
#include "kheap.h"
#include "kstring.h"

#line 1106 "chapters/02-pmm.nw"
/* Is [PA, PA + PAGE_SIZE) clear of every reserved range? */
static bool
clear_of_reserved(phys_addr_t pa)
{
    const struct pmm_ranges *r = pmm_reserved();
    for (int i = 0; i < r->n; i++)
        if (pa + (uint64_t)PAGE_SIZE > r->r[i].start && pa < r->r[i].end)
            return false;
    return true;
}

/* Does the memory map say [PA, PA + PAGE_SIZE) is usable RAM? */
static bool
usable_in_map(phys_addr_t pa)
{
    const uint8_t *p = P2V(boot_info->mmap_addr), *end = p + boot_info->mmap_length;
    bool usable = false;
    for (; p < end; p += ((const struct multiboot_mmap_entry *)p)->size + 4) {
        const struct multiboot_mmap_entry *e = (const void *)p;
        bool inside = pa >= e->addr && pa + (uint64_t)PAGE_SIZE <= e->addr + e->len;
        bool touches = pa < e->addr + e->len && pa + (uint64_t)PAGE_SIZE > e->addr;
        if (e->type == MULTIBOOT_MEMORY_AVAILABLE && inside)
            usable = true;
        else if (e->type != MULTIBOOT_MEMORY_AVAILABLE && touches)
            return false;
    }
    return usable;
}
#line 1226 "chapters/02-pmm.nw"
/* Run monitor command NAME with one argument (or none), capturing what it
 * prints into OUT. */
static int
monitor_call(const char *name, const char *arg, char *out, size_t size)
{
    extern const struct monitor_command *const __start_kcmds[], *const __stop_kcmds[];
    char word[24];
    ksnprintf(word, sizeof(word), "%s", arg ? arg : "");
    char *argv[] = { (char *)name, word, NULL };
    for (const struct monitor_command *const *c = __start_kcmds; c < __stop_kcmds; c++) {
        if (ktest_streq((*c)->name, name)) {
            console_capture(out, size);
            int r = (*c)->run(arg ? 2 : 1, argv);
            console_capture(NULL, 0);
            return r;
        }
    }
    return -1;
}

static bool
contains(const char *s, const char *phrase)
{
    for (size_t n = strlen(phrase); *s; s++)
        if (memcmp(s, phrase, n) == 0)
            return true;
    return false;
}
#line 1137 "chapters/02-pmm.nw"
KTEST(pmm_every_frame_once)
{
    uint32_t before = pmm_free_frames(), n = 0, bad = 0;
    phys_addr_t last = PMM_NO_FRAME, pa;
    while ((pa = pmm_alloc_page()) != PMM_NO_FRAME) {
        if (!IS_ALIGNED(pa, PAGE_SIZE) || pa < LOW_MEMORY_END || !clear_of_reserved(pa) ||
            !usable_in_map(pa))
            bad++;
        uint32_t *w = pmm_frame(pa);
        w[0] = last;                    /* the chain, kept in the frames */
        w[1] = ~pa;                     /* the tag */
        last = pa;
        n++;
    }
    KCHECK_EQ(bad, 0);
    KCHECK_EQ(n, before);
    KCHECK_EQ(pmm_free_frames(), 0);
#line 1160 "chapters/02-pmm.nw"
    uint32_t walked = 0;
    while (last != PMM_NO_FRAME && walked <= n) {
        uint32_t *w = pmm_frame(last);
        phys_addr_t prev = w[0];
        if (w[1] != ~last)
            bad++;
        KCHECK_EQ(pmm_free_page(last), MEM_SUCCESS);
        last = prev;
        walked++;
    }
    KCHECK_EQ(walked, n);
    KCHECK_EQ(bad, 0);
#line 1155 "chapters/02-pmm.nw"
    KCHECK_EQ(pmm_free_frames(), before);
}
#line 1175 "chapters/02-pmm.nw"
KTEST(pmm_refuses_bad_frees)
{
    uint32_t before = pmm_free_frames();
    unsigned errors = pmm_errors;
    phys_addr_t pa = pmm_alloc_page();
    KCHECK(pa != PMM_NO_FRAME);
    KCHECK_EQ(pmm_free_page(pa + 12), MEM_INVALID);                 /* misaligned */
    KCHECK_EQ(pmm_free_page(0), MEM_INVALID);                       /* frame 0 */
    KCHECK_EQ(pmm_free_page((phys_addr_t)V2P(_kernel_start)), MEM_INVALID);
    KCHECK_EQ(pmm_free_page(heap_phys), MEM_INVALID);               /* chapter 1's heap */
    KCHECK_EQ(pmm_free_page((phys_addr_t)pmm_metadata().start), MEM_INVALID);
    KCHECK_EQ(pmm_free_page(0xFFFFF000u), MEM_INVALID);             /* not RAM */
    KCHECK_EQ(pmm_free_page(pa), MEM_SUCCESS);
    KCHECK_EQ(pmm_free_page(pa), MEM_INVALID);                      /* double free */
    KCHECK_EQ(pmm_errors, errors + 7);
    KCHECK_EQ(pmm_free_frames(), before);
}
#line 1195 "chapters/02-pmm.nw"
KTEST(pmm_poisons_freed_frames)
{
    phys_addr_t pa = pmm_alloc_page();
    uint8_t *p = pmm_frame(pa);
    memset(p, 0x11, PAGE_SIZE);
    KCHECK_EQ(pmm_free_page(pa), MEM_SUCCESS);
    KCHECK(p[0] == PMM_POISON && p[PAGE_SIZE - 1] == PMM_POISON);
    KCHECK_EQ(pmm_alloc_page(), pa);        /* a stack: the last freed comes back first */
    KCHECK_EQ(pmm_free_page(pa), MEM_SUCCESS);
}

KTEST(pmm_statistics_are_exact)
{
    memory_stats_t s;
    memory_get_stats(&s);
    KCHECK_EQ(s.free_physical, pmm_free_frames() * PAGE_SIZE);
    KCHECK_EQ(s.used_physical + s.free_physical, s.total_physical);
    phys_addr_t pa = pmm_alloc_page();
    memory_stats_t t;
    memory_get_stats(&t);
    KCHECK_EQ(t.free_physical, s.free_physical - PAGE_SIZE);
    KCHECK_EQ(t.used_physical, s.used_physical + PAGE_SIZE);
    pmm_free_page(pa);
}
#line 1257 "chapters/02-pmm.nw"
KTEST(pmm_monitor_frees_only_its_own_frames)
{
    char out[256], arg[16];
    phys_addr_t kernels = pmm_alloc_page();         /* in use by "the kernel" */
    uint32_t before = pmm_free_frames();
    ksnprintf(arg, sizeof(arg), "0x%08x", kernels);
    KCHECK_EQ(monitor_call("ffree", arg, out, sizeof(out)), 1);
    KCHECK(contains(out, "was not handed out by falloc"));
    KCHECK_EQ(pmm_free_frames(), before);
    KCHECK_EQ(monitor_call("falloc", NULL, out, sizeof(out)), 0);
    const char *eq = out;
    while (*eq && *eq != '=')
        eq++;
    uintptr_t mine = 0;
    for (int i = 2; eq[i] && eq[i] != '\n' && i < 13; i++)
        arg[i - 2] = eq[i], arg[i - 1] = '\0';
    KCHECK(*eq && monitor_number(arg, &mine) && pmm_allocated((phys_addr_t)mine));
    KCHECK_EQ(monitor_call("ffree", arg, out, sizeof(out)), 0);
    KCHECK(contains(out, "freed") && !pmm_allocated((phys_addr_t)mine));
    KCHECK_EQ(monitor_call("ffree", arg, out, sizeof(out)), 1);    /* twice: pmm says no */
    KCHECK(contains(out, "double free"));
    KCHECK_EQ(pmm_free_frames(), before);
    pmm_free_page(kernels);
}
#line 1287 "chapters/02-pmm.nw"
KTEST(pmm_modules_are_reserved)
{
    if (!(boot_info->flags & MULTIBOOT_INFO_MODS) || boot_info->mods_count == 0)
        return;
    const struct multiboot_module *m = P2V(boot_info->mods_addr);
    for (uint32_t i = 0; i < boot_info->mods_count; i++)
        for (phys_addr_t pa = ALIGN_DOWN(m[i].mod_start, PAGE_SIZE); pa < m[i].mod_end; pa += PAGE_SIZE)
            KCHECK(!clear_of_reserved(pa));
    kprintf("  (%u module%s checked)\n", boot_info->mods_count, boot_info->mods_count == 1 ? "" : "s");
}
