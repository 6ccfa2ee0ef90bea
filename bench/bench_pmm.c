/* bench_pmm.c: four data structures for free frames, measured in one run
 * over the same 512 MiB of simulated RAM (frames above the first MiB):
 *
 *   stack   a stack of free frame numbers (the structure of chapter 2, bare)
 *   bitmap  one bit per frame, next-fit scan from a moving hint (exercise
 *           ch2-bitmap)
 *   list    a free list threaded through the free frames themselves (xv6)
 *   buddy   blocks of 2^0..2^10 frames, split and merged (Linux; exercise
 *           ch2-buddy), free lists threaded through the free blocks, one
 *           state byte per frame
 *
 * and chapter 2's real pmm.c (stack + bitmap, checks, poisoning) through the
 * host wrapper.  For each: the time of an allocation plus a free in two
 * patterns, the setup time, the bookkeeping per frame, the time to find a
 * run of 16 contiguous frames, and whether a double free is caught (tried,
 * not assumed).  Prints a table; with --json FILE also writes the figures
 * the book cites (book/measured/frames.json, `make measure-frames`).
 * Asserts nothing. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include <sys/mman.h>
#include "pmm.h"
#include "kheap.h"

extern uint8_t *host_ram;

#define MIB     512u
#define FRAMES  (MIB * 256u)            /* frames in [0, 512 MiB) */
#define FIRST   256u                    /* the first MiB is never handed out */
#define NONE    0xFFFFFFFFu
#define RUN     16u                     /* a contiguous run: 16 frames, 64 KiB, aligned */
#define CHURN_HELD 4096                 /* frames held during the churn pattern */
#define BATCH   65536u                  /* frames in the batch pattern (256 MiB) */

static uint8_t *ram;                    /* the simulated RAM of the four structures */

static uint32_t *
frame_word(uint32_t f)
{
    return (uint32_t *)(ram + (size_t)f * PAGE_SIZE);
}

/* Each structure: setup over [FIRST, FRAMES); alloc one frame (NONE if
 * none); free one frame (0, or -1 if it refuses); bytes of bookkeeping
 * outside the free frames; a run of RUN aligned frames (NONE if none, or if
 * the structure cannot say), and its free. */
struct frames_ops {
    const char *name;
    void (*setup)(void);
    uint32_t (*alloc)(void);
    int (*release)(uint32_t f);
    size_t (*bookkeeping)(void);
    uint32_t (*alloc_run)(void);
    void (*free_run)(uint32_t f);
};

/* --- stack: an array of free frame numbers ------------------------------- */
static uint32_t stack[FRAMES], top;

static void stack_setup(void) { top = 0; for (uint32_t f = FRAMES; f-- > FIRST; ) stack[top++] = f; }
static uint32_t stack_alloc(void) { return top ? stack[--top] : NONE; }
static int stack_free(uint32_t f) { stack[top++] = f; return 0; }
static size_t stack_bytes(void) { return sizeof(uint32_t) * (FRAMES - FIRST); }

/* --- bitmap: one bit per frame, 1 = free, next-fit from a hint ---------- */
static uint64_t bits[FRAMES / 64];
static uint32_t hint;

static void
bitmap_setup(void)
{
    memset(bits, 0, sizeof bits);
    for (uint32_t f = FIRST; f < FRAMES; f++)
        bits[f / 64] |= 1ull << (f % 64);
    hint = 0;
}

static uint32_t
bitmap_alloc(void)
{
    for (uint32_t n = 0; n < FRAMES / 64; n++, hint = (hint + 1) % (FRAMES / 64))
        if (bits[hint]) {
            int b = __builtin_ctzll(bits[hint]);
            bits[hint] &= ~(1ull << b);
            return hint * 64 + b;
        }
    return NONE;
}

static int
bitmap_free(uint32_t f)
{
    if (bits[f / 64] >> (f % 64) & 1)
        return -1;                                  /* already free */
    bits[f / 64] |= 1ull << (f % 64);
    return 0;
}

static size_t bitmap_bytes(void) { return sizeof bits; }

/* The lowest aligned run of RUN free frames: RUN bits of one word at once. */
static uint32_t
bitmap_alloc_run(void)
{
    const uint64_t mask = (1ull << RUN) - 1;
    for (uint32_t w = 0; w < FRAMES / 64; w++)
        for (uint32_t s = 0; s < 64 && bits[w]; s += RUN)
            if ((bits[w] >> s & mask) == mask) {
                bits[w] &= ~(mask << s);
                return w * 64 + s;
            }
    return NONE;
}

static void
bitmap_free_run(uint32_t f)
{
    bits[f / 64] |= ((1ull << RUN) - 1) << (f % 64);
}

