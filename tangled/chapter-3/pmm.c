#line 916 "chapters/02-pmm.nw"
/* pmm.c: the physical memory manager: a stack of free frames, fed by the
 * multiboot memory map. */
#include "pmm.h"
#include "kheap.h"
#include "kstring.h"

unsigned pmm_errors;

#line 433 "chapters/02-pmm.nw"
static struct {
    uint32_t *stack;                /* free frame addresses; stack[top-1] is next */
    uint32_t top, capacity;
    uint32_t *bitmap;               /* bit f: frame f is on the stack (free) */
    uint32_t frames;                /* frames the bitmap covers */
    struct pmm_ranges usable;       /* clipped, page-aligned usable RAM */
    struct pmm_ranges reserved;     /* everything not to be handed out */
    struct pmm_range metadata;      /* where the stack and the bitmap live */
    uint64_t total;                 /* usable bytes, below 4 GiB */
} pmm;
#line 939 "chapters/02-pmm.nw"
static void range_add(struct pmm_ranges *list, uint64_t start, uint64_t end);
static int pmm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reserve_string(struct pmm_ranges *reserved, uint32_t pa);
#line 155 "chapters/02-pmm.nw"
static void
range_add(struct pmm_ranges *list, uint64_t start, uint64_t end)
{
    if (start >= end)
        return;
    if (list->n == PMM_MAX_RANGES) {
        kprintf("pmm: more than %d ranges; ignoring 0x%llx-0x%llx\n", PMM_MAX_RANGES,
                (unsigned long long)start, (unsigned long long)end);
        return;
    }
    list->r[list->n++] = (struct pmm_range){ start, end };
}

static bool
overlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
    return s1 < e2 && s2 < e1;
}
#line 528 "chapters/02-pmm.nw"
static void
clean_usable(const struct pmm_ranges *in)
{
    pmm.usable.n = 0;
    pmm.total = 0;
    for (int i = 0; i < in->n; i++) {
        uint64_t s = ALIGN_UP(in->r[i].start, (uint64_t)PAGE_SIZE);
        uint64_t e = in->r[i].end < PHYS_LIMIT ? in->r[i].end : PHYS_LIMIT;
        e = ALIGN_DOWN(e, (uint64_t)PAGE_SIZE);
        if (s < e) {
            range_add(&pmm.usable, s, e);
            pmm.total += e - s;
        }
    }
}

/* May the frame at PA be handed out: usable, and reserved by nobody? */
static bool
managed(uint64_t pa)
{
    bool usable = false;
    for (int i = 0; i < pmm.usable.n; i++)
        usable |= pa >= pmm.usable.r[i].start && pa < pmm.usable.r[i].end;
    for (int i = 0; usable && i < pmm.reserved.n; i++)
        if (pa + PAGE_SIZE > pmm.reserved.r[i].start && pa < pmm.reserved.r[i].end)
            return false;
    return usable;
}
#line 116 "chapters/02-pmm.nw"
/* The entry at byte *OFF of a map of LENGTH bytes, and *OFF moved to the
 * next one; NULL when no whole entry is left, or after a broken entry. */
static const struct multiboot_mmap_entry *
map_next(const void *map, uint32_t length, uint32_t *off)
{
    if (*off > length || length - *off < sizeof(struct multiboot_mmap_entry))
        return NULL;
    const struct multiboot_mmap_entry *e = (const void *)((const uint8_t *)map + *off);
    if (e->size < 20 || e->size > length - *off - 4)    /* a broken entry: the last one read */
        *off = length;
    else
        *off += e->size + 4;
    return e;
}

