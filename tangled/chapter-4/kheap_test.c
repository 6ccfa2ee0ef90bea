#line 2044 "chapters/01-heap.nw"
/* kheap_test.c: in-kernel tests of the heap. */
#include "ktest.h"
#include "kheap.h"
#include "kstring.h"
#include "multiboot.h"

#line 2058 "chapters/01-heap.nw"
static char output[2048];

static bool
heap_is_pristine(void)
{
    memory_stats_t s;
    memory_get_stats(&s);
    return heap_check() == MEM_SUCCESS && s.heap_blocks == 1 && s.heap_used == 0;
}

static bool
said(const char *phrase)
{
    size_t n = strlen(phrase);
    for (const char *p = output; *p; p++)
        if (memcmp(p, phrase, n) == 0)
            return true;
    return false;
}
#line 966 "chapters/04-slab.nw"
/* Chapter 4: these tests are about the first-fit heap: call it directly. */
#undef kmalloc
#undef kcalloc
#undef krealloc
#undef kfree
#define kmalloc(size)        heap_alloc_at((size), HEAP_SITE)
#define kcalloc(n, size)     heap_calloc_at((n), (size), HEAP_SITE)
#define krealloc(p, size)    heap_realloc_at((p), (size), HEAP_SITE)
#define kfree(p)             heap_free_at((p), HEAP_SITE)
#line 2084 "chapters/01-heap.nw"
KTEST(heap_starts_pristine)
{
    KCHECK(heap_is_pristine());
    KCHECK(kmalloc(0) == NULL);
    KCHECK_EQ(heap_last_error(), MEM_SUCCESS);
}

KTEST(heap_payloads_are_aligned)
{
    void *p[24];
    for (int i = 0; i < 24; i++) {
        p[i] = kmalloc(i + 1);
        KCHECK(p[i] && ((uintptr_t)p[i] & (HEAP_ALIGN - 1)) == 0);
        memset(p[i], 0xA5, i + 1);
    }
    for (int i = 0; i < 24; i++)
        kfree(p[i]);
    KCHECK(heap_is_pristine());
}
#line 2111 "chapters/01-heap.nw"
KTEST(heap_split_and_coalesce)
{
    memory_stats_t s;
    char *a = kmalloc(40), *b = kmalloc(40), *c = kmalloc(100);
    KCHECK(a && b && c && b == a + 40 + 32 && c == b + 40 + 32);
    kfree(b);                                   /* a hole between two live blocks */
    memory_get_stats(&s);
    KCHECK_EQ(s.heap_blocks, 4);
    kfree(a);                                   /* merges with the hole after it */
    memory_get_stats(&s);
    KCHECK_EQ(s.heap_blocks, 3);
    KCHECK(kmalloc(40 + 32 + 40) == a);         /* the merged block fits exactly */
    kfree(a);
    kfree(c);                                   /* merges both ways */
    KCHECK(heap_is_pristine());
}
#line 2134 "chapters/01-heap.nw"
KTEST(heap_rejects_impossible_sizes)
{
    KCHECK(kmalloc((size_t)-1) == NULL);
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    KCHECK(kmalloc((size_t)-1 - 6) == NULL);        /* (size + 7) & ~7 would wrap to 0 */
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    KCHECK(kcalloc((size_t)1 << 20, (size_t)1 << 20) == NULL);
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    KCHECK(heap_is_pristine());
}
#line 1665 "chapters/03-vmm.nw"
KTEST(heap_large_allocation_grows)
{
    char *p = kmalloc(65536);
    KCHECK(p != NULL);
    if (p)
        memset(p, 1, 65536);
    kfree(p);
    heap_trim();
    KCHECK(heap_is_pristine());
}
#line 2172 "chapters/01-heap.nw"
KTEST(heap_exhaustion_and_recovery)
{
    static uint8_t *blocks[128];
    int n = 0;
    while (n < 128 && (blocks[n] = kmalloc(1000)) != NULL) {
        memset(blocks[n], n, 1000);
        n++;
    }
    KCHECK(n > 50);                                 /* 64 KiB / (1000 + 32) = 63 */
    KCHECK(n == 128 || heap_last_error() == MEM_OUT_OF_MEM);   /* 128: a heap that grows */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 1000; j++)
            if (blocks[i][j] != (uint8_t)i)
                ktest_fail(__FILE__, __LINE__, "block %d byte %d overwritten", i, j);
    for (int i = n - 1; i >= 0; i -= 2)
        kfree(blocks[i]);
    for (int i = n - 2; i >= 0; i -= 2)
        kfree(blocks[i]);
    KCHECK(heap_is_pristine());
}
#line 2200 "chapters/01-heap.nw"
KTEST(heap_realloc_in_place_and_moving)
{
    char *a = kmalloc(64), *b = kmalloc(64);
    memset(a, 'a', 64);
    KCHECK(krealloc(a, 16) == a);                   /* shrink: stays */
    KCHECK(krealloc(a, 64) == a);                   /* grow into the freed tail */
    kfree(b);
    KCHECK(krealloc(a, 200) == a);                  /* grow into the free neighbour */
    char *c = kmalloc(8);                           /* now a has a live neighbour */
    char *d = krealloc(a, 400);                     /* must move */
    KCHECK(d && d != a && d[0] == 'a' && d[15] == 'a');
    KCHECK(krealloc(d, (size_t)-1) == NULL && d[0] == 'a'); /* failure keeps d */
    kfree(c);
    kfree(d);
    KCHECK(heap_is_pristine());
}
#line 2222 "chapters/01-heap.nw"
KTEST(heap_detects_double_free)
{
    void *p = kmalloc(32);
    kfree(p);
    unsigned errors = heap_error_count();
    console_capture(output, sizeof(output));
    kfree(p);
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    KCHECK_EQ(heap_error_count(), errors + 1);
    KCHECK(said("double free"));
    KCHECK(krealloc(p, 8) == NULL && heap_last_error() == MEM_INVALID);
    KCHECK(said("use after free"));                 /* not a "double free" */
    console_capture(NULL, 0);
    KCHECK(heap_is_pristine());
}

