#line 1260 "chapters/01-heap.nw"
/* kheap.c: the kernel heap: first fit over an address-ordered block list. */
#include "kheap.h"
#include "kstring.h"

#line 368 "chapters/01-heap.nw"
typedef struct heap_block {
    uint32_t magic;             /* HEAP_MAGIC_ALLOC or HEAP_MAGIC_FREE */
    uint32_t checksum;          /* over magic, size, next and prev */
    size_t size;                /* payload bytes, a multiple of HEAP_ALIGN */
    struct heap_block *next;    /* the block just after this one, or NULL */
    struct heap_block *prev;    /* the block just before this one, or NULL */
    const char *file;           /* where it was allocated (debug builds) */
    uint32_t line;
    uint32_t requested;         /* the size the caller asked for */
} heap_block_t;

#define HDR sizeof(heap_block_t)
_Static_assert(sizeof(heap_block_t) % HEAP_ALIGN == 0,
               "the header must keep payloads HEAP_ALIGN-aligned");
#line 434 "chapters/01-heap.nw"
static struct {
    uintptr_t start, end;       /* the region [start, end) */
    heap_block_t *first;
    memory_stats_t stats;
    uint32_t blocks;            /* number of blocks, free or not */
    int last_error;
    unsigned errors;
    
#line 819 "chapters/03-vmm.nw"
bool growing;               /* chapter 3: inside heap_grow */
#line 442 "chapters/01-heap.nw"
} heap;
#line 1279 "chapters/01-heap.nw"
static void *heap_error(int code, const heap_block_t *site, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t heap_limit(void);
static void check_poison(heap_block_t *b, size_t n);
static void *take(heap_block_t *b, size_t size, size_t need, const char *file, int line);
static size_t largest_free(void);
static void grow_into_next(heap_block_t *b, size_t need);
static void shrink(heap_block_t *b, size_t size);
static int check_failed(const heap_block_t *b, const char *why);
#line 908 "chapters/03-vmm.nw"
static bool heap_grow(size_t need);
static void heap_extend(size_t bytes);
#line 932 "chapters/04-slab.nw"
/* Chapter 4: this file's kmalloc family is the first-fit heap's own;
 * slab.c routes the public one by size. */
#define kmalloc_at   heap_alloc_at
#define kcalloc_at   heap_calloc_at
#define krealloc_at  heap_realloc_at
#define kfree_at     heap_free_at
#line 407 "chapters/01-heap.nw"
static void *
payload_of(heap_block_t *b)
{
    return (char *)b + HDR;
}

static heap_block_t *
block_of(void *payload)
{
    return (heap_block_t *)((char *)payload - HDR);
}

/* Where the block after B must start: just past B's payload. */
static uintptr_t
end_of(const heap_block_t *b)
{
    return (uintptr_t)b + HDR + b->size;
}
#line 484 "chapters/01-heap.nw"
static uint32_t
checksum_of(const heap_block_t *b)
{
    uint32_t h = b->magic;
    h = h * 0x9E3779B1u + (uint32_t)b->size;
    h = h * 0x9E3779B1u + (uint32_t)(uintptr_t)b->next;
    h = h * 0x9E3779B1u + (uint32_t)(uintptr_t)b->prev;
    return h ^ 0xA5A5A5A5u;
}

static void
seal(heap_block_t *b)
{
    b->checksum = checksum_of(b);
}
#line 527 "chapters/01-heap.nw"
static bool
in_heap(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return a >= heap.start && a + HDR <= heap.end && IS_ALIGNED(a - heap.start, HEAP_ALIGN);
}

/* Is B a block of this heap, consistent with its neighbours? */
static bool
block_valid(const heap_block_t *b)
{
    if (!in_heap(b))
        return false;
    if (b->magic != HEAP_MAGIC_ALLOC && b->magic != HEAP_MAGIC_FREE)
        return false;
    if (b->checksum != checksum_of(b) || b->size > heap.end - (uintptr_t)b - HDR)
        return false;
    if (b->next ? (uintptr_t)b->next != end_of(b) : end_of(b) != heap.end)
        return false;
    if (b->prev ? !in_heap(b->prev) || b->prev->next != b : b != heap.first)
        return false;
    return true;
}
#line 560 "chapters/01-heap.nw"
static void *
heap_error(int code, const heap_block_t *site, const char *fmt, ...)
{
    va_list ap;
    heap.last_error = code;
    heap.errors++;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    if (site && site->file)
        kprintf("    (the block was allocated at %s:%u)\n", site->file, site->line);
    return NULL;
}

int
heap_last_error(void)
{
    return heap.last_error;
}

unsigned
heap_error_count(void)
{
    return heap.errors;
}
#line 799 "chapters/04-slab.nw"
/* Chapter 4: the slab layer reports its errors through the heap. */
void *
heap_report(int code, const char *fmt, ...)
{
    va_list ap;
    heap.last_error = code;
    heap.errors++;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    return NULL;
}

int *
heap_error_slot(void)
{
    return &heap.last_error;
}
#line 600 "chapters/01-heap.nw"
static void
poison(void *p, size_t n)
{
    memset(p, HEAP_POISON, n);
}

/* The offset of the first byte of [P, P+N) that is not poison, or N. */
static size_t
first_unpoisoned(const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t i = 0;
    while (i < n && b[i] == HEAP_POISON)
        i++;
    return i;
}
#line 626 "chapters/01-heap.nw"
void
heap_init(void *start, size_t size)
{
    uintptr_t s = ALIGN_UP((uintptr_t)start, HEAP_ALIGN);
    size = ALIGN_DOWN(size - (s - (uintptr_t)start), HEAP_ALIGN);
    heap.start = s;
    heap.end = s + size;
    heap.first = (heap_block_t *)s;
    heap.first->magic = HEAP_MAGIC_FREE;
    heap.first->size = size - HDR;
    heap.first->next = heap.first->prev = NULL;
    heap.first->file = NULL;
    heap.first->line = heap.first->requested = 0;
    seal(heap.first);
    poison(payload_of(heap.first), heap.first->size);
    
#line 672 "chapters/01-heap.nw"
heap.stats = (memory_stats_t){ 0 };
heap.stats.heap_size = (uint32_t)size;
heap.stats.heap_free = (uint32_t)heap.first->size;
heap.blocks = 1;
heap.last_error = MEM_SUCCESS;
#line 642 "chapters/01-heap.nw"
}
#line 701 "chapters/01-heap.nw"
void
memory_init(void)
{
    heap_init(P2V(HEAP_START), INITIAL_HEAP_SIZE);
    kprintf("heap: %u KiB at physical 0x%08x, %u-byte headers, %u-byte alignment\n",
            INITIAL_HEAP_SIZE / 1024, HEAP_START, (unsigned)HDR, HEAP_ALIGN);
}
#line 827 "chapters/03-vmm.nw"
/* Add at least NEED payload bytes at the end of the heap with fresh pages.
 * False, with the heap unchanged, if there are no frames (or no room). */
static bool
heap_grow(size_t need)
{
    size_t bytes = ALIGN_UP(need + HDR, (size_t)INITIAL_HEAP_SIZE);
    if (heap.growing || bytes > heap_limit() - (heap.end - heap.start))
        return false;
    heap.growing = true;
    bool ok = heap_map_more(heap.end, bytes);
    heap.growing = false;
    if (ok)
        heap_extend(bytes);
    return ok;
}
#line 849 "chapters/03-vmm.nw"
static heap_block_t *
last_block(void)
{
    heap_block_t *b = heap.first;
    while (b->next)
        b = b->next;
    return b;
}

static void
heap_extend(size_t bytes)
{
    heap_block_t *last = last_block(), *fresh = (heap_block_t *)heap.end;
    poison(fresh, bytes);
    heap.end += bytes;
    heap.stats.heap_size += (uint32_t)bytes;
    if (last->magic == HEAP_MAGIC_FREE) {
        last->size += bytes;
        heap.stats.heap_free += (uint32_t)bytes;
    } else {
        *fresh = (heap_block_t){ HEAP_MAGIC_FREE, 0, bytes - HDR, NULL, last, NULL, 0, 0 };
        last->next = fresh;
        seal(fresh);
        heap.blocks++;
        heap.stats.heap_free += (uint32_t)(bytes - HDR);
    }
    seal(last);
}
#line 887 "chapters/03-vmm.nw"
size_t
heap_trim(void)
{
    heap_block_t *last = last_block();
    uintptr_t keep = ALIGN_UP((uintptr_t)payload_of(last) + HEAP_ALIGN, (uintptr_t)PAGE_SIZE);
    if (keep < heap.start + INITIAL_HEAP_SIZE)
        keep = heap.start + INITIAL_HEAP_SIZE;
    if (last->magic != HEAP_MAGIC_FREE || keep >= heap.end)
        return 0;
    size_t bytes = heap.end - keep;
    heap_unmap(keep, bytes);
    heap.end = keep;
    last->size -= bytes;
    seal(last);
    heap.stats.heap_size -= (uint32_t)bytes;
    heap.stats.heap_free -= (uint32_t)bytes;
    return bytes;
}
#line 680 "chapters/01-heap.nw"
void
memory_get_stats(memory_stats_t *stats)
{
    *stats = heap.stats;
    stats->heap_blocks = heap.blocks;
    stats->heap_errors = heap.errors;
    
#line 553 "chapters/02-pmm.nw"
pmm_fill_stats(stats);
#line 687 "chapters/01-heap.nw"
}
#line 732 "chapters/01-heap.nw"
/* SIZE rounded up to HEAP_ALIGN, or 0 (with an error) if it can never fit. */
static size_t
request_size(size_t size, const char *who)
{
    if (size > heap_limit()) {
        heap_error(MEM_INVALID, NULL, "%s: %lu bytes is more than the heap can ever hold",
                   who, (unsigned long)size);
        return 0;
    }
    return ALIGN_UP(size, (size_t)HEAP_ALIGN);
}
#line 750 "chapters/01-heap.nw"
static size_t
heap_limit(void)
{
    
#line 823 "chapters/03-vmm.nw"
return HEAP_VIRTUAL_MAX - PAGE_SIZE;        /* the last page is a guard */
#line 754 "chapters/01-heap.nw"
}
#line 771 "chapters/01-heap.nw"
/* The first free block with at least SIZE payload bytes, or NULL. Sets
 * *CORRUPT if the walk met a block that is not valid. */
static heap_block_t *
first_fit(size_t size, bool *corrupt)
{
    for (heap_block_t *b = heap.first; b; b = b->next) {
        if (!block_valid(b)) {
            *corrupt = true;
            heap_error(MEM_CORRUPT, NULL, "kmalloc: the block header at %p is corrupt "
                       "(overwritten by a write past the end of the block before it?)", (void *)b);
            return NULL;
        }
        if (b->magic == HEAP_MAGIC_FREE && b->size >= size)
            return b;
    }
    return NULL;
}
#line 797 "chapters/01-heap.nw"
/* Cut B down to SIZE payload bytes; the rest becomes a free block after it. */
static void
split(heap_block_t *b, size_t size)
{
    if (b->size < size + HDR + HEAP_ALIGN)
        return;
    heap_block_t *rest = (heap_block_t *)((char *)payload_of(b) + size);
    rest->magic = HEAP_MAGIC_FREE;
    rest->size = b->size - size - HDR;
    rest->next = b->next;
    rest->prev = b;
    rest->file = NULL;
    rest->line = rest->requested = 0;
    if (rest->next) {
        rest->next->prev = rest;
        seal(rest->next);
    }
    b->next = rest;
    b->size = size;
    seal(rest);
    seal(b);
    heap.blocks++;
}
#line 831 "chapters/01-heap.nw"
void *
kmalloc_at(size_t size, const char *file, int line)
{
    heap.last_error = MEM_SUCCESS;
    if (size == 0)
        return NULL;                    /* documented: no block, no error */
    size_t need = request_size(size, "kmalloc");
    if (need == 0)
        return NULL;
    bool corrupt = false;
    heap_block_t *b = first_fit(need, &corrupt);
    
#line 800 "chapters/03-vmm.nw"
if (!b && !corrupt && heap_grow(need))
    b = first_fit(need, &corrupt);
if (!b) {
    if (!corrupt)
        heap_error(MEM_OUT_OF_MEM, NULL, "kmalloc: out of memory (%lu bytes requested, "
                   "largest free block %lu)", (unsigned long)size, (unsigned long)largest_free());
    return NULL;
}
#line 843 "chapters/01-heap.nw"
    check_poison(b, need);
    return take(b, size, need, file, line);
}
#line 849 "chapters/01-heap.nw"
static void
check_poison(heap_block_t *b, size_t n)
{
    size_t bad = first_unpoisoned(payload_of(b), n);
    if (bad < n)
        heap_error(MEM_CORRUPT, b, "kmalloc: free block %p was written after it was freed "
                   "(byte %lu is 0x%02x, not the poison 0x%02x)", payload_of(b),
                   (unsigned long)bad, ((uint8_t *)payload_of(b))[bad], HEAP_POISON);
}
#line 861 "chapters/01-heap.nw"
/* Turn free block B into an allocation of SIZE bytes (NEED rounded). */
static void *
take(heap_block_t *b, size_t size, size_t need, const char *file, int line)
{
    size_t before = b->size;
    split(b, need);
    b->magic = HEAP_MAGIC_ALLOC;
    b->file = file;
    b->line = (uint32_t)line;
    b->requested = (uint32_t)size;
    seal(b);
    /* Split: the free bytes lose the allocation and the new header. */
    heap.stats.heap_free -= (uint32_t)(b->size < before ? b->size + HDR : b->size);
    heap.stats.heap_used += (uint32_t)b->size;
    heap.stats.allocation_count++;
    return payload_of(b);
}
#line 894 "chapters/01-heap.nw"
static size_t
largest_free(void)
{
    size_t largest = 0;
    for (heap_block_t *b = heap.first; b && block_valid(b); b = b->next)
        if (b->magic == HEAP_MAGIC_FREE && b->size > largest)
            largest = b->size;
    return largest;
}
#line 919 "chapters/01-heap.nw"
/* The live block whose payload is P; NULL, with an error, if there is none. */
static heap_block_t *
checked_block(void *p, const char *who, const char *file, int line)
{
    uintptr_t a = (uintptr_t)p;
    if (a < heap.start + HDR || a >= heap.end)
        return heap_error(MEM_INVALID, NULL, "%s: %p is not in the heap [%p, %p) (called at %s:%d)",
                          who, p, (void *)heap.start, (void *)heap.end, file, line);
    if (!IS_ALIGNED(a - heap.start, HEAP_ALIGN))
        return heap_error(MEM_INVALID, NULL, "%s: %p is not aligned, so no block starts there "
                          "(called at %s:%d)", who, p, file, line);
    heap_block_t *b = block_of(p);
    if (!block_valid(b))
        return heap_error(MEM_INVALID, NULL, "%s: %p is not a heap block: an interior pointer, a block "
                          "merged away, or a header overwritten (called at %s:%d)", who, p, file, line);
    if (b->magic == HEAP_MAGIC_FREE)
        return heap_error(MEM_INVALID, b, "%s: double free of %p (called at %s:%d)", who, p, file, line);
    return b;
}
#line 964 "chapters/01-heap.nw"
/* Block B absorbs the (free) block after it. */
static void
merge_with_next(heap_block_t *b)
{
    heap_block_t *n = b->next;
    b->size += HDR + n->size;
    b->next = n->next;
    if (b->next) {
        b->next->prev = b;
        seal(b->next);
    }
    seal(b);
    poison(n, HDR);
    heap.blocks--;
    heap.stats.heap_free += HDR;
}

/* Is B a valid free block, fit to be merged? */
static bool
mergeable(heap_block_t *b)
{
    return b && block_valid(b) && b->magic == HEAP_MAGIC_FREE;
}
#line 995 "chapters/01-heap.nw"
void
kfree_at(void *p, const char *file, int line)
{
    heap.last_error = MEM_SUCCESS;
    if (!p)
        return;
    heap_block_t *b = checked_block(p, "kfree", file, line);
    if (!b)
        return;
    b->magic = HEAP_MAGIC_FREE;
    seal(b);
    poison(payload_of(b), b->size);
    heap.stats.heap_used -= (uint32_t)b->size;
    heap.stats.heap_free += (uint32_t)b->size;
    heap.stats.free_count++;
    if (mergeable(b->next))
        merge_with_next(b);
    if (mergeable(b->prev))
        merge_with_next(b->prev);
}
#line 1032 "chapters/01-heap.nw"
void *
krealloc_at(void *p, size_t size, const char *file, int line)
{
    if (!p)
        return kmalloc_at(size, file, line);
    if (size == 0) {
        kfree_at(p, file, line);
        return NULL;
    }
    heap.last_error = MEM_SUCCESS;
    heap_block_t *b = checked_block(p, "krealloc", file, line);
    size_t need = b ? request_size(size, "krealloc") : 0;
    if (need == 0)
        return NULL;
    if (need > b->size && mergeable(b->next) && b->size + HDR + b->next->size >= need)
        grow_into_next(b, need);
    if (need <= b->size) {
        shrink(b, need);
        b->requested = (uint32_t)size;
        return p;
    }
    
#line 1058 "chapters/01-heap.nw"
void *q = kmalloc_at(size, file, line);
if (!q)
    return NULL;
memcpy(q, p, b->size);
kfree_at(p, file, line);
heap.stats.allocation_count--;          /* one block moved: not a new allocation */
heap.stats.free_count--;
return q;
#line 1054 "chapters/01-heap.nw"
}
#line 1077 "chapters/01-heap.nw"
/* Block B absorbs the free block after it, to hold at least NEED bytes. */
static void
grow_into_next(heap_block_t *b, size_t need)
{
    heap_block_t *n = b->next;
    check_poison(n, need > b->size + HDR ? need - b->size - HDR : 0);
    heap.stats.heap_free -= (uint32_t)n->size;
    heap.stats.heap_used += (uint32_t)(HDR + n->size);
    b->size += HDR + n->size;
    b->next = n->next;
    if (b->next) {
        b->next->prev = b;
        seal(b->next);
    }
    seal(b);
    heap.blocks--;
}
#line 1101 "chapters/01-heap.nw"
static void
shrink(heap_block_t *b, size_t size)
{
    size_t before = b->size;
    split(b, size);
    if (b->size == before)
        return;                         /* the tail was too small to split off */
    heap_block_t *tail = b->next;
    poison(payload_of(tail), tail->size);
    heap.stats.heap_used -= (uint32_t)(before - b->size);
    heap.stats.heap_free += (uint32_t)tail->size;
    if (mergeable(tail->next))
        merge_with_next(tail);
}
#line 1124 "chapters/01-heap.nw"
void *
kcalloc_at(size_t n, size_t size, const char *file, int line)
{
    if (size && n > (size_t)-1 / size)
        return heap_error(MEM_INVALID, NULL, "kcalloc: %lu * %lu bytes overflows",
                          (unsigned long)n, (unsigned long)size);
    void *p = kmalloc_at(n * size, file, line);
    if (p)
        memset(p, 0, n * size);
    return p;
}
#line 1158 "chapters/01-heap.nw"
int
heap_check(void)
{
    uint32_t blocks = 0;
    size_t used = 0, free = 0;
    const heap_block_t *prev = NULL;
    for (heap_block_t *b = heap.first; b; prev = b, b = b->next) {
        if (!block_valid(b))
            return check_failed(b, "the header is corrupt or its links are inconsistent");
        
#line 1176 "chapters/01-heap.nw"
if (b->magic == HEAP_MAGIC_FREE) {
    if (prev && prev->magic == HEAP_MAGIC_FREE)
        return check_failed(b, "two free blocks are next to each other (a missed merge)");
    if (first_unpoisoned(payload_of(b), b->size) < b->size)
        return check_failed(b, "a free block was written to after it was freed");
    free += b->size;
} else {
    used += b->size;
}
#line 1168 "chapters/01-heap.nw"
        blocks++;
    }
    
#line 1188 "chapters/01-heap.nw"
if (!heap.first || blocks != heap.blocks || used != heap.stats.heap_used ||
    free != heap.stats.heap_free || used + free + blocks * HDR != heap.stats.heap_size)
    return check_failed(NULL, "the statistics disagree with the blocks");
#line 1171 "chapters/01-heap.nw"
    return MEM_SUCCESS;
}
#line 1194 "chapters/01-heap.nw"
static int
check_failed(const heap_block_t *b, const char *why)
{
    heap_error(MEM_CORRUPT, NULL, "heap_check: block %p: %s", (void *)b, why);
    return MEM_CORRUPT;
}
#line 1211 "chapters/01-heap.nw"
void
heap_dump(void)
{
    uint32_t n = 0;
    kprintf("=== HEAP DUMP ===\n");
    for (heap_block_t *b = heap.first; b; b = b->next, n++) {
        if (!block_valid(b)) {
            kprintf("Block %u: CORRUPT header at %p\n", n, (void *)b);
            return;
        }
        kprintf("Block %u: %s 0x%08lx bytes at %p", n,
                b->magic == HEAP_MAGIC_FREE ? "FREE " : "ALLOC", (unsigned long)b->size, payload_of(b));
        if (b->magic == HEAP_MAGIC_ALLOC && b->file)
            kprintf("  %s:%u", b->file, b->line);
        kprintf("\n");
    }
}
#line 1236 "chapters/01-heap.nw"
int
heap_leaks(void)
{
    int live = 0;
    for (heap_block_t *b = heap.first; b && block_valid(b); b = b->next) {
        if (b->magic != HEAP_MAGIC_ALLOC)
            continue;
        kprintf("leak: %u bytes at %p, allocated at %s:%u\n", b->requested,
                payload_of(b), b->file ? b->file : "?", b->line);
        live++;
    }
    kprintf("heap_leaks: %d live block%s\n", live, live == 1 ? "" : "s");
    return live;
}
