#line 1475 "chapters/01-heap.nw"
/* kheap.c: the kernel heap: first fit over an address-ordered block list. */
#include "kheap.h"
#include "kstring.h"
#include "multiboot.h"

#line 371 "chapters/01-heap.nw"
typedef struct heap_block {
    uint32_t magic;             /* HEAP_MAGIC_ALLOC, _FREE or _FENCED */
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
#line 438 "chapters/01-heap.nw"
static struct {
    uintptr_t start, end;       /* the region [start, end) */
    heap_block_t *first;
    memory_stats_t stats;
    uint32_t blocks;            /* number of blocks, free or not */
    uint32_t fenced;            /* blocks fenced off after damage */
    int last_error;
    unsigned errors;
#line 1101 "chapters/03-vmm.nw"
    bool growing;               /* chapter 3: inside heap_grow */
#line 447 "chapters/01-heap.nw"
} heap;
#line 1497 "chapters/01-heap.nw"
static void *heap_error(int code, const heap_block_t *site, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t heap_limit(void);
static bool poison_intact(heap_block_t *b, size_t n, const char *who);
static void fence_header(heap_block_t *b, heap_block_t *n);
static void fence_free(heap_block_t *b, size_t size);
static void *take(heap_block_t *b, size_t size, size_t need, const char *file, int line);
static size_t largest_free(void);
static void grow_into_next(heap_block_t *b, size_t need);
static void shrink(heap_block_t *b, size_t size, size_t dirty);
static int check_failed(const heap_block_t *b, const char *why);
static void recount(void);
#line 1190 "chapters/03-vmm.nw"
static bool heap_grow(size_t need);
static void heap_extend(size_t bytes);
#line 411 "chapters/01-heap.nw"
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
#line 489 "chapters/01-heap.nw"
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
#line 532 "chapters/01-heap.nw"
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
    if (b->magic != HEAP_MAGIC_ALLOC && b->magic != HEAP_MAGIC_FREE && b->magic != HEAP_MAGIC_FENCED)
        return false;
    if (b->checksum != checksum_of(b) || b->size > heap.end - (uintptr_t)b - HDR)
        return false;
    if (b->next ? (uintptr_t)b->next != end_of(b) : end_of(b) != heap.end)
        return false;
    if (b->prev ? !in_heap(b->prev) || b->prev->next != b : b != heap.first)
        return false;
    return true;
}
#line 565 "chapters/01-heap.nw"
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
#line 605 "chapters/01-heap.nw"
static void
poison(void *p, size_t n)
{
    memset(p, HEAP_POISON, n);
}

/* The offset of the first byte of [P, P+N) that is not poison, or N. */
static size_t
first_unpoisoned(const void *p, size_t n)
{
    typedef uintptr_t __attribute__((may_alias)) word_t;
    const word_t poison_word = (word_t)-1 / 0xFF * HEAP_POISON;
    const uint8_t *b = p;
    size_t i = 0;
    while (i < n && ((uintptr_t)(b + i) % sizeof(word_t)) && b[i] == HEAP_POISON)
        i++;
    while (i + sizeof(word_t) <= n && *(const word_t *)(b + i) == poison_word)
        i += sizeof(word_t);
    while (i < n && b[i] == HEAP_POISON)
        i++;
    return i;
}
#line 1705 "chapters/01-heap.nw"
/* The end of the usable RAM range that holds physical address S, or 0;
 * *NEXT: the start of the lowest usable range above S (UINT64_MAX: none). */
static uint64_t
usable_end(uint64_t s, uint64_t *next)
{
    const struct multiboot_info *mbi = boot_info;
    uint64_t end = 0;
    *next = UINT64_MAX;
    if (!(mbi->flags & MULTIBOOT_INFO_MEM_MAP)) {   /* the old fields: RAM above 1 MiB */
        uint64_t top = 0x100000 + (uint64_t)mbi->mem_upper * 1024;
        if (s < 0x100000)
            *next = 0x100000;
        return s >= 0x100000 && s < top ? top : 0;
    }
    const uint8_t *p = P2V(mbi->mmap_addr), *stop = p + mbi->mmap_length;
    while (p + sizeof(struct multiboot_mmap_entry) <= stop) {
        const struct multiboot_mmap_entry *e = (const void *)p;
        if (e->type == MULTIBOOT_MEMORY_AVAILABLE && e->addr <= s && s - e->addr < e->len)
            end = e->addr + e->len;
        else if (e->type == MULTIBOOT_MEMORY_AVAILABLE && e->addr > s && e->addr < *next)
            *next = e->addr;
        if (e->size < 20)
            break;
        p += e->size + 4;
    }
    return end;
}
#line 1741 "chapters/01-heap.nw"
static void
clash(uint64_t s, uint64_t e, uint64_t rs, uint64_t re, uint64_t *end)
{
    if (rs < e && s < re && re > *end)
        *end = re;
}

static uint64_t
string_end(uint32_t pa)
{
    return pa ? (uint64_t)pa + strlen(P2V(pa)) + 1 : 0;
}

/* 0 if [S, E) holds nothing of the kernel's or the loader's; else the end
 * of the last thing in it. */
static uint64_t
in_use_until(uint64_t s, uint64_t e)
{
    const struct multiboot_info *mbi = boot_info;
    uint64_t end = 0;
    clash(s, e, V2P(_kernel_start), V2P(_kernel_end), &end);
    clash(s, e, V2P(mbi), V2P(mbi) + sizeof(*mbi), &end);
    if (mbi->flags & MULTIBOOT_INFO_MEM_MAP)
        clash(s, e, mbi->mmap_addr, (uint64_t)mbi->mmap_addr + mbi->mmap_length, &end);
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        clash(s, e, mbi->cmdline, string_end(mbi->cmdline), &end);
    if (mbi->flags & MULTIBOOT_INFO_LOADER)
        clash(s, e, mbi->boot_loader_name, string_end(mbi->boot_loader_name), &end);
    if (mbi->flags & MULTIBOOT_INFO_MODS) {
        const struct multiboot_module *m = P2V(mbi->mods_addr);
        clash(s, e, mbi->mods_addr, (uint64_t)mbi->mods_addr + mbi->mods_count * sizeof(*m), &end);
        for (uint32_t i = 0; i < mbi->mods_count; i++) {
            clash(s, e, m[i].mod_start, m[i].mod_end, &end);
            clash(s, e, m[i].string, string_end(m[i].string), &end);
        }
    }
    return end;
}
#line 1788 "chapters/01-heap.nw"
/* The lowest S >= FROM, 4 KiB-aligned, such that [S, S+SIZE) is free RAM;
 * 0 if there is none below 4 GiB. */
static uint64_t
heap_room(uint64_t s, uint64_t size)
{
    while (s + size <= 0x100000000ull) {
        uint64_t next, end = usable_end(s, &next), busy;
        if (!end) {
            if (next == UINT64_MAX)
                return 0;
            s = ALIGN_UP(next, (uint64_t)4096);
        } else if (s + size > end) {
            s = end;
        } else if ((busy = in_use_until(s, s + size)) != 0) {
            s = ALIGN_UP(busy, (uint64_t)4096);
        } else {
            return s;
        }
    }
    return 0;
}
#line 1860 "chapters/01-heap.nw"
uint32_t heap_module_sums[HEAP_MAX_MODULES];
uint32_t heap_modules_summed;

/* FNV-1a over the words (and the last bytes) of module I. */
uint32_t
module_checksum(uint32_t i)
{
    const struct multiboot_module *m = P2V(boot_info->mods_addr);
    const uint8_t *p = P2V(m[i].mod_start), *end = P2V(m[i].mod_end);
    uint32_t h = 2166136261u;
    for (; p + 4 <= end; p += 4)
        h = (h ^ *(const uint32_t *)p) * 16777619u;
    for (; p < end; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}
#line 642 "chapters/01-heap.nw"
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
#line 688 "chapters/01-heap.nw"
    heap.stats = (memory_stats_t){ 0 };
    heap.stats.heap_size = size;
    heap.stats.heap_free = heap.first->size;
    heap.blocks = 1;
    heap.last_error = MEM_SUCCESS;
#line 658 "chapters/01-heap.nw"
}
#line 1823 "chapters/01-heap.nw"
uintptr_t heap_phys = HEAP_START;

void
memory_init(void)
{
#line 1879 "chapters/01-heap.nw"
    if (test_mode && boot_info && (boot_info->flags & MULTIBOOT_INFO_MODS)) {
        while (heap_modules_summed < boot_info->mods_count && heap_modules_summed < HEAP_MAX_MODULES) {
            heap_module_sums[heap_modules_summed] = module_checksum(heap_modules_summed);
            heap_modules_summed++;
        }
    }
#line 1829 "chapters/01-heap.nw"
    if (boot_info) {
        uint64_t at = heap_room(HEAP_START, INITIAL_HEAP_SIZE);
        if (!at)
            at = heap_room(0x100000, INITIAL_HEAP_SIZE);
        if (!at)
            panic("memory_init: no %u KiB of free RAM for the heap: the memory map has no "
                  "usable RAM above 1 MiB that the kernel, the modules and the boot "
                  "information leave free", INITIAL_HEAP_SIZE / 1024);
        heap_phys = (uintptr_t)at;
    }
    heap_init(P2V(heap_phys), INITIAL_HEAP_SIZE);
    kprintf("heap: %u KiB at physical 0x%08x, %u-byte headers, %u-byte alignment\n",
            INITIAL_HEAP_SIZE / 1024, (unsigned)heap_phys, (unsigned)HDR, HEAP_ALIGN);
}
#line 1109 "chapters/03-vmm.nw"
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
#line 1131 "chapters/03-vmm.nw"
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
    heap.stats.heap_size += bytes;
    if (last->magic == HEAP_MAGIC_FREE) {
        last->size += bytes;
        heap.stats.heap_free += bytes;
    } else {
        *fresh = (heap_block_t){ HEAP_MAGIC_FREE, 0, bytes - HDR, NULL, last, NULL, 0, 0 };
        last->next = fresh;
        seal(fresh);
        heap.blocks++;
        heap.stats.heap_free += bytes - HDR;
    }
    seal(last);
}
#line 1169 "chapters/03-vmm.nw"
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
    heap.stats.heap_size -= bytes;
    heap.stats.heap_free -= bytes;
    return bytes;
}
#line 696 "chapters/01-heap.nw"
void
memory_get_stats(memory_stats_t *stats)
{
    *stats = heap.stats;
    stats->heap_blocks = heap.blocks;
    stats->heap_errors = heap.errors;
#line 806 "chapters/02-pmm.nw"
    pmm_fill_stats(stats);
#line 703 "chapters/01-heap.nw"
}
#line 742 "chapters/01-heap.nw"
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
#line 760 "chapters/01-heap.nw"
static size_t
heap_limit(void)
{
#line 1105 "chapters/03-vmm.nw"
    return HEAP_VIRTUAL_MAX - PAGE_SIZE;        /* the last page is a guard */
#line 764 "chapters/01-heap.nw"
}
#line 783 "chapters/01-heap.nw"
/* The first free block with at least SIZE payload bytes, or NULL. Sets
 * *CORRUPT if the walk met a block that is not valid (it is fenced off). */