KTEST(heap_detects_foreign_and_misaligned_pointers)
{
    int local;
    char *p = kmalloc(32);
    console_capture(output, sizeof(output));
    kfree(&local);
    KCHECK(heap_last_error() == MEM_INVALID && said("is not in the heap"));
    kfree(p + 1);
    KCHECK(heap_last_error() == MEM_INVALID && said("is not aligned"));
    kfree(p + 8);                                   /* interior, aligned */
    KCHECK(heap_last_error() == MEM_INVALID && said("is not a heap block"));
    kfree(p - 32);                                  /* the heap's start: a header */
    KCHECK(heap_last_error() == MEM_INVALID && said("into the first block's header"));
    console_capture(NULL, 0);
    kfree(p);
    KCHECK(heap_is_pristine());
}
#line 2263 "chapters/01-heap.nw"
KTEST(heap_detects_merged_away_and_fake_blocks)
{
    char *a = kmalloc(40), *b = kmalloc(40), *c = kmalloc(40);
    kfree(a);
    kfree(b);                                       /* b is merged into a */
    console_capture(output, sizeof(output));
    kfree(b);
    KCHECK(heap_last_error() == MEM_INVALID && said("is not a heap block"));
    uint32_t *fake = (uint32_t *)c;                 /* a "header" inside c's payload */
    fake[0] = HEAP_MAGIC_ALLOC;
    kfree(c + 32);
    KCHECK_EQ(heap_last_error(), MEM_INVALID);
    console_capture(NULL, 0);
    kfree(c);
    KCHECK(heap_is_pristine());
}
#line 2290 "chapters/01-heap.nw"
KTEST(heap_detects_header_overflow)
{
    char *a = kmalloc(40), *b = kmalloc(40);
    memset(a, 'x', 40 + 8);                         /* 8 bytes too many */
    console_capture(output, sizeof(output));
    kfree(b);
    KCHECK_EQ(heap_last_error(), MEM_INVALID);      /* b's header is gone */
    KCHECK_EQ(heap_check(), MEM_CORRUPT);
    char *c = kmalloc(16);                          /* walks past b, fences it */
    KCHECK(c != NULL && c > b && heap_last_error() == MEM_CORRUPT);
    KCHECK(said("corrupt") && said("fenced off"));
    console_capture(NULL, 0);
    KCHECK_EQ(heap_check(), MEM_SUCCESS);           /* contained */
    kfree(c);
    kfree(a);
    KCHECK_EQ(heap_unfence(b), MEM_SUCCESS);
    KCHECK(heap_is_pristine());
}

