#line 866 "chapters/02-pmm.nw"
/* pmm.h: the physical memory manager (chapter 2). */
#ifndef PMM_H
#define PMM_H

#include "kernel.h"
#include "multiboot.h"

#line 251 "chapters/02-pmm.nw"
typedef uint32_t phys_addr_t;           /* no PAE: physical addresses fit 32 bits */

#define PAGE_SIZE        4096u
#define LOW_MEMORY_END   0x00100000u    /* the first MiB is never handed out */
#define PHYS_LIMIT       0x100000000ull /* a 32-bit kernel sees RAM below 4 GiB only */
#define PMM_NO_FRAME     0xFFFFFFFFu    /* "no frame": not page-aligned, never a frame */
#define PMM_POISON       0xAA           /* fills freed frames */
#line 982 "chapters/03-vmm.nw"
#define PMM_METADATA_LIMIT  DIRECT_MAP_SIZE /* it must stay in the direct map */
#define PMM_METADATA_WHERE  "256 MiB (the memory mapped at boot)"
#line 99 "chapters/02-pmm.nw"
struct pmm_range {
    uint64_t start, end;        /* [start, end), physical */
};

#define PMM_MAX_RANGES 64
struct pmm_ranges {
    int n;
    struct pmm_range r[PMM_MAX_RANGES];
};

/* Sort the entries of a multiboot memory map into usable and reserved
 * ranges.  MAP is the map itself (LENGTH bytes). */
void pmm_parse_map(const void *map, uint32_t length,
                   struct pmm_ranges *usable, struct pmm_ranges *reserved);
#line 697 "chapters/02-pmm.nw"
/* Is PA a frame the allocator manages and has handed out? */
bool pmm_allocated(phys_addr_t pa);
#line 881 "chapters/02-pmm.nw"
/* Read the map, reserve what is in use, and start the allocator. */
void pmm_init(const struct multiboot_info *mbi);
/* The same from ranges (the host tests call this); returns the free frames. */
uint32_t pmm_setup(const struct pmm_ranges *usable, const struct pmm_ranges *reserved);
/* A free frame, or PMM_NO_FRAME.  O(1). */
phys_addr_t pmm_alloc_page(void);
/* Give a frame back: MEM_SUCCESS, or MEM_INVALID (printed) for a bad one.  O(1)
 * in the number of frames. */
int pmm_free_page(phys_addr_t pa);
uint32_t pmm_free_frames(void);
/* A pointer to the memory of frame PA (NULL if it cannot be reached); in
 * chapter 3 valid only until the next call, for frames outside the
 * kernel's direct map.  Panics for PMM_NO_FRAME. */
void *pmm_frame(phys_addr_t pa);
/* The ranges the allocator refuses to hand out, and where its metadata is. */
const struct pmm_ranges *pmm_reserved(void);
struct pmm_range pmm_metadata(void);
extern unsigned pmm_errors;         /* refused frees so far */
#line 1037 "chapters/02-pmm.nw"
/* Print a multiboot memory map as a table. */
void print_map(const void *map, uint32_t length);
#line 987 "chapters/03-vmm.nw"
/* Chapter 3: the paging code, as pmm.c needs it. */
void *vmm_temp_map(phys_addr_t pa);
bool vmm_ready(void);

#line 877 "chapters/02-pmm.nw"
#endif