/* --- list: the next free frame's number in each free frame's first word - */
static uint32_t list_head;

static void
list_setup(void)
{
    list_head = NONE;
    for (uint32_t f = FRAMES; f-- > FIRST; ) {
        *frame_word(f) = list_head;
        list_head = f;
    }
}

static uint32_t
list_alloc(void)
{
    uint32_t f = list_head;
    if (f != NONE)
        list_head = *frame_word(f);
    return f;
}

static int
list_free(uint32_t f)
{
    *frame_word(f) = list_head;
    list_head = f;
    return 0;
}

static size_t list_bytes(void) { return sizeof list_head; }

/* --- buddy: free blocks of 2^k frames, k = 0..10 -------------------------- */
#define MAX_ORDER 10
#define NOT_HEAD  0xFF
static uint8_t state[FRAMES];           /* k: the head of a free block of order k */
static uint32_t heads[MAX_ORDER + 1];   /* first free block of each order */

struct link { uint32_t next, prev; };   /* in the first frame of a free block */
static struct link *link_of(uint32_t f) { return (struct link *)frame_word(f); }

static void
push(uint32_t f, int k)
{
    struct link *l = link_of(f);
    l->next = heads[k];
    l->prev = NONE;
    if (heads[k] != NONE)
        link_of(heads[k])->prev = f;
    heads[k] = f;
    state[f] = (uint8_t)k;
}

static void
unlink_block(uint32_t f, int k)
{
    struct link *l = link_of(f);
    if (l->prev != NONE)
        link_of(l->prev)->next = l->next;
    else
        heads[k] = l->next;
    if (l->next != NONE)
        link_of(l->next)->prev = l->prev;
    state[f] = NOT_HEAD;
}

static void
buddy_setup(void)
{
    memset(state, NOT_HEAD, sizeof state);
    for (int k = 0; k <= MAX_ORDER; k++)
        heads[k] = NONE;
    for (uint32_t f = FIRST; f < FRAMES; ) {
        int k = MAX_ORDER;
        while (k > 0 && ((f & ((1u << k) - 1)) || f + (1u << k) > FRAMES))
            k--;
        push(f, k);
        f += 1u << k;
    }
}

static uint32_t
buddy_alloc_order(int order)
{
    int k = order;
    while (k <= MAX_ORDER && heads[k] == NONE)
        k++;
    if (k > MAX_ORDER)
        return NONE;
    uint32_t f = heads[k];
    unlink_block(f, k);
    while (k > order) {                 /* split: the upper half stays free */
        k--;
        push(f + (1u << k), k);
    }
    return f;
}

static int
buddy_free_order(uint32_t f, int order)
{
    for (int j = 0; j <= MAX_ORDER; j++) {          /* inside a free block already? */
        uint32_t h = f & ~((1u << j) - 1);
        if (state[h] == j)
            return -1;
    }
    int k = order;
    while (k < MAX_ORDER) {                         /* merge with a free buddy */
        uint32_t b = f ^ (1u << k);
        if (b < FIRST || b + (1u << k) > FRAMES || state[b] != k)
            break;
        unlink_block(b, k);
        f &= ~(1u << k);
        k++;
    }
    push(f, k);
    return 0;
}

static uint32_t buddy_alloc(void) { return buddy_alloc_order(0); }
static int buddy_free(uint32_t f) { return buddy_free_order(f, 0); }
static size_t buddy_bytes(void) { return sizeof state + sizeof heads; }
static uint32_t buddy_alloc_run(void) { return buddy_alloc_order(4); }
static void buddy_free_run(uint32_t f) { buddy_free_order(f, 4); }

static const struct frames_ops structures[] = {
    { "stack", stack_setup, stack_alloc, stack_free, stack_bytes, NULL, NULL },
    { "bitmap", bitmap_setup, bitmap_alloc, bitmap_free, bitmap_bytes, bitmap_alloc_run, bitmap_free_run },
    { "list", list_setup, list_alloc, list_free, list_bytes, NULL, NULL },
    { "buddy", buddy_setup, buddy_alloc, buddy_free, buddy_bytes, buddy_alloc_run, buddy_free_run },
};

/* --- the patterns ------------------------------------------------------- */
static uint32_t held[BATCH];

/* A cheap random number (xorshift32), so that the churn measures the
 * allocator and not rand(). */
static uint32_t seed = 7;

/* Churn: hold CHURN_HELD frames, then free a random one and allocate one,
 * PAIRS times.  ns per free + alloc. */
