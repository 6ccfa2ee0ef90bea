#line 1132 "chapters/04-slab.nw"
/* slab.c: object caches carved out of pages (Bonwick's slab allocator). */
#include "slab.h"
#include "kstring.h"

#line 256 "chapters/04-slab.nw"
struct slab {
    kmem_cache_t *cache;        /* the cache it belongs to */
    struct slab *next, *prev;   /* every slab of the cache */
    struct slab *partial;       /* the next slab with a free object */
    void *free;                 /* the first free object, or NULL */
    uintptr_t mem;              /* the first object, the slab's first byte */
    uint16_t inuse;             /* objects allocated */
    uint16_t on_partial;        /* on the cache's stack of slabs with free objects */
    uint32_t map[];             /* bit I set: object I is allocated */
};

/* Bytes of a descriptor for N objects: the fields, the bitmap, rounded to
 * the alignment of a pointer. */
static size_t
descriptor_size(size_t n)
{
    return ALIGN_UP(sizeof(struct slab) + (n + 31) / 32 * sizeof(uint32_t), sizeof(void *));
}
#line 174 "chapters/04-slab.nw"
#define SLAB_PAGES  (SLAB_VIRTUAL_SIZE / PAGE_SIZE)
#define NO_SLOT     0xFFFFFFFFu

static struct {
    uint32_t pages;                         /* slots in the range */
    uint32_t bump;                          /* slots below this have been used */
    uint32_t free_run[SLAB_MAX_ORDER + 1];  /* a free run of each order, or NO_SLOT */
    uint32_t run_next[SLAB_PAGES];          /* the next free run of the same order */
    uint32_t mapped;                        /* pages mapped for slabs */
    kmem_cache_t *caches;                   /* every cache, newest first */
    int *last_error;                        /* the heap's: see slab_init */
} sl;

struct slab_area slab_area;                 /* the range, for slab_owns() */
static struct slab *slab_table[SLAB_PAGES]; /* page -> its slab, or NULL */
#line 827 "chapters/04-slab.nw"
#define slab_error(...) heap_report(__VA_ARGS__)
/* The rare paths, out of line, so that the common ones need few registers. */
#define COLD __attribute__((noinline, cold))
static struct slab *cache_grow(kmem_cache_t *c) COLD;
static void free_list_corrupt(struct slab *s, void *bad) COLD;
#ifdef HEAP_DEBUG
static void check_poison(kmem_cache_t *c, char *obj);
#endif
#line 208 "chapters/04-slab.nw"
/* A run of 2^ORDER consecutive slots, mapped to fresh frames; its first
 * address, or 0 if frames or slots ran out. */
static uintptr_t
pages_take(unsigned order)
{
    uint32_t n = 1u << order, s = sl.free_run[order];
    if (s != NO_SLOT)
        sl.free_run[order] = sl.run_next[s];
    else if (sl.pages - sl.bump >= n)
        s = sl.bump, sl.bump += n;
    else
        return 0;
    uintptr_t va = slab_area.base + (uintptr_t)s * PAGE_SIZE;
    if (!heap_map_more(va, (size_t)n * PAGE_SIZE)) {
        sl.run_next[s] = sl.free_run[order];        /* keep the slots for later */
        sl.free_run[order] = s;
        return 0;
    }
    sl.mapped += n;
    return va;
}

/* Unmap the run at VA (its frames go back to the frame allocator) and
 * keep its slots for the next slab of the same order. */
static void
pages_give(uintptr_t va, unsigned order)
{
    uint32_t s = (uint32_t)((va - slab_area.base) / PAGE_SIZE);
    heap_unmap(va, (size_t)PAGE_SIZE << order);
    sl.mapped -= 1u << order;
    sl.run_next[s] = sl.free_run[order];
    sl.free_run[order] = s;
}
#line 440 "chapters/04-slab.nw"
static void
partial_push(struct slab *s)
{
    s->partial = s->cache->partial;
    s->cache->partial = s;
    s->on_partial = true;
}

