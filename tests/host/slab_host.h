/* slab_host.h: the memory behind a host build of stage 4's allocators.
 *
 * host_memory_init() reserves, in this process, one range laid out like the
 * kernel's: the heap's 256 MiB (HEAP_VIRTUAL_MAX) followed by the slabs'
 * 128 MiB (SLAB_VIRTUAL_SIZE), inaccessible until mapped.  heap_map_more and
 * heap_unmap (chapter 3's interface, which both the heap and the slab layer
 * use) make pages of it accessible or not, counting them as the kernel's
 * frame allocator would.  Then it starts the heap (64 KiB) and kmalloc
 * (kmalloc_init), exactly as stage 4's kmain does.  Call it again to start
 * afresh: everything is unmapped first.
 *
 * A trace replayer (the allocator lab) links tangled/chapter-4/
 * slab.c, kheap.c, kstring.c with this file and host_shim.c, calls
 * host_memory_init() once, then kmalloc_at(size, NULL, 0), kfree_at(p, NULL,
 * 0) and krealloc_at(p, size, NULL, 0); host_pages_peak * 4096 is the peak
 * footprint (heap and slabs). */
#ifndef SLAB_HOST_H
#define SLAB_HOST_H
#include <stdint.h>

extern long host_pages_mapped;      /* pages mapped now (heap and slabs) */
extern long host_pages_peak;        /* the most ever mapped since host_memory_init */
extern long host_page_limit;        /* -1: no limit; else heap_map_more fails beyond it */
extern uintptr_t host_heap_base, host_slab_base;

void host_memory_init(void);

#endif
