#line 1047 "chapters/03-vmm.nw"
/* vmm_monitor.c: monitor commands for paging. */
#include "monitor.h"
#include "vmm.h"
#include "kheap.h"
#include "x86.h"

#line 1057 "chapters/03-vmm.nw"
MONITOR_COMMAND(showmappings, "showmappings LO HI: the pages of a range, their frames and rights")
(int argc, char **argv)
{
    uintptr_t lo, hi;
    if (argc != 3 || !monitor_number(argv[1], &lo) || !monitor_number(argv[2], &hi))
        return kprintf("usage: showmappings LO HI\n"), 1;
    for (uintptr_t va = ALIGN_DOWN(lo, PAGE_SIZE); va <= hi && va >= ALIGN_DOWN(lo, PAGE_SIZE); va += PAGE_SIZE) {
        phys_addr_t pa = vmm_translate(va);
        if (pa == VMM_NO_MAPPING)
            kprintf("  %p  not mapped\n", (void *)va);
        else
            kprintf("  %p  -> 0x%08x\n", (void *)va, pa);
        if (va + PAGE_SIZE < va)
            break;
    }
    return 0;
}
#line 1077 "chapters/03-vmm.nw"
MONITOR_COMMAND(translate, "translate VA: the physical address behind a virtual one")(int argc, char **argv)
{
    uintptr_t va;
    if (argc != 2 || !monitor_number(argv[1], &va))
        return kprintf("usage: translate VA\n"), 1;
    phys_addr_t pa = vmm_translate(va);
    if (pa == VMM_NO_MAPPING)
        kprintf("%p is not mapped\n", (void *)va);
    else
        kprintf("%p -> physical 0x%08x (directory entry 0x%03x, table entry 0x%03x)\n",
                (void *)va, pa, PDX(va), PTX(va));
    return 0;
}

MONITOR_COMMAND(heapsize, "the heap's current size and the pages mapped")(int argc, char **argv)
{
    memory_stats_t s;
    memory_get_stats(&s);
    kprintf("heap: %u KiB; %u pages mapped, %u page tables\n", s.heap_size / 1024,
            vmm_mapped_pages(), vmm_page_tables());
    return 0;
}

MONITOR_COMMAND(trim, "give the heap's free pages at its end back")(int argc, char **argv)
{
    kprintf("heap_trim: %u KiB released\n", (unsigned)(heap_trim() / 1024));
    return 0;
}