void
pmm_parse_map(const void *map, uint32_t length,
              struct pmm_ranges *usable, struct pmm_ranges *reserved)
{
    const struct multiboot_mmap_entry *e;
    for (uint32_t off = 0; (e = map_next(map, length, &off)) != NULL; ) {
        uint64_t last = e->len ? e->addr + (e->len - 1) : 0;
        if (e->len && last >= e->addr)              /* no wrap past 2^64 */
            range_add(e->type == MULTIBOOT_MEMORY_AVAILABLE ? usable : reserved,
                      e->addr, last == UINT64_MAX ? UINT64_MAX : last + 1);
    }
}
#line 446 "chapters/02-pmm.nw"
static bool
is_free(phys_addr_t pa)
{
    uint32_t f = pa / PAGE_SIZE;
    return f < pmm.frames && (pmm.bitmap[f / 32] >> (f % 32) & 1);
}

static void
mark(phys_addr_t pa, bool free)
{
    uint32_t f = pa / PAGE_SIZE;
    if (free)
        pmm.bitmap[f / 32] |= 1u << (f % 32);
    else
        pmm.bitmap[f / 32] &= ~(1u << (f % 32));
}
#line 637 "chapters/02-pmm.nw"
void *
pmm_frame(phys_addr_t pa)
{
    if (pa == PMM_NO_FRAME)
        panic("pmm_frame: PMM_NO_FRAME is not a frame (an unchecked pmm_alloc_page?)");
#line 964 "chapters/03-vmm.nw"
    if (pa < DIRECT_MAP_SIZE)
        return P2V(pa);
    return vmm_ready() ? vmm_temp_map(pa) : NULL;
#line 643 "chapters/02-pmm.nw"
}
#line 744 "chapters/02-pmm.nw"
/* Fill the frame at MEM with PMM_POISON, four bytes at a time. */
static inline void
poison_frame(void *mem)
{
    size_t words = PAGE_SIZE / 4;
    __asm__ volatile("rep stosl" : "+D"(mem), "+c"(words)
                     : "a"(PMM_POISON * 0x01010101u) : "memory");
}
#line 492 "chapters/02-pmm.nw"
/* The lowest page-aligned [start, start+size) inside usable RAM below
 * PMM_METADATA_LIMIT that overlaps nothing reserved, or PHYS_LIMIT if
 * there is none. */
