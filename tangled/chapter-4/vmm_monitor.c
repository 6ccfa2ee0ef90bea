#line 1331 "chapters/03-vmm.nw"
/* vmm_monitor.c: monitor commands for paging. */
#include "monitor.h"
#include "vmm.h"
#include "kheap.h"
#include "x86.h"

#line 1351 "chapters/03-vmm.nw"
/* Does the page mapped to NEXT continue a run that ended with PREV? */
static bool
continues(phys_addr_t prev, phys_addr_t next)
{
    if (prev == VMM_NO_MAPPING)
        return next == VMM_NO_MAPPING;
    return next != VMM_NO_MAPPING && next == prev + PAGE_SIZE;
}

static void
print_run(uintptr_t start, uintptr_t last_va, phys_addr_t first, phys_addr_t last, uint32_t pages)
{
    if (pages == 1 && first == VMM_NO_MAPPING)
        kprintf("  %p  not mapped\n", (void *)start);
    else if (pages == 1)
        kprintf("  %p  -> 0x%08x\n", (void *)start, first);
    else if (first == VMM_NO_MAPPING)
        kprintf("  %p-%p  not mapped (%u pages)\n", (void *)start,
                (void *)(last_va + PAGE_SIZE - 1), pages);
    else
        kprintf("  %p-%p  -> 0x%08x-0x%08x  (%u pages)\n", (void *)start,
                (void *)(last_va + PAGE_SIZE - 1), first, last + PAGE_SIZE - 1, pages);
}

void
vmm_show_mappings(uintptr_t lo, uintptr_t hi)
{
    uintptr_t va = ALIGN_DOWN(lo, PAGE_SIZE);
    for (;;) {
        uintptr_t start = va;
        phys_addr_t first = vmm_translate(va), last = first;
        uint32_t pages = 1;
        bool more;                      /* is there a page after VA in [LO, HI]? */
        while ((more = va + PAGE_SIZE > va && va + PAGE_SIZE <= hi)) {
            phys_addr_t next = vmm_translate(va + PAGE_SIZE);
            if (!continues(last, next))
                break;
            va += PAGE_SIZE;
            last = next;
            pages++;
        }
        print_run(start, va, first, last, pages);
        if (!more)
            return;
        va += PAGE_SIZE;
        if (console_getc() >= 0) {
            kprintf("  (stopped at a key)\n");
            return;
        }
    }
}

MONITOR_COMMAND(showmappings, "showmappings LO HI: the pages of a range and their frames, in runs")
(int argc, char **argv)
{
    uintptr_t lo, hi;
    if (argc != 3 || !monitor_number(argv[1], &lo) || !monitor_number(argv[2], &hi))
        return kprintf("usage: showmappings LO HI\n"), 1;
    vmm_show_mappings(lo, hi);
    return 0;
}
#line 1415 "chapters/03-vmm.nw"
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
    kprintf("heap: %zu KiB; %u pages mapped, %u page tables\n", s.heap_size / 1024,
            vmm_mapped_pages(), vmm_page_tables());
    return 0;
}

MONITOR_COMMAND(trim, "give the heap's free pages at its end back")(int argc, char **argv)
{
    kprintf("heap_trim: %u KiB released\n", (unsigned)(heap_trim() / 1024));
    return 0;
}
