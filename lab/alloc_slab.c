/* alloc_slab.c: stage 4's kmalloc in the lab (slab caches for small
 * requests, chapter 1's heap for large ones), release build (no
 * HEAP_DEBUG), over the host memory of tests/host/slab_host.c.  Its
 * footprint is what it has mapped: heap pages and slab pages. */
#include "lab.h"
#include "kheap.h"
#include "slab.h"
#include "slab_host.h"

static void reset(void) { host_memory_init(); }
static void *a_malloc(size_t n) { return kmalloc_at(n, NULL, 0); }
static void *a_calloc(size_t n) { return kcalloc_at(1, n, NULL, 0); }
static void *a_realloc(void *p, size_t n) { return krealloc_at(p, n, NULL, 0); }
static void a_free(void *p) { kfree_at(p, NULL, 0); }
static long a_footprint(void) { return host_pages_mapped * 4096; }
static int a_check(void) { return heap_check() != MEM_SUCCESS || slab_check() != MEM_SUCCESS; }

const struct lab_allocator lab_allocator = {
    "slab caches (chapter 4)", reset, a_malloc, a_calloc, a_realloc, a_free, a_footprint, a_check,
};