static uint64_t
find_room(uint64_t size)
{
    uint64_t best = PHYS_LIMIT;
    for (int i = 0; i < pmm.usable.n; i++) {
        uint64_t s = pmm.usable.r[i].start, e = pmm.usable.r[i].end;
        e = e < PMM_METADATA_LIMIT ? e : PMM_METADATA_LIMIT;
        for (bool moved = true; moved && s + size <= e; ) {
            moved = false;
            for (int j = 0; j < pmm.reserved.n; j++) {
                const struct pmm_range *r = &pmm.reserved.r[j];
                if (overlaps(s, s + size, r->start, r->end)) {
                    s = ALIGN_UP(r->end, (uint64_t)PAGE_SIZE);
                    moved = true;
                }
            }
        }
        if (s + size <= e && s < best)
            best = s;
    }
    return best;
}
#line 572 "chapters/02-pmm.nw"
uint32_t
pmm_setup(const struct pmm_ranges *usable, const struct pmm_ranges *reserved)
{
    clean_usable(usable);
    pmm.reserved = *reserved;
    uint64_t highest = 0;
    for (int i = 0; i < pmm.usable.n; i++)
        highest = pmm.usable.r[i].end > highest ? pmm.usable.r[i].end : highest;
    pmm.frames = (uint32_t)(highest / PAGE_SIZE);
    pmm.capacity = (uint32_t)(pmm.total / PAGE_SIZE);
#line 589 "chapters/02-pmm.nw"
    uint64_t stack_bytes = ALIGN_UP((uint64_t)pmm.capacity * 4, (uint64_t)4);
    uint64_t bitmap_bytes = ALIGN_UP(((uint64_t)pmm.frames + 31) / 32 * 4, (uint64_t)4);
    uint64_t size = ALIGN_UP(stack_bytes + bitmap_bytes, (uint64_t)PAGE_SIZE);
    uint64_t at = find_room(size);
    pmm.top = 0;
    if (pmm.capacity == 0 || at == PHYS_LIMIT) {
        pmm.capacity = pmm.frames = 0;          /* no RAM we may use: every allocation fails */
        if (pmm.total == 0)
            kprintf("pmm: no usable memory for the frame allocator\n");
        else
            kprintf("pmm: no room for the frame allocator's %llu KiB of bookkeeping: no free "
                    "stretch of usable RAM below %s that the kernel, the modules and the boot "
                    "information leave free\n", (unsigned long long)(size / 1024), PMM_METADATA_WHERE);
        return 0;
    }
    pmm.metadata = (struct pmm_range){ at, at + size };
    range_add(&pmm.reserved, at, at + size);
    pmm.stack = pmm_frame((phys_addr_t)at);
    if (!pmm.stack)
        panic("pmm_setup: the bookkeeping at 0x%llx cannot be reached", (unsigned long long)at);
    pmm.bitmap = (uint32_t *)((uint8_t *)pmm.stack + stack_bytes);
    memset(pmm.bitmap, 0, bitmap_bytes);
#line 614 "chapters/02-pmm.nw"
    for (int i = pmm.usable.n - 1; i >= 0; i--) {
        for (uint64_t pa = pmm.usable.r[i].end; pa > pmm.usable.r[i].start; ) {
            pa -= PAGE_SIZE;
            if (managed(pa) && !is_free((phys_addr_t)pa) && pmm.top < pmm.capacity) {
                pmm.stack[pmm.top++] = (uint32_t)pa;
                mark((phys_addr_t)pa, true);
            }
        }
    }
#line 584 "chapters/02-pmm.nw"
    return pmm.top;
}
#line 656 "chapters/02-pmm.nw"
phys_addr_t
pmm_alloc_page(void)
{
    if (pmm.top == 0)
        return PMM_NO_FRAME;
    phys_addr_t pa = pmm.stack[--pmm.top];
    mark(pa, false);
    return pa;
}
#line 702 "chapters/02-pmm.nw"
bool
pmm_allocated(phys_addr_t pa)
{
    return IS_ALIGNED(pa, PAGE_SIZE) && managed(pa) && pa / PAGE_SIZE < pmm.frames && !is_free(pa);
}