static void
all_add(struct slab *s)
{
    kmem_cache_t *c = s->cache;
    s->prev = NULL;
    s->next = c->all;
    if (s->next)
        s->next->prev = s;
    c->all = s;
}

static void
all_remove(struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        s->cache->all = s->next;
    if (s->next)
        s->next->prev = s->prev;
}
#line 584 "chapters/04-slab.nw"
#ifdef HEAP_DEBUG
#define POISON_WORD ((uintptr_t)0x0101010101010101ull * HEAP_POISON)

static inline void
fill_poison(const kmem_cache_t *c, void *obj)
{
    uintptr_t *w = obj;
    for (size_t k = 0; k < c->stride / sizeof(uintptr_t); k++)
        w[k] = POISON_WORD;
}

static void
check_poison(kmem_cache_t *c, char *obj)
{
    const uintptr_t *w = (const uintptr_t *)obj;
    size_t words = c->stride / sizeof(uintptr_t);
    for (size_t k = 1; k < words; k++) {            /* word 0 is the link */
        if (w[k] == POISON_WORD)
            continue;
        size_t b = k * sizeof(uintptr_t);
        while (((uint8_t *)obj)[b] == HEAP_POISON)
            b++;
        slab_error(MEM_CORRUPT, "kmalloc: %s object %p was written after it was freed "
                   "(byte %lu is 0x%02x, not the poison 0x%02x)", c->name, (void *)obj,
                   (unsigned long)b, ((uint8_t *)obj)[b], HEAP_POISON);
        return;
    }
}
#endif
#line 318 "chapters/04-slab.nw"
/* Set C up for objects of SIZE bytes aligned to ALIGN (a power of two);
 * false if no slab of SLAB_MAX_ORDER could hold one. */
static bool
cache_geometry(kmem_cache_t *c, size_t size, size_t align)
{
    size_t stride = size < sizeof(void *) ? sizeof(void *) : size;
    c->link = c->ctor ? ALIGN_UP(stride, sizeof(void *)) : 0;
    if (c->ctor)
        stride = c->link + sizeof(void *);
    stride = ALIGN_UP(stride, align);
    for (unsigned order = 0; order <= SLAB_MAX_ORDER; order++) {
        size_t bytes = (size_t)PAGE_SIZE << order, n = bytes / stride;
        while (n > 0 && n * stride + descriptor_size(n) > bytes)
            n--;
        if (n == 0 || n > 0xFFFF)
            continue;
        c->stride = stride;
        c->objects = (uint16_t)n;
        c->order = (uint8_t)order;
        c->offset = bytes - descriptor_size(n);
        if ((bytes - n * stride) * 8 <= bytes)
            break;                      /* wastes at most an eighth: good enough */
    }
    if (c->objects == 0)
        return false;
    c->recip = 0xFFFFFFFFu / (uint32_t)c->stride + 1;
    return true;
}
#line 358 "chapters/04-slab.nw"
/* The index of the object at OFFSET bytes into a slab of C. */
static inline uint32_t
index_of(const kmem_cache_t *c, uintptr_t offset)
{
    return (uint32_t)(((uint64_t)offset * c->recip) >> 32);
}
#line 373 "chapters/04-slab.nw"
static kmem_cache_t cache_cache;            /* the cache of kmem_cache_t */

static bool
cache_setup(kmem_cache_t *c, const char *name, size_t size, size_t align,
            void (*ctor)(void *))
{
    *c = (kmem_cache_t){ .size = size, .ctor = ctor };
    size_t i = 0;
    for (; name[i] && i + 1 < SLAB_NAME_MAX; i++)
        c->name[i] = name[i];
    c->name[i] = '\0';
#ifdef HEAP_DEBUG
    c->poison = ctor == NULL;
#endif
    return cache_geometry(c, size, align);
}

