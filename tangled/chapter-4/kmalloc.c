#line 1102 "chapters/04-slab.nw"
/* kmalloc.c: chapter 4's kmalloc family: small requests to the slab
 * caches, the rest to chapter 1's first-fit heap. */
#include "slab.h"
#include "kstring.h"

#line 824 "chapters/04-slab.nw"
#define KMALLOC_GRAIN      8
#define KMALLOC_SMALL_MAX  2048

static const uint16_t class_sizes[] = {
    8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048
};

static struct {
    size_t small_max;           /* 0 until kmalloc_init: every request goes to the heap */
    kmem_cache_t *cache[KMALLOC_SMALL_MAX / KMALLOC_GRAIN];   /* (size - 1) / 8 -> cache */
} km;
#line 838 "chapters/04-slab.nw"
void
kmalloc_init(uintptr_t slab_base, size_t slab_size)
{
    slab_init(slab_base, slab_size);
    size_t k = 0;
    for (size_t i = 0; i < ARRAY_SIZE(class_sizes); i++) {
        char name[SLAB_NAME_MAX];
        ksnprintf(name, sizeof(name), "kmalloc-%u", class_sizes[i]);
        kmem_cache_t *c = kmem_cache_create(name, class_sizes[i], HEAP_ALIGN, NULL);
        if (!c)
            panic("kmalloc_init: no cache for %u-byte requests", class_sizes[i]);
        for (; k < ARRAY_SIZE(km.cache) && (k + 1) * KMALLOC_GRAIN <= class_sizes[i]; k++)
            km.cache[k] = c;
    }
    km.small_max = KMALLOC_SMALL_MAX;
    kprintf("slab: %u kmalloc caches, %u to %u bytes; slabs at virtual 0x%08lx, up to %u MiB\n",
            (unsigned)ARRAY_SIZE(class_sizes), class_sizes[0], KMALLOC_SMALL_MAX,
            (unsigned long)slab_base, (unsigned)(slab_size >> 20));
}

/* The cache that serves a request of SIZE bytes, or NULL: the heap's. */
kmem_cache_t *
kmalloc_cache(size_t size)
{
    return size - 1 < km.small_max ? km.cache[(size - 1) / KMALLOC_GRAIN] : NULL;
}
#line 940 "chapters/04-slab.nw"
void *
kmalloc_at(size_t size, const char *file, int line)
{
    if (size - 1 < km.small_max)
        return kmem_cache_alloc(km.cache[(size - 1) / KMALLOC_GRAIN]);
    return heap_alloc_at(size, file, line);
}

void
kfree_at(void *p, const char *file, int line)
{
    if (slab_owns(p))
        slab_free(p, file, line);
    else
        heap_free_at(p, file, line);
}
#line 965 "chapters/04-slab.nw"
void *
krealloc_at(void *p, size_t size, const char *file, int line)
{
    if (!p)
        return kmalloc_at(size, file, line);
    if (!slab_owns(p))
        return heap_realloc_at(p, size, file, line);
    if (size == 0) {
        kfree_at(p, file, line);
        return NULL;
    }
    kmem_cache_t *c = slab_cache_of(p, "krealloc", file, line);
    if (!c)
        return NULL;
    if (size <= c->size)
        return p;
    void *q = kmalloc_at(size, file, line);
    if (!q)
        return NULL;
    memcpy(q, p, c->size);
    kfree_at(p, file, line);
    return q;
}

void *
kcalloc_at(size_t n, size_t size, const char *file, int line)
{
    if (size && n > (size_t)-1 / size)
        return heap_report(MEM_INVALID, "kcalloc: %lu * %lu bytes overflows",
                           (unsigned long)n, (unsigned long)size);
    void *p = kmalloc_at(n * size, file, line);
    if (p)
        memset(p, 0, n * size);
    return p;
}