static heap_block_t *
first_fit(size_t size, bool *corrupt)
{
    heap_block_t *prev = NULL;
    for (heap_block_t *b = heap.first; b; prev = b, b = b->next) {
        if (!block_valid(b)) {
            *corrupt = true;
            heap_error(MEM_CORRUPT, prev, "kmalloc: the block header at %p is corrupt "
                       "(overwritten by a write past the end of the block before it, %p?); "
                       "fenced off", (void *)b, prev ? payload_of(prev) : NULL);
            fence_header(prev, b);
        }
        if (b->magic == HEAP_MAGIC_FREE && b->size >= size)
            return b;
    }
    return NULL;
}
#line 811 "chapters/01-heap.nw"
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
#line 847 "chapters/01-heap.nw"
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
    heap_block_t *b;
    do {
        b = first_fit(need, &corrupt);
#line 1082 "chapters/03-vmm.nw"
        if (!b && !corrupt && heap_grow(need))
            b = first_fit(need, &corrupt);
        if (!b) {
            if (!corrupt)
                heap_error(MEM_OUT_OF_MEM, NULL, "kmalloc: out of memory (%lu bytes requested, "
                           "largest free block %lu)", (unsigned long)size, (unsigned long)largest_free());
            return NULL;
        }
#line 861 "chapters/01-heap.nw"
    } while (!poison_intact(b, need, "kmalloc"));
    return take(b, size, need, file, line);
}
#line 867 "chapters/01-heap.nw"
/* Are the first N payload bytes of free block B still poison?  If not,
 * report it and fence the damaged part off. */