kmem_cache_t *
kmem_cache_create(const char *name, size_t size, size_t align, void (*ctor)(void *))
{
    if (align < HEAP_ALIGN)
        align = HEAP_ALIGN;                     /* at least 8: a link fits, words are aligned */
    if (size == 0 || size > SLAB_MAX_OBJECT || !name || (align & (align - 1)) || align > PAGE_SIZE)
        return slab_error(MEM_INVALID, "kmem_cache_create: cannot make a cache of %lu-byte objects "
                          "aligned to %lu", (unsigned long)size, (unsigned long)align);
    kmem_cache_t *c = kmem_cache_alloc(&cache_cache);
    if (c && !cache_setup(c, name, size, align, ctor)) {
        kmem_cache_free(&cache_cache, c);
        return slab_error(MEM_INVALID, "kmem_cache_create: %s: no slab holds a %lu-byte object",
                          name, (unsigned long)size);
    }
    if (c) {
        c->next = sl.caches;
        sl.caches = c;
    }
    return c;
}
#line 907 "chapters/04-slab.nw"
void
slab_init(uintptr_t base, size_t size)
{
    slab_area.base = base;
    slab_area.size = size < SLAB_VIRTUAL_SIZE ? ALIGN_DOWN(size, PAGE_SIZE) : SLAB_VIRTUAL_SIZE;
    sl.pages = (uint32_t)(slab_area.size / PAGE_SIZE);
    sl.bump = sl.mapped = 0;
    for (unsigned o = 0; o <= SLAB_MAX_ORDER; o++)
        sl.free_run[o] = NO_SLOT;
    memset(slab_table, 0, sizeof(slab_table));
    sl.caches = NULL;
    sl.last_error = heap_error_slot();
    if (!cache_setup(&cache_cache, "kmem_cache", sizeof(kmem_cache_t), HEAP_ALIGN, NULL))
        panic("slab_init: no room for the cache of caches");
}
#line 479 "chapters/04-slab.nw"
static struct slab *
cache_grow(kmem_cache_t *c)
{
    uintptr_t va = pages_take(c->order);
    if (!va)
        return NULL;
    struct slab *s = (struct slab *)(va + c->offset);
    *s = (struct slab){ .cache = c, .mem = va };
    memset(s->map, 0, (c->objects + 31) / 32 * sizeof(uint32_t));
    for (uint32_t i = c->objects; i-- > 0; ) {
        char *obj = (char *)va + i * c->stride;
#line 675 "chapters/04-slab.nw"
        #ifdef HEAP_DEBUG
        if (c->poison)
            fill_poison(c, obj);
        #endif
#line 491 "chapters/04-slab.nw"
        if (c->ctor)
            c->ctor(obj);
        *(void **)(obj + c->link) = s->free;
        s->free = obj;
    }
    for (uint32_t p = 0; p < 1u << c->order; p++)
        slab_table[(va - slab_area.base) / PAGE_SIZE + p] = s;
    c->slabs++;
    all_add(s);
    partial_push(s);
    return s;
}
#line 517 "chapters/04-slab.nw"
static inline void *
cache_alloc(kmem_cache_t *c)
{
    *sl.last_error = MEM_SUCCESS;
    for (;;) {
        struct slab *s = c->partial;
        if (!s && !(s = cache_grow(c)))
            return slab_error(MEM_OUT_OF_MEM, "kmem_cache_alloc: %s: no frame for a new slab", c->name);
        char *obj = s->free;
        uintptr_t off = (uintptr_t)obj - s->mem;
        uint32_t i = index_of(c, off);
        if (off >= c->offset || i * c->stride != off || (s->map[i / 32] & (1u << (i % 32)))) {
            free_list_corrupt(s, obj);
            continue;
        }
        s->map[i / 32] |= 1u << (i % 32);
        s->free = *(void **)(obj + c->link);
        s->inuse++;
        if (!s->free) {                         /* full: off the stack */
            c->partial = s->partial;
            s->on_partial = false;
        }
#line 577 "chapters/04-slab.nw"
        #ifdef HEAP_DEBUG
        if (c->poison)
            check_poison(c, obj);
        #endif
#line 540 "chapters/04-slab.nw"
        return obj;
    }
}