static double
churn(uint32_t (*alloc)(void), int (*release)(uint32_t), long pairs)
{
    for (int i = 0; i < CHURN_HELD; i++)
        held[i] = alloc();
    seed = 7;
    double t = now();
    for (long i = 0; i < pairs; i++) {
        uint32_t k = xorshift32(&seed) % CHURN_HELD;
        release(held[k]);
        held[k] = alloc();
    }
    t = now() - t;
    for (int i = 0; i < CHURN_HELD; i++)
        release(held[i]);
    return t / pairs * 1e9;
}

/* Batch: allocate BATCH frames, free them in a random order, allocate them
 * again, free them again.  ns per alloc + free. */
static double
batch(uint32_t (*alloc)(void), int (*release)(uint32_t))
{
    srand(11);
    double t = 0;
    for (int round = 0; round < 2; round++) {
        double t0 = now();
        for (uint32_t i = 0; i < BATCH; i++)
            held[i] = alloc();
        t += now() - t0;
        for (uint32_t i = BATCH - 1; i > 0; i--) {              /* shuffle, untimed */
            uint32_t j = (uint32_t)rand() % (i + 1), x = held[i];
            held[i] = held[j];
            held[j] = x;
        }
        t0 = now();
        for (uint32_t i = 0; i < BATCH; i++)
            release(held[i]);
        t += now() - t0;
    }
    return t / (2.0 * BATCH) * 1e9;
}

/* A run of RUN frames, allocated and freed, in a fragmented state: every
 * frame allocated, then every other frame freed in random order, so that no
 * aligned run is free anywhere and the search fails; then the search again
 * with the last 64 MiB freed completely (a run exists, near the top). */
static void
runs(const struct frames_ops *s, double *fail_ns, double *found_ns)
{
    uint32_t n = 0, f;
    static uint32_t all[FRAMES];
    while ((f = s->alloc()) != NONE)
        all[n++] = f;
    srand(13);
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rand() % (i + 1), x = all[i];
        all[i] = all[j];
        all[j] = x;
    }
    for (uint32_t i = 0; i < n; i++)
        if (all[i] % 2 == 0)
            s->release(all[i]);
    enum { TRIES = 200 };
    double t = now();
    for (int i = 0; i < TRIES; i++)
        if (s->alloc_run() != NONE)
            abort();                            /* cannot be: no free pair of buddies */
    *fail_ns = (now() - t) / TRIES * 1e9;
    for (uint32_t i = 0; i < n; i++)
        if (all[i] % 2 == 1 && all[i] >= FRAMES - 64 * 256)
            s->release(all[i]);
    t = now();
    for (int i = 0; i < TRIES; i++) {
        uint32_t r = s->alloc_run();
        if (r == NONE)
            abort();
        s->free_run(r);
    }
    *found_ns = (now() - t) / TRIES * 1e9;
    s->setup();
}

/* Free a frame twice: refused (caught), or handed out twice afterwards? */
static const char *
double_free(uint32_t (*alloc)(void), int (*release)(uint32_t))
{
    uint32_t a = alloc(), b = alloc();
    release(a);
    if (release(a) != 0) {
        release(b);
        return "refused";
    }
    uint32_t x = alloc(), y = alloc();
    return x == y ? "handed out twice" : "not caught";
}

/* --- chapter 2's pmm.c ---------------------------------------------------- */
static uint32_t pmm_alloc(void) { phys_addr_t pa = pmm_alloc_page(); return pa == PMM_NO_FRAME ? NONE : pa / PAGE_SIZE; }
static int pmm_release(uint32_t f) { return pmm_free_page(f * PAGE_SIZE) == MEM_SUCCESS ? 0 : -1; }

static uint32_t
pmm_setup_512(void)
{
    struct pmm_ranges usable = { 1, { { FIRST * PAGE_SIZE, (uint64_t)FRAMES * PAGE_SIZE } } }, reserved = { 0 };
    return pmm_setup(&usable, &reserved);
}

/* --- the report ------------------------------------------------------------ */
static FILE *json;
static int json_n;