static bool
poison_intact(heap_block_t *b, size_t n, const char *who)
{
    size_t bad = first_unpoisoned(payload_of(b), n);
    if (bad == n)
        return true;
    heap_error(MEM_CORRUPT, b, "%s: free block %p was written after it was freed "
               "(byte %lu is 0x%02x, not the poison 0x%02x); the damaged bytes are fenced off",
               who, payload_of(b), (unsigned long)bad, ((uint8_t *)payload_of(b))[bad], HEAP_POISON);
    size_t last = n;
    while (((uint8_t *)payload_of(b))[last - 1] == HEAP_POISON)
        last--;
    fence_free(b, ALIGN_UP(last, (size_t)HEAP_ALIGN));
    return false;
}
#line 887 "chapters/01-heap.nw"
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
    heap.stats.heap_free -= b->size < before ? b->size + HDR : b->size;
    heap.stats.heap_used += b->size;
    heap.stats.allocation_count++;
    return payload_of(b);
}
#line 920 "chapters/01-heap.nw"
static size_t
largest_free(void)
{
    size_t largest = 0;
    for (heap_block_t *b = heap.first; b && block_valid(b); b = b->next)
        if (b->magic == HEAP_MAGIC_FREE && b->size > largest)
            largest = b->size;
    return largest;
}
#line 946 "chapters/01-heap.nw"
/* The live block whose payload is P; NULL, with an error, if there is none. */
static heap_block_t *
checked_block(void *p, const char *who, const char *file, int line)
{
    uintptr_t a = (uintptr_t)p;
    if (a < heap.start || a >= heap.end)
        return heap_error(MEM_INVALID, NULL, "%s: %p is not in the heap [%p, %p) (called at %s:%d)",
                          who, p, (void *)heap.start, (void *)heap.end, file, line);
    if (a < heap.start + HDR)
        return heap_error(MEM_INVALID, NULL, "%s: %p points into the first block's header; the "
                          "first payload is at %p (called at %s:%d)",
                          who, p, (void *)(heap.start + HDR), file, line);
    if (!IS_ALIGNED(a - heap.start, HEAP_ALIGN))
        return heap_error(MEM_INVALID, NULL, "%s: %p is not aligned, so no block starts there "
                          "(called at %s:%d)", who, p, file, line);
    heap_block_t *b = block_of(p);
    if (!block_valid(b))
        return heap_error(MEM_INVALID, NULL, "%s: %p is not a heap block: an interior pointer, a block "
                          "merged away, or a header overwritten (called at %s:%d)", who, p, file, line);
    if (b->magic == HEAP_MAGIC_FREE)
        return heap_error(MEM_INVALID, b, "%s: %p was freed already: %s (called at %s:%d)", who, p,
                          who[1] == 'f' ? "a double free" : "a use after free", file, line);
    if (b->magic == HEAP_MAGIC_FENCED)
        return heap_error(MEM_INVALID, b, "%s: %p was fenced off after it was damaged "
                          "(called at %s:%d)", who, p, file, line);
    return b;
}
#line 1000 "chapters/01-heap.nw"
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
#line 1038 "chapters/01-heap.nw"
void
kfree_at(void *p, const char *file, int line)
{
    heap.last_error = MEM_SUCCESS;
    if (!p)
        return;
    heap_block_t *b = checked_block(p, "kfree", file, line);
    if (!b)
        return;
    if (b->next && in_heap(b->next) && !block_valid(b->next)) {
        heap_error(MEM_CORRUPT, b, "kfree: the header after block %p, at %p, is damaged: "
                   "a write past the end of %p? The block there is fenced off",
                   p, (void *)b->next, p);
        fence_header(b, b->next);
    }
    b->magic = HEAP_MAGIC_FREE;
    seal(b);
    poison(payload_of(b), b->size);
    heap.stats.heap_used -= b->size;
    heap.stats.heap_free += b->size;
    heap.stats.free_count++;
    if (mergeable(b->next))
        merge_with_next(b);
    if (mergeable(b->prev))
        merge_with_next(b->prev);
}
#line 1089 "chapters/01-heap.nw"
/* Fence off block N, whose header is damaged.  B is the valid block before
 * it (NULL if N is the first); N's header is rebuilt from the block after
 * it, found by its back link. */