void *
kmem_cache_alloc(kmem_cache_t *c)
{
    return cache_alloc(c);
}
#line 552 "chapters/04-slab.nw"
static void
free_list_corrupt(struct slab *s, void *bad)
{
    slab_error(MEM_CORRUPT, "kmem_cache_alloc: %s: the free list of the slab at %p leads to %p, "
               "which is not a free object (a write after free?)", s->cache->name, (void *)s->mem, bad);
    kmem_cache_t *c = s->cache;
    for (uint32_t i = 0; i < c->objects; i++)      /* the lost objects count as live */
        s->map[i / 32] |= 1u << (i % 32);
    s->inuse = c->objects;
    s->free = NULL;
    c->partial = s->partial;                    /* S was on top */
    s->on_partial = false;
}
#line 625 "chapters/04-slab.nw"
/* The slab of the live object P, with its index in *INDEX; NULL, with an
 * error, if P is not one. */
static inline struct slab *
object_of(void *p, uint32_t *index, const char *who, const char *file, int line)
{
    struct slab *s = slab_owns(p) ? slab_table[((uintptr_t)p - slab_area.base) / PAGE_SIZE] : NULL;
    if (!s)
        return slab_error(MEM_INVALID, "%s: %p is not in any slab (called at %s:%d)", who, p, file, line);
    kmem_cache_t *c = s->cache;
    uintptr_t off = (uintptr_t)p - s->mem;
    uint32_t i = index_of(c, off);
    if (off >= c->offset || i * c->stride != off)
        return slab_error(MEM_INVALID, "%s: %p is inside an object of %s, not at its start "
                          "(called at %s:%d)", who, p, c->name, file, line);
    if (!(s->map[i / 32] & (1u << (i % 32))))
        return slab_error(MEM_INVALID, "%s: double free of %p, a %s object (called at %s:%d)",
                          who, p, c->name, file, line);
    *index = i;
    return s;
}
#line 653 "chapters/04-slab.nw"
static inline void
release(struct slab *s, void *p, uint32_t i)
{
    kmem_cache_t *c = s->cache;
    s->map[i / 32] &= ~(1u << (i % 32));
#line 668 "chapters/04-slab.nw"
    #ifdef HEAP_DEBUG
    if (c->poison)
        fill_poison(c, p);
    #endif
#line 659 "chapters/04-slab.nw"
    *(void **)((char *)p + c->link) = s->free;
    s->free = p;
    s->inuse--;
    if (!s->on_partial)
        partial_push(s);
}
#line 686 "chapters/04-slab.nw"
void
kmem_cache_free(kmem_cache_t *c, void *p)
{
    *sl.last_error = MEM_SUCCESS;
    uint32_t i = 0;
    struct slab *s = object_of(p, &i, "kmem_cache_free", "?", 0);
    if (s && s->cache != c)
        slab_error(MEM_INVALID, "kmem_cache_free: %p belongs to %s, not %s", p, s->cache->name, c->name);
    else if (s)
        release(s, p, i);
}

void
slab_free(void *p, const char *file, int line)
{
    *sl.last_error = MEM_SUCCESS;
    uint32_t i = 0;
    struct slab *s = object_of(p, &i, "kfree", file, line);
    if (s)
        release(s, p, i);
}

/* The cache of the live object P; NULL, with an error, if P is not one. */
kmem_cache_t *
slab_cache_of(void *p, const char *who, const char *file, int line)
{
    uint32_t i = 0;
    struct slab *s = object_of(p, &i, who, file, line);
    return s ? s->cache : NULL;
}
#line 727 "chapters/04-slab.nw"
static void
slab_destroy(struct slab *s)
{
    kmem_cache_t *c = s->cache;
    all_remove(s);
    for (uint32_t p = 0; p < 1u << c->order; p++)
        slab_table[(s->mem - slab_area.base) / PAGE_SIZE + p] = NULL;
    c->slabs--;
    pages_give(s->mem, c->order);
}

