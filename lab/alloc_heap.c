/* alloc_heap.c: chapter 1's heap in the lab, first fit, or best fit with
 * -DBEST_FIT (the solution of exercise ch1-best-fit applied), over one
 * region of 256 MiB, or $LAB_HEAP_MIB (heap_init poisons it all, outside
 * the timing; heap_check reads all of it, so the checks use a small one). */
#include <stdlib.h>
#include <sys/mman.h>
#include "lab.h"
#include "kheap.h"

static void *region;
static size_t region_size;

static void
reset(void)
{
    if (!region) {
        region_size = (getenv("LAB_HEAP_MIB") ? strtoul(getenv("LAB_HEAP_MIB"), NULL, 0) : 256) << 20;
        region = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    heap_init(region, region_size);
#ifdef BEST_FIT
    heap_set_policy(HEAP_BEST_FIT);
#endif
}

static void *a_malloc(size_t n) { return kmalloc_at(n, NULL, 0); }
static void *a_calloc(size_t n) { return kcalloc_at(1, n, NULL, 0); }
static void *a_realloc(void *p, size_t n) { return krealloc_at(p, n, NULL, 0); }
static void a_free(void *p) { kfree_at(p, NULL, 0); }
static int a_check(void) { return heap_check() != MEM_SUCCESS; }

const struct lab_allocator lab_allocator = {
#ifdef BEST_FIT
    "best fit (exercise ch1-best-fit)",
#else
    "first fit (chapter 1)",
#endif
    reset, a_malloc, a_calloc, a_realloc, a_free, NULL, a_check,
};