KTEST(heap_catches_a_one_byte_overrun_at_kfree)
{
    char *a = kmalloc(40), *b = kmalloc(40), *c = kmalloc(40);
    console_capture(output, sizeof(output));
    a[40] = 0;                                      /* one byte too many: b's magic */
    kfree(a);
    KCHECK_EQ(heap_last_error(), MEM_CORRUPT);
    KCHECK(said("kfree: the header after block") && said("fenced off"));
    KCHECK_EQ(heap_check(), MEM_SUCCESS);           /* the rest keeps working */
    char *d = kmalloc(200);
    KCHECK(d != NULL && d > c);
    kfree(b);                                       /* the fenced block is refused */
    KCHECK(heap_last_error() == MEM_INVALID && said("fenced off after it was damaged"));
    console_capture(NULL, 0);
    kfree(d);
    kfree(c);
    KCHECK_EQ(heap_unfence(b), MEM_SUCCESS);
    KCHECK(heap_is_pristine());
}
#line 2331 "chapters/01-heap.nw"
KTEST(heap_detects_write_after_free)
{
    char *p = kmalloc(64);
    kfree(p);
    p[10] = 42;                                     /* the bug */
    KCHECK_EQ(heap_check(), MEM_CORRUPT);
    console_capture(output, sizeof(output));
    char *q = kmalloc(64);                          /* not the damaged bytes */
    console_capture(NULL, 0);
    KCHECK(q != NULL && q != p);
    KCHECK(heap_last_error() == MEM_CORRUPT && said("written after it was freed"));
    KCHECK_EQ(heap_check(), MEM_SUCCESS);           /* p's bytes are fenced off */
    kfree(q);
    KCHECK_EQ(heap_unfence(p), MEM_SUCCESS);
    KCHECK(heap_is_pristine());
}
#line 2355 "chapters/01-heap.nw"
KTEST(heap_statistics_are_exact)
{
    memory_stats_t s0, s;
    memory_get_stats(&s0);
    void *p = kmalloc(10), *q = kmalloc(100);
    memory_get_stats(&s);
    KCHECK_EQ(s.heap_used, 16 + 104);
    KCHECK_EQ(s.heap_free, s0.heap_free - 16 - 104 - 2 * 32);
    KCHECK_EQ(s.allocation_count, s0.allocation_count + 2);
    KCHECK_EQ(s.heap_used + s.heap_free + s.heap_blocks * 32, s.heap_size);
    kfree(p);
    kfree(q);
    memory_get_stats(&s);
    KCHECK_EQ(s.free_count, s0.free_count + 2);
    KCHECK_EQ(s.heap_free, s0.heap_free);
}

KTEST(heap_leaks_lists_live_blocks)
{
    void *p = kmalloc(24);
    console_capture(output, sizeof(output));
    KCHECK_EQ(heap_leaks(), 1);
    console_capture(NULL, 0);
    KCHECK(said("allocated at " __FILE__ ":"));   /* this file, as the #line says */
    kfree(p);
    KCHECK(heap_is_pristine());
}
#line 2389 "chapters/01-heap.nw"
KTEST(heap_left_the_modules_intact)
{
    for (uint32_t i = 0; i < heap_modules_summed; i++) {
        const struct multiboot_module *m = P2V(boot_info->mods_addr);
        kprintf("  module %u: %u KiB at 0x%08x, checksum 0x%08x\n", i,
                (m[i].mod_end - m[i].mod_start) / 1024, m[i].mod_start, heap_module_sums[i]);
        KCHECK_EQ(module_checksum(i), heap_module_sums[i]);
        KCHECK(m[i].mod_end <= heap_phys || m[i].mod_start >= heap_phys + INITIAL_HEAP_SIZE);
    }
}
#line 2402 "chapters/01-heap.nw"
KTEST(memset_and_memcpy_at_every_alignment)
{
    static uint8_t src[96], dst[96];
    for (int i = 0; i < 96; i++)
        src[i] = (uint8_t)(i * 7 + 1);
    for (int off = 0; off < 4; off++) {
        for (size_t n = 0; n < 64; n += 5) {
            memset(dst, 0, sizeof(dst));
            memcpy(dst + off, src + 3, n);
            KCHECK(memcmp(dst + off, src + 3, n) == 0 && dst[off + n] == 0);
            memset(dst + off, 0xC3, n);             /* a byte >= 0x80: UB in the design's */
            KCHECK(n == 0 || (dst[off] == 0xC3 && dst[off + n - 1] == 0xC3));
            KCHECK(dst[off + n] == 0 && (off == 0 || dst[off - 1] == 0));
        }
    }
    memcpy(dst, src, 96);
    memmove(dst + 5, dst, 80);                      /* overlapping, backwards */
    KCHECK(memcmp(dst + 5, src, 80) == 0);
    memmove(dst, dst + 5, 80);                      /* overlapping, forwards */
    KCHECK(memcmp(dst, src, 80) == 0);
}