static void
fence_header(heap_block_t *b, heap_block_t *n)
{
    heap_block_t *after = NULL;
    if (!in_heap(n))
        return;                         /* not even inside the heap: nothing to fence */
    for (uintptr_t a = (uintptr_t)n + HDR; !after && a + HDR <= heap.end; a += HEAP_ALIGN) {
        heap_block_t *c = (heap_block_t *)a;
        if (c->prev == n && c->checksum == checksum_of(c) &&
            (c->magic == HEAP_MAGIC_ALLOC || c->magic == HEAP_MAGIC_FREE || c->magic == HEAP_MAGIC_FENCED))
            after = c;
    }
    n->magic = HEAP_MAGIC_FENCED;
    n->size = (after ? (uintptr_t)after : heap.end) - (uintptr_t)n - HDR;
    n->next = after;
    n->prev = b;
    n->file = NULL;
    n->line = n->requested = 0;
    seal(n);
    heap.fenced++;
    recount();
}

/* Count the blocks and the used and free bytes again, after a fence. */
static void
recount(void)
{
    heap.blocks = 0;
    heap.stats.heap_used = heap.stats.heap_free = 0;
    for (heap_block_t *b = heap.first; b && block_valid(b); b = b->next) {
        heap.blocks++;
        if (b->magic == HEAP_MAGIC_FREE)
            heap.stats.heap_free += b->size;
        else
            heap.stats.heap_used += b->size;
        if (b->next && b->next <= b)
            break;                      /* only forwards, whatever the headers say */
    }
}
#line 1138 "chapters/01-heap.nw"
/* Fence off the first SIZE payload bytes of free block B. */
static void
fence_free(heap_block_t *b, size_t size)
{
    size_t before = b->size;
    split(b, size);
    b->magic = HEAP_MAGIC_FENCED;
    seal(b);
    heap.stats.heap_free -= b->size < before ? b->size + HDR : b->size;
    heap.stats.heap_used += b->size;
    heap.fenced++;
}
#line 1163 "chapters/01-heap.nw"
int
heap_unfence(void *p)
{
    heap_block_t *b = block_of(p);
    if (!in_heap(b) || !block_valid(b) || b->magic != HEAP_MAGIC_FENCED) {
        heap_error(MEM_INVALID, NULL, "heap_unfence: %p is not a fenced-off block", p);
        return MEM_INVALID;
    }
    b->magic = HEAP_MAGIC_FREE;
    seal(b);
    poison(payload_of(b), b->size);
    heap.stats.heap_used -= b->size;
    heap.stats.heap_free += b->size;
    heap.fenced--;
    if (mergeable(b->next))
        merge_with_next(b);
    if (mergeable(b->prev))
        merge_with_next(b->prev);
    return MEM_SUCCESS;
}
#line 1220 "chapters/01-heap.nw"
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
    size_t dirty = b->size;             /* bytes that may hold something other than poison */
    if (need > b->size && mergeable(b->next) && b->size + HDR + b->next->size >= need &&
        poison_intact(b->next, need > b->size + HDR ? need - b->size - HDR : 0, "krealloc")) {
        grow_into_next(b, need);
        dirty += HDR;                   /* the absorbed header; its payload is poison */
    }
    if (need <= b->size) {
        shrink(b, need, dirty);
        b->requested = (uint32_t)size;
        return p;
    }
