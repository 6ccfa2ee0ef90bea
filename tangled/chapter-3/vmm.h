#line 1257 "chapters/03-vmm.nw"
/* vmm.h: paging, the higher-half kernel, the heap's pages (chapter 3). */
#ifndef VMM_H
#define VMM_H

#include "kernel.h"
#include "pmm.h"

#define VMM_NO_MAPPING 0xFFFFFFFFu      /* not page-aligned: never a frame */

/* Build the kernel's page tables and switch to them. */
void vmm_init(void);
/* Map the page at VA to frame PA: MEM_SUCCESS, MEM_INVALID (not aligned,
 * already mapped, in the direct map) or MEM_OUT_OF_MEM (no frame for a table). */
int vmm_map_page(uintptr_t va, phys_addr_t pa, uint32_t flags);
/* Unmap the page at VA; its frame, or VMM_NO_MAPPING. */
phys_addr_t vmm_unmap_page(uintptr_t va);
/* The physical address behind VA, or VMM_NO_MAPPING. */
phys_addr_t vmm_translate(uintptr_t va);
/* Pages mapped with vmm_map_page, and page tables in use. */
uint32_t vmm_mapped_pages(void);
uint32_t vmm_page_tables(void);
/* Print the mappings of [LO, HI] as runs of pages (vmm_monitor.c). */
void vmm_show_mappings(uintptr_t lo, uintptr_t hi);

#endif