size_t
kmem_cache_shrink(kmem_cache_t *c)
{
    size_t bytes = 0;
    for (struct slab **pp = &c->partial; *pp; ) {
        struct slab *s = *pp;
        if (s->inuse) {
            pp = &s->partial;
            continue;
        }
        *pp = s->partial;                       /* empty: off the stack, and away */
        slab_destroy(s);
        bytes += (size_t)PAGE_SIZE << c->order;
    }
    return bytes;
}

/* Shrink every cache; the bytes given back. */
size_t
slab_shrink_all(void)
{
    size_t bytes = 0;
    for (kmem_cache_t *c = sl.caches; c; c = c->next)
        bytes += kmem_cache_shrink(c);
    return bytes + kmem_cache_shrink(&cache_cache);
}

/* Objects allocated: counted when asked, not on every call. */
uint32_t
cache_live(const kmem_cache_t *c)
{
    uint32_t live = 0;
    for (const struct slab *s = c->all; s; s = s->next)
        live += s->inuse;
    return live;
}

int
kmem_cache_destroy(kmem_cache_t *c)
{
    *sl.last_error = MEM_SUCCESS;
    uint32_t live = cache_live(c);
    if (live) {
        slab_error(MEM_INVALID, "kmem_cache_destroy: %s still has %u live objects", c->name, live);
        return MEM_INVALID;
    }
    kmem_cache_shrink(c);
    for (kmem_cache_t **pp = &sl.caches; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    kmem_cache_free(&cache_cache, c);
    return MEM_SUCCESS;
}
#line 1166 "chapters/04-slab.nw"
static int
slab_check_failed(const kmem_cache_t *c, const struct slab *s, const char *why)
{
    slab_error(MEM_CORRUPT, "slab_check: %s, slab %p: %s", c->name, s ? (void *)s->mem : NULL, why);
    return MEM_CORRUPT;
}

static int
check_cache(kmem_cache_t *c)
{
    uint32_t slabs = 0, with_free = 0;
    struct slab *prev = NULL;
    for (struct slab *s = c->all; s; prev = s, s = s->next) {
        if (s->cache != c || s->prev != prev || slabs > c->slabs)
            return slab_check_failed(c, s, "the list of slabs is inconsistent");
        uint32_t bits = 0, free = 0;
        for (uint32_t i = 0; i < c->objects; i++)
            bits += (s->map[i / 32] >> (i % 32)) & 1;
        for (char *o = s->free; o; o = *(char **)(o + c->link), free++) {
            uintptr_t off = (uintptr_t)o - s->mem;
            uint32_t i = index_of(c, off);
            if (free >= c->objects || off >= c->offset || i * c->stride != off ||
                (s->map[i / 32] >> (i % 32)) & 1)
                return slab_check_failed(c, s, "the free list is corrupt");
#line 1232 "chapters/04-slab.nw"
            #ifdef HEAP_DEBUG
            if (c->poison)
                for (size_t b = sizeof(void *); b < c->stride; b++)
                    if ((uint8_t)o[b] != HEAP_POISON)
                        return slab_check_failed(c, s, "a free object was written after it was freed");
            #endif
#line 1191 "chapters/04-slab.nw"
        }
        if (bits != s->inuse || free + bits != c->objects)
            return slab_check_failed(c, s, "the counts disagree with the bitmap");
        if (s->on_partial != (free > 0))
            return slab_check_failed(c, s, "a slab with free objects is not on the stack, or a full one is");
        for (uint32_t p = 0; p < 1u << c->order; p++)
            if (slab_table[(s->mem - slab_area.base) / PAGE_SIZE + p] != s)
                return slab_check_failed(c, s, "the page table of slabs disagrees");
        slabs++;
        with_free += free > 0;
    }
    uint32_t stacked = 0;
    for (struct slab *s = c->partial; s && stacked <= slabs; s = s->partial, stacked++)
        if (s->cache != c || !s->on_partial)
            return slab_check_failed(c, s, "the stack of slabs with free objects is corrupt");
    if (stacked != with_free)
        return slab_check_failed(c, NULL, "the stack does not hold every slab with a free object");
    if (slabs != c->slabs)
        return slab_check_failed(c, NULL, "the cache's totals disagree with its slabs");
    return MEM_SUCCESS;
}

int
slab_check(void)
{
    uint32_t slabs = 0;
    for (kmem_cache_t *c = sl.caches; c; c = c->next) {
        if (check_cache(c) != MEM_SUCCESS)
            return MEM_CORRUPT;
        slabs += c->slabs << c->order;
    }
    if (check_cache(&cache_cache) != MEM_SUCCESS)
        return MEM_CORRUPT;
    slabs += cache_cache.slabs << cache_cache.order;
    if (slabs != sl.mapped)
        return slab_check_failed(&cache_cache, NULL, "pages mapped and pages in slabs differ");
    return MEM_SUCCESS;
}
#line 1262 "chapters/04-slab.nw"
void
slab_cache_stats(const kmem_cache_t *c, struct slab_stats *st)
{
    *st = (struct slab_stats){ .slabs = c->slabs };
    for (struct slab *s = c->all; s; s = s->next) {
        st->live += s->inuse;
        st->full += s->inuse == c->objects;
        st->empty += s->inuse == 0;
    }
    st->partial = c->slabs - st->full - st->empty;
    st->objects = c->slabs * c->objects;
    st->bytes = (size_t)c->slabs * (PAGE_SIZE << c->order);
    st->used = (size_t)st->live * c->size;
}

const kmem_cache_t *
slab_next_cache(const kmem_cache_t *c)
{
    if (!c)
        return sl.caches ? sl.caches : &cache_cache;
    return c == &cache_cache ? NULL : c->next ? c->next : &cache_cache;
}

const kmem_cache_t *
slab_find_cache(const char *name)
{
    for (const kmem_cache_t *c = slab_next_cache(NULL); c; c = slab_next_cache(c))
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

uint32_t
slab_pages(void)
{
    return sl.mapped;
}
#line 1305 "chapters/04-slab.nw"
void
slab_picture(const kmem_cache_t *c)
{
    kprintf("%s: %u slabs of %u page%s, %u objects of %lu bytes each (stride %lu)\n", c->name,
            c->slabs, 1u << c->order, c->order ? "s" : "", c->objects,
            (unsigned long)c->size, (unsigned long)c->stride);
    for (struct slab *s = c->all; s; s = s->next) {
        kprintf("  %p %-7s %3u/%u\n    ", (void *)s->mem, s->inuse == c->objects ? "full" :
                s->inuse ? "partial" : "empty", s->inuse, c->objects);
        for (uint32_t i = 0; i < c->objects; i++)
            kprintf("%c%s", (s->map[i / 32] >> (i % 32)) & 1 ? '#' : '.',
                    i + 1 < c->objects && i % 64 == 63 ? "\n    " : "");
        kprintf("\n");
    }
}
#line 864 "chapters/04-slab.nw"
#define KMALLOC_GRAIN      8
#define KMALLOC_SMALL_MAX  2048

static const uint16_t class_sizes[] = {
    8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048
};

static struct {
    size_t small_max;           /* 0 until kmalloc_init: every request goes to the heap */
    kmem_cache_t *cache[KMALLOC_SMALL_MAX / KMALLOC_GRAIN];   /* (size - 1) / 8 -> cache */
} km;
#line 878 "chapters/04-slab.nw"
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
#line 982 "chapters/04-slab.nw"
void *
kmalloc_at(size_t size, const char *file, int line)
{
    if (size - 1 < km.small_max)
        return cache_alloc(km.cache[(size - 1) / KMALLOC_GRAIN]);
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
#line 1007 "chapters/04-slab.nw"
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
