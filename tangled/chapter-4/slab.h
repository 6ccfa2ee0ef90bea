#line 1090 "chapters/04-slab.nw"
/* slab.h: object caches on pages, and kmalloc's size classes (chapter 4). */
#ifndef SLAB_H
#define SLAB_H

#include "kernel.h"
#include "kheap.h"

#line 158 "chapters/04-slab.nw"
#define SLAB_VIRTUAL_START  0xE8000000u   /* chapter 4: the slabs' pages are mapped here ... */
#define SLAB_VIRTUAL_SIZE   0x08000000u   /* ... 128 MiB of them at most */
#define SLAB_MAX_ORDER      2             /* a slab is 1, 2 or 4 pages */
#define SLAB_NAME_MAX       20
#line 192 "chapters/04-slab.nw"
/* The slabs' range of virtual addresses.  Inline, because kfree asks for
 * every pointer. */
struct slab_area {
    uintptr_t base;
    size_t size;
};
extern struct slab_area slab_area;

static inline bool
slab_owns(const void *p)
{
    return (uintptr_t)p - slab_area.base < slab_area.size;
}
#line 283 "chapters/04-slab.nw"
typedef struct kmem_cache {
    char name[SLAB_NAME_MAX];
    size_t size;                /* the object size asked for */
    size_t stride;              /* from one object to the next */
    size_t link;                /* where a free object keeps the free-list link */
    uint32_t recip;             /* 2^32 / stride, rounded up: no divide in kfree */
    uint16_t objects;           /* objects per slab */
    uint8_t order;              /* a slab is 2^order pages */
    bool poison;                /* debugging builds: poison free objects */
    size_t offset;              /* the descriptor's offset in a slab */
    void (*ctor)(void *);       /* the constructor, or NULL */
    struct slab *partial;       /* slabs with a free object: a stack */
    struct slab *all;           /* every slab */
    uint32_t slabs;             /* slabs */
    struct kmem_cache *next;    /* every cache, newest first */
} kmem_cache_t;
#line 413 "chapters/04-slab.nw"
#define SLAB_MAX_OBJECT  ((PAGE_SIZE << SLAB_MAX_ORDER) / 2)   /* 8 KiB */
#line 1106 "chapters/04-slab.nw"
/* Make [BASE, BASE + SIZE) the slab range and set up the cache of caches. */
void slab_init(uintptr_t base, size_t size);
/* A cache of SIZE-byte objects aligned to ALIGN (0: 8), each set up by
 * CTOR (or NULL) once, when its slab is made; NULL (with an error) if
 * SIZE is 0 or above SLAB_MAX_OBJECT. */
kmem_cache_t *kmem_cache_create(const char *name, size_t size, size_t align, void (*ctor)(void *));
/* An object of C, or NULL (MEM_OUT_OF_MEM) if no frame is left. O(1). */
void *kmem_cache_alloc(kmem_cache_t *c);
/* Give P back to C; refuses (MEM_INVALID, printed) what is not a live object of C. O(1). */
void kmem_cache_free(kmem_cache_t *c, void *p);
/* Give C's empty slabs back to the frame allocator; the bytes released. */
size_t kmem_cache_shrink(kmem_cache_t *c);
size_t slab_shrink_all(void);
/* Destroy C: MEM_SUCCESS, or MEM_INVALID if it has live objects. */
uint32_t cache_live(const kmem_cache_t *c);
int kmem_cache_destroy(kmem_cache_t *c);
/* kfree of a pointer in the slab range; the cache of a live object. */
void slab_free(void *p, const char *file, int line);
kmem_cache_t *slab_cache_of(void *p, const char *who, const char *file, int line);
/* Chapter 4's kmalloc: set up the slab range and the size classes. */
void kmalloc_init(uintptr_t slab_base, size_t slab_size);
/* The cache that serves SIZE bytes, or NULL if the heap does. */
kmem_cache_t *kmalloc_cache(size_t size);
#line 1244 "chapters/04-slab.nw"
struct slab_stats {
    uint32_t slabs, partial, full, empty;   /* slabs, and on each list */
    uint32_t objects, live;                 /* objects in the slabs, allocated */
    size_t bytes;                           /* the slabs' pages */
    size_t used;                            /* live objects times the object size */
};
void slab_cache_stats(const kmem_cache_t *c, struct slab_stats *st);
/* The caches, newest first: NULL starts, NULL ends (the cache of caches is last). */
const kmem_cache_t *slab_next_cache(const kmem_cache_t *c);
const kmem_cache_t *slab_find_cache(const char *name);
/* Pages mapped for slabs. */
uint32_t slab_pages(void);
int slab_check(void);
/* Print one line per slab of C with a map of its objects. */
void slab_picture(const kmem_cache_t *c);

#line 1102 "chapters/04-slab.nw"
#endif