#line 1250 "chapters/01-heap.nw"
    int found = heap.last_error;            /* damage found on the way, if any */
    void *q = kmalloc_at(size, file, line);
    if (!q)
        return NULL;
    memcpy(q, p, b->size);
    kfree_at(p, file, line);
    heap.stats.allocation_count--;          /* one block moved: not a new allocation */
    heap.stats.free_count--;
    if (heap.last_error == MEM_SUCCESS)
        heap.last_error = found;            /* krealloc reports it, as kmalloc would */
    return q;
#line 1246 "chapters/01-heap.nw"
}
#line 1272 "chapters/01-heap.nw"
/* Block B absorbs the free block after it, to hold at least NEED bytes. */
static void
grow_into_next(heap_block_t *b, size_t need)
{
    heap_block_t *n = b->next;
    heap.stats.heap_free -= n->size;
    heap.stats.heap_used += HDR + n->size;
    b->size += HDR + n->size;
    b->next = n->next;
    if (b->next) {
        b->next->prev = b;
        seal(b->next);
    }
    seal(b);
    heap.blocks--;
}
#line 1311 "chapters/01-heap.nw"
/* Cut B down to SIZE bytes and free the tail.  Only the first DIRTY bytes
 * of B's payload may hold something other than poison. */
static void
shrink(heap_block_t *b, size_t size, size_t dirty)
{
    size_t before = b->size;
    split(b, size);
    if (b->size == before)
        return;                         /* the tail was too small to split off */
    heap_block_t *tail = b->next;
    uintptr_t from = (uintptr_t)payload_of(tail), to = (uintptr_t)payload_of(b) + dirty;
    if (to > from)
        poison(payload_of(tail), to - from);
    heap.stats.heap_used -= before - b->size;
    heap.stats.heap_free += tail->size;
    if (mergeable(tail->next))
        merge_with_next(tail);
}
#line 1338 "chapters/01-heap.nw"
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
#line 1372 "chapters/01-heap.nw"
int
heap_check(void)
{
    uint32_t blocks = 0;
    size_t used = 0, free = 0;
    const heap_block_t *prev = NULL;
    for (heap_block_t *b = heap.first; b; prev = b, b = b->next) {
        if (!block_valid(b))
            return check_failed(b, "the header is corrupt or its links are inconsistent");
#line 1390 "chapters/01-heap.nw"
        if (b->magic == HEAP_MAGIC_FREE) {
            if (prev && prev->magic == HEAP_MAGIC_FREE)
                return check_failed(b, "two free blocks are next to each other (a missed merge)");
            if (first_unpoisoned(payload_of(b), b->size) < b->size)
                return check_failed(b, "a free block was written to after it was freed");
            free += b->size;
        } else {
            used += b->size;
        }
#line 1382 "chapters/01-heap.nw"
        blocks++;
    }
#line 1402 "chapters/01-heap.nw"
    if (!heap.first || blocks != heap.blocks || used != heap.stats.heap_used ||
        free != heap.stats.heap_free || used + free + blocks * HDR != heap.stats.heap_size)
        return check_failed(NULL, "the statistics disagree with the blocks");
#line 1385 "chapters/01-heap.nw"
    return MEM_SUCCESS;
}
#line 1408 "chapters/01-heap.nw"
static int
check_failed(const heap_block_t *b, const char *why)
{
    heap_error(MEM_CORRUPT, NULL, "heap_check: block %p: %s", (void *)b, why);
    return MEM_CORRUPT;
}
#line 1426 "chapters/01-heap.nw"
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
        kprintf("Block %u: %s 0x%08lx bytes at %p", n, b->magic == HEAP_MAGIC_FREE ? "FREE " :
                b->magic == HEAP_MAGIC_ALLOC ? "ALLOC" : "FENCE", (unsigned long)b->size, payload_of(b));
        if (b->magic == HEAP_MAGIC_ALLOC && b->file)
            kprintf("  %s:%u", b->file, b->line);
        kprintf("\n");
    }
}
#line 1451 "chapters/01-heap.nw"
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