int
pmm_free_page(phys_addr_t pa)
{
    if (!IS_ALIGNED(pa, PAGE_SIZE))
        return pmm_error("0x%08x is not the start of a frame", pa);
    if (!managed(pa) || pa / PAGE_SIZE >= pmm.frames)
        return pmm_error("0x%08x is not a frame this allocator hands out "
                         "(not usable RAM, or reserved)", pa);
    if (is_free(pa))
        return pmm_error("double free of frame 0x%08x", pa);
#line 726 "chapters/02-pmm.nw"
    #ifdef HEAP_DEBUG
    void *mem = pmm_frame(pa);
    if (mem)
        poison_frame(mem);
    #endif
#line 719 "chapters/02-pmm.nw"
    pmm.stack[pmm.top++] = pa;
    mark(pa, true);
    return MEM_SUCCESS;
}
#line 759 "chapters/02-pmm.nw"
static int
pmm_error(const char *fmt, ...)
{
    va_list ap;
    kprintf("pmm_free_page: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    pmm_errors++;
    return MEM_INVALID;
}
#line 782 "chapters/02-pmm.nw"
void
pmm_fill_stats(memory_stats_t *s)
{
    s->total_physical = (uint32_t)(pmm.total > 0xFFFFFFFFu ? 0xFFFFFFFFu : pmm.total);
    s->free_physical = pmm.top * PAGE_SIZE;
    s->used_physical = s->total_physical - s->free_physical;
}

uint32_t
pmm_free_frames(void)
{
    return pmm.top;
}
#line 902 "chapters/02-pmm.nw"
const struct pmm_ranges *
pmm_reserved(void)
{
    return &pmm.reserved;
}

struct pmm_range
pmm_metadata(void)
{
    return pmm.metadata;
}
#line 208 "chapters/02-pmm.nw"
/* Everything the kernel uses or the loader handed over, as physical ranges. */
static void
pmm_reserve_boot(const struct multiboot_info *mbi, struct pmm_ranges *reserved)
{
    range_add(reserved, 0, LOW_MEMORY_END);            /* frame 0, BIOS, VGA, ROMs */
    range_add(reserved, V2P(_kernel_start), V2P(_kernel_end));
    range_add(reserved, heap_phys, heap_phys + INITIAL_HEAP_SIZE);   /* chapter 1 */
    range_add(reserved, V2P(mbi), V2P(mbi) + sizeof(*mbi));
    if (mbi->flags & MULTIBOOT_INFO_MEM_MAP)
        range_add(reserved, mbi->mmap_addr, (uint64_t)mbi->mmap_addr + mbi->mmap_length);
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        reserve_string(reserved, mbi->cmdline);
    if (mbi->flags & MULTIBOOT_INFO_LOADER)
        reserve_string(reserved, mbi->boot_loader_name);
#line 231 "chapters/02-pmm.nw"
    if (mbi->flags & MULTIBOOT_INFO_MODS) {
        const struct multiboot_module *m = P2V(mbi->mods_addr);
        range_add(reserved, mbi->mods_addr, (uint64_t)mbi->mods_addr + mbi->mods_count * sizeof(*m));
        for (uint32_t i = 0; i < mbi->mods_count; i++) {
            range_add(reserved, m[i].mod_start, m[i].mod_end);
            reserve_string(reserved, m[i].string);
        }
    }
#line 223 "chapters/02-pmm.nw"
}
#line 242 "chapters/02-pmm.nw"
static void
reserve_string(struct pmm_ranges *reserved, uint32_t pa)
{
    if (pa)
        range_add(reserved, pa, (uint64_t)pa + strlen(P2V(pa)) + 1);
}
#line 817 "chapters/02-pmm.nw"
void
pmm_init(const struct multiboot_info *mbi)
{
    struct pmm_ranges usable = { 0 }, reserved = { 0 };
    if (!mbi) {
        kprintf("pmm: no multiboot information: no physical memory manager\n");
        return;
    }
    if (mbi->flags & MULTIBOOT_INFO_MEM_MAP) {
        pmm_parse_map(P2V(mbi->mmap_addr), mbi->mmap_length, &usable, &reserved);
        print_map(P2V(mbi->mmap_addr), mbi->mmap_length);
    } else if (mbi->flags & MULTIBOOT_INFO_MEMORY) {
        range_add(&usable, 0, (uint64_t)mbi->mem_lower * 1024);
        range_add(&usable, 0x100000, 0x100000 + (uint64_t)mbi->mem_upper * 1024);
    }
    pmm_reserve_boot(mbi, &reserved);
    uint32_t n = pmm_setup(&usable, &reserved);
    kprintf("pmm: %u frames free (%u KiB) of %u KiB usable; stack and bitmap at 0x%08x\n",
            n, n * (PAGE_SIZE / 1024), (unsigned)(pmm.total / 1024), (unsigned)pmm.metadata.start);
}
#line 850 "chapters/02-pmm.nw"
void
print_map(const void *map, uint32_t length)
{
    static const char *const types[] = { "?", "usable", "reserved", "ACPI", "ACPI NVS", "bad" };
    kprintf("  base                length              type\n");
    const struct multiboot_mmap_entry *e;
    for (uint32_t off = 0; (e = map_next(map, length, &off)) != NULL; )
        kprintf("  0x%016llx  0x%016llx  %-10s  (%llu KiB)\n", (unsigned long long)e->addr,
                (unsigned long long)e->len, types[e->type < 6 ? e->type : 0],
                (unsigned long long)(e->len / 1024));
}