static void
fact(const char *key, const char *fmt, ...)
{
    char v[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    if (json)
        fprintf(json, "%s  \"%s\": \"%s\"", json_n++ ? ",\n" : "", key, v);
}

/* Bytes per frame as the book prints them: 4, 0.125, 0 (not 3.06e-05). */
static const char *
bytes(double b)
{
    static char text[8][16];
    static int n;
    char *t = text[n++ % 8];
    snprintf(t, 16, "%.3f", b);
    for (char *e = t + strlen(t) - 1; *e == '0' || *e == '.'; e--) {
        char c = *e;
        *e = '\0';
        if (c == '.')
            break;
    }
    return t;
}

static double
best(double a, double b)
{
    return a < b ? a : b;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--json") && !(json = fopen(argv[2], "w")))
        return perror(argv[2]), 1;
    if (json)
        fprintf(json, "{\n");
    ram = mmap(NULL, (size_t)FRAMES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        return perror("mmap"), 1;
    memset(ram, 0, (size_t)FRAMES * PAGE_SIZE);                /* touch every page once */
    host_ram = calloc(64 << 20, 1);

    fact("mib", "%u", MIB);
    fact("frames", "%u", FRAMES - FIRST);
    fact("churn_held", "%u", CHURN_HELD);
    fact("batch_frames", "%u", BATCH);
    fact("batch_mib", "%u", BATCH / 256);
    fact("run_frames", "%u", RUN);
    printf("%u MiB, %u frames above the first MiB; ns per allocation + free, best of 3\n",
           MIB, FRAMES - FIRST);
    printf("%-8s %9s %9s %9s %12s %11s %11s  %s\n", "", "churn", "batch", "setup us",
           "bytes/frame", "run found", "run absent", "double free");
    for (size_t i = 0; i < sizeof structures / sizeof structures[0]; i++) {
        const struct frames_ops *s = &structures[i];
        double c = 1e9, b = 1e9, setup = 1e9, found = 1e9, fail = 1e9;
        for (int r = 0; r < 3; r++) {
            double t = now();
            s->setup();
            setup = best(setup, (now() - t) * 1e6);
            c = best(c, churn(s->alloc, s->release, 2000000));
            b = best(b, batch(s->alloc, s->release));
            if (s->alloc_run) {
                double f1, f2;
                runs(s, &f1, &f2);
                fail = best(fail, f1);
                found = best(found, f2);
            }
        }
        s->setup();
        const char *df = double_free(s->alloc, s->release);
        double per_frame = (double)s->bookkeeping() / (FRAMES - FIRST);
        char fs[32] = "-", fl[32] = "-";
        if (s->alloc_run) {
            snprintf(fs, sizeof fs, "%.0f ns", found);
            snprintf(fl, sizeof fl, "%.0f ns", fail);
        }
        printf("%-8s %9.1f %9.1f %9.0f %12s %11s %11s  %s\n", s->name, c, b, setup, bytes(per_frame), fs, fl, df);
        char key[64];
#define KEY(suffix) (snprintf(key, sizeof key, "%s_%s", s->name, suffix), key)
        fact(KEY("churn_ns"), "%.1f", c);
        fact(KEY("batch_ns"), "%.1f", b);
        fact(KEY("setup_us"), "%.0f", setup);
        fact(KEY("bytes_per_frame"), "%s", bytes(per_frame));
        fact(KEY("kib"), "%zu", (s->bookkeeping() + 1023) / 1024);
        fact(KEY("double_free"), "%s", df);
        if (s->alloc_run) {
            fact(KEY("run_found_ns"), "%.0f", found);
            fact(KEY("run_absent_ns"), "%.0f", fail);
        }
    }

    /* Chapter 2's allocator: the stack with its bitmap, its checks, and the
     * poisoning of every freed frame (frames below 64 MiB: host_ram). */
    double t = now();
    uint32_t n = pmm_setup_512();
    t = now() - t;
    double c = 1e9, poison = 1e9;
    for (int r = 0; r < 3; r++) {
        c = best(c, churn(pmm_alloc, pmm_release, 2000000));
        double p = now();
        for (int i = 0; i < 100000; i++)            /* the poisoning alone, on frames of ram */
            memset(ram + (size_t)(FIRST + i % CHURN_HELD) * PAGE_SIZE, PMM_POISON, PAGE_SIZE);
        poison = best(poison, (now() - p) / 100000 * 1e9);
    }
    struct pmm_range m = pmm_metadata();
    double per_frame = (double)(m.end - m.start) / n;
    const char *df = double_free(pmm_alloc, pmm_release);      /* pmm.c prints its refusal */
    printf("%-8s %9.1f %9s %9.0f %12s %11s %11s  %s\n", "pmm.c", c, "-", t * 1e6, bytes(per_frame), "-", "-", df);
    printf("(pmm.c = chapter 2: a stack and a bitmap, the checks of every free, and %.0f ns of poisoning"
           " per freed frame; its metadata rounded up to whole frames)\n", poison);
    fact("pmm_churn_ns", "%.1f", c);
    fact("pmm_setup_us", "%.0f", t * 1e6);
    fact("pmm_bytes_per_frame", "%s", bytes(per_frame));
    fact("pmm_kib", "%llu", (unsigned long long)((m.end - m.start) / 1024));
    fact("pmm_double_free", "%s", df);
    fact("poison_ns", "%.0f", poison);
    if (json) {
        fprintf(json, ",\n  \"_command\": \"make measure-frames\"\n}\n");
        fclose(json);
    }
    return 0;
}
