#line 952 "chapters/02-pmm.nw"
/* pmm_monitor.c: monitor commands for the physical memory manager. */
#include "monitor.h"
#include "pmm.h"
#include "kheap.h"

#line 961 "chapters/02-pmm.nw"
MONITOR_COMMAND(mmap, "the memory map, and the ranges kept from the allocator")(int argc, char **argv)
{
    if (boot_info && (boot_info->flags & MULTIBOOT_INFO_MEM_MAP))
        print_map(P2V(boot_info->mmap_addr), boot_info->mmap_length);
    const struct pmm_ranges *r = pmm_reserved();
    kprintf("  reserved by the kernel:\n");
    for (int i = 0; i < r->n; i++)
        kprintf("  0x%016llx-0x%016llx\n", (unsigned long long)r->r[i].start,
                (unsigned long long)r->r[i].end);
    return 0;
}

MONITOR_COMMAND(frames, "physical frame statistics")(int argc, char **argv)
{
    memory_stats_t s;
    memory_get_stats(&s);
    kprintf("frames: %u free; physical memory %u KiB total, %u KiB used, %u KiB free\n",
            pmm_free_frames(), s.total_physical / 1024, s.used_physical / 1024,
            s.free_physical / 1024);
    return 0;
}
#line 997 "chapters/02-pmm.nw"
#define MONITOR_FRAMES 64
static phys_addr_t taken[MONITOR_FRAMES];       /* frames falloc handed out */
static int ntaken;

MONITOR_COMMAND(falloc, "allocate a physical frame")(int argc, char **argv)
{
    if (ntaken == MONITOR_FRAMES)
        return kprintf("falloc: the monitor holds %d frames already; ffree one first\n",
                       MONITOR_FRAMES), 1;
    phys_addr_t pa = pmm_alloc_page();
    if (pa == PMM_NO_FRAME)
        return kprintf("pmm_alloc_page: no free frame\n"), 1;
    taken[ntaken++] = pa;
    kprintf("pmm_alloc_page() = 0x%08x\n", pa);
    return 0;
}

MONITOR_COMMAND(ffree, "ffree ADDR: free a frame that falloc handed out")(int argc, char **argv)
{
    uintptr_t pa;
    if (argc != 2 || !monitor_number(argv[1], &pa))
        return kprintf("usage: ffree ADDR\n"), 1;
    int i = 0;
    while (i < ntaken && taken[i] != pa)
        i++;
    if (i == ntaken && pmm_allocated((phys_addr_t)pa))
        return kprintf("ffree: frame 0x%08x was not handed out by falloc: the kernel is "
                       "using it, and the monitor frees only its own frames\n", (unsigned)pa), 1;
    if (pmm_free_page((phys_addr_t)pa) != MEM_SUCCESS)
        return 1;
    if (i < ntaken)
        taken[i] = taken[--ntaken];
    kprintf("frame 0x%08x freed\n", (unsigned)pa);
    return 0;
}
