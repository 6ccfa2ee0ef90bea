#line 270 "chapters/01-heap.nw"
/* kheap.h: the kernel heap (chapter 1). */
#ifndef KHEAP_H
#define KHEAP_H

#include "kernel.h"

#line 395 "chapters/01-heap.nw"
#define HEAP_START         0x00500000u      /* physical: 5 MiB */
#define INITIAL_HEAP_SIZE  (64 * 1024)
#define HEAP_ALIGN         8                /* every payload is 8-byte aligned */
#define HEAP_MAGIC_ALLOC   0xDEADBEEFu
#define HEAP_MAGIC_FREE    0xFEEDFACEu
#define HEAP_MAGIC_FENCED  0xBAADF00Du      /* damaged: never handed out again */
#define HEAP_POISON        0x6B             /* fills freed payloads */
#line 1819 "chapters/01-heap.nw"
extern uintptr_t heap_phys;     /* stages 1-2: where memory_init put the heap */
#line 1853 "chapters/01-heap.nw"
#define HEAP_MAX_MODULES   8
extern uint32_t heap_module_sums[HEAP_MAX_MODULES];
extern uint32_t heap_modules_summed;
uint32_t module_checksum(uint32_t i);
#line 321 "chapters/01-heap.nw"
#define MEM_SUCCESS      0
#define MEM_ERROR       -1
#define MEM_OUT_OF_MEM  -2      /* no free block is large enough */
#define MEM_INVALID     -3      /* a bad argument: size overflow, foreign pointer, double free */
#define MEM_CORRUPT     -4      /* the heap's own data was overwritten */

/* The result of the last heap operation, and how many errors so far. */
int heap_last_error(void);
unsigned heap_error_count(void);
#line 670 "chapters/01-heap.nw"
typedef struct {
    uint32_t total_physical;    /* chapter 2: total physical memory */
    uint32_t used_physical;     /* chapter 2: used physical memory */
    uint32_t free_physical;     /* chapter 2: free physical memory */
    size_t heap_size;           /* bytes the heap manages, headers included */
    size_t heap_used;           /* payload bytes of allocated (and fenced) blocks */
    size_t heap_free;           /* payload bytes of free blocks */
    uint32_t allocation_count;  /* successful kmalloc/kcalloc/krealloc allocations */
    uint32_t free_count;        /* successful kfree calls */
    uint32_t heap_blocks;       /* blocks, allocated or free */
    uint32_t heap_errors;       /* errors detected so far */
} memory_stats_t;

/* Fill *STATS with the current figures. */
void memory_get_stats(memory_stats_t *stats);
#line 801 "chapters/02-pmm.nw"
/* Chapter 2: fill the physical-memory fields. */
void pmm_fill_stats(memory_stats_t *stats);
#line 292 "chapters/01-heap.nw"
void *kmalloc_at(size_t size, const char *file, int line);
void *kcalloc_at(size_t n, size_t size, const char *file, int line);
void *krealloc_at(void *p, size_t size, const char *file, int line);
void kfree_at(void *p, const char *file, int line);

#ifdef HEAP_DEBUG
#define HEAP_SITE __FILE__, __LINE__
#else
#define HEAP_SITE NULL, 0
#endif
#define kmalloc(size)        kmalloc_at((size), HEAP_SITE)
#define kcalloc(n, size)     kcalloc_at((n), (size), HEAP_SITE)
#define krealloc(p, size)    krealloc_at((p), (size), HEAP_SITE)
#define kfree(p)             kfree_at((p), HEAP_SITE)

/* Make the heap manage [START, START + SIZE): any region, 8-byte aligned. */
void heap_init(void *start, size_t size);
/* Place the heap: 64 KiB at physical 5 MiB if the memory map says it is free
 * RAM, else the lowest free place above 1 MiB (stages 1 and 2). */
void memory_init(void);
#line 1158 "chapters/01-heap.nw"
/* Give a fenced-off block back to the heap (tests, debugging). */
int heap_unfence(void *p);
#line 1364 "chapters/01-heap.nw"
/* Check every invariant of the heap; MEM_SUCCESS or MEM_CORRUPT (printed). */
int heap_check(void);
/* Print every block (the design's format), and the live blocks with their sites. */
void heap_dump(void);
int heap_leaks(void);

#line 282 "chapters/01-heap.nw"
#endif
