/* slab_host.c: the memory behind a host build of stage 4 (see slab_host.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "slab.h"
#include "pmm.h"
#include "slab_host.h"

long host_pages_mapped, host_pages_peak, host_page_limit = -1;
uintptr_t host_heap_base, host_slab_base;
static void *region;
#define REGION_SIZE ((size_t)HEAP_VIRTUAL_MAX + SLAB_VIRTUAL_SIZE)

void
host_memory_init(void)
{
    if (region)
        munmap(region, REGION_SIZE);
    region = mmap(NULL, REGION_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
        perror("host_memory_init: mmap");
        abort();
    }
    host_heap_base = (uintptr_t)region;
    host_slab_base = host_heap_base + HEAP_VIRTUAL_MAX;
    host_pages_mapped = host_pages_peak = 0;
    host_page_limit = -1;
    if (!heap_map_more(host_heap_base, INITIAL_HEAP_SIZE))
        abort();
    heap_init(region, INITIAL_HEAP_SIZE);
    kmalloc_init(host_slab_base, SLAB_VIRTUAL_SIZE);
}

/* Chapter 3's interface: fresh "frames" (filled with the frame allocator's
 * poison, as the kernel's are) over [VA, VA + BYTES). */
bool
heap_map_more(uintptr_t va, size_t bytes)
{
    long pages = (long)(bytes / PAGE_SIZE);
    if (host_page_limit >= 0 && host_pages_mapped + pages > host_page_limit)
        return false;
    if (mprotect((void *)va, bytes, PROT_READ | PROT_WRITE) != 0) {
        perror("heap_map_more: mprotect");
        abort();
    }
    memset((void *)va, PMM_POISON, bytes);
    host_pages_mapped += pages;
    if (host_pages_mapped > host_pages_peak)
        host_pages_peak = host_pages_mapped;
    return true;
}

void
heap_unmap(uintptr_t va, size_t bytes)
{
    madvise((void *)va, bytes, MADV_DONTNEED);
    mprotect((void *)va, bytes, PROT_NONE);
    host_pages_mapped -= (long)(bytes / PAGE_SIZE);
}

void
pmm_fill_stats(memory_stats_t *stats)
{
}
