/* vmm_host.c: the simulated machine under chapter 3's vmm.c in the host
 * tests: physical memory, the MMU's table walk, the TLB, page faults, and
 * the privileged instructions x86.h declares instead of defining when
 * HOST_TEST is set (read_cr0 ... write_cr3, invlpg).  See vmm_host.h.
 *
 * Not simulated: the accessed and dirty bits (the walk does not set them),
 * CR4 (PSE is taken as set, as the boot code sets it), reserved-bit checks,
 * user mode, and the caches of directory entries (a TLB entry made from a
 * 4 MiB page is flushed as the processor does: by invlpg of any address in
 * it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <cmocka.h>
#include "kernel.h"
#include "x86.h"
#include "vmm_host.h"

/* The reserved GiB: the kernel's half of the address space. */
#define SIM_BASE   0xC0000000ul
#define SIM_SPAN   0x40000000ul
#define SIM_PAGES  (SIM_SPAN / PAGE_SIZE)

uint8_t *sim_ram;
uint32_t sim_cr0, sim_cr3;
struct sim_counters sim_count;
struct sim_fault sim_last_fault;
char _erodata[1], stack_guard[1];   /* vmm.c's linker symbols: no kernel image here */

static int ram_fd = -1;

/* The TLB: which host pages of the GiB are mapped (are "cached
 * translations"), in a ring of SIM_TLB_SIZE slots evicted oldest first. */
static int32_t tlb_slot[SIM_PAGES];             /* slot of page N of the GiB, or -1 */
static struct {
    uint32_t page;              /* page number in the GiB */
    bool used, large;           /* made from a 4 MiB directory entry */
} tlb[SIM_TLB_SIZE];
static unsigned tlb_next;

static void
die(const char *what)
{
    fprintf(stderr, "vmm_host: %s: %s\n", what, strerror(errno));
    abort();
}

uint32_t
sim_phys32(uint32_t pa)
{
    uint32_t v;
    memcpy(&v, sim_ram + pa, sizeof(v));
    return v;
}

/* Make page N of the GiB inaccessible again (an empty reservation). */
static void
unmap_host(uintptr_t va, size_t bytes)
{
    if (mmap((void *)va, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
             -1, 0) == MAP_FAILED)
        die("mmap PROT_NONE");
}

static void
tlb_drop(int slot)
{
    uint32_t page = tlb[slot].page;
    unmap_host(SIM_BASE + (uintptr_t)page * PAGE_SIZE, PAGE_SIZE);
    tlb_slot[page] = -1;
    tlb[slot].used = false;
}

static void
tlb_flush_all(void)
{
    unmap_host(SIM_BASE, SIM_SPAN);
    memset(tlb_slot, 0xFF, sizeof(tlb_slot));
    memset(tlb, 0, sizeof(tlb));
    tlb_next = 0;
}

/* Cache the translation of page N to FRAME: map the frame of the RAM file
 * at the page, with the rights the walk found. */
static void
tlb_fill(uint32_t page, uint32_t frame, bool writable, bool large)
{
    if (tlb_slot[page] >= 0)            /* a read-only entry, now written */
        tlb_drop(tlb_slot[page]);
    if (tlb[tlb_next].used) {
        tlb_drop(tlb_next);
        sim_count.evictions++;
    }
    void *va = (void *)(SIM_BASE + (uintptr_t)page * PAGE_SIZE);
    if (mmap(va, PAGE_SIZE, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED,
             ram_fd, frame) != va)
        die("mmap of a frame");
    tlb[tlb_next].page = page;
    tlb[tlb_next].used = true;
    tlb[tlb_next].large = large;
    tlb_slot[page] = (int32_t)tlb_next;
    tlb_next = (tlb_next + 1) % SIM_TLB_SIZE;
}

bool
sim_tlb_has(uintptr_t va)
{
    return va >= SIM_BASE && va - SIM_BASE < SIM_SPAN && tlb_slot[(va - SIM_BASE) / PAGE_SIZE] >= 0;
}

/* The privileged instructions. */
uint32_t
read_cr0(void)
{
    return sim_cr0;
}

uint32_t
read_cr2(void)
{
    return sim_last_fault.addr;
}

uint32_t
read_cr3(void)
{
    return sim_cr3;
}

/* The host mappings bake the rights in, so a change of CR0 (WP) empties
 * the simulated TLB; the processor checks WP at each access instead. */
void
write_cr0(uint32_t v)
{
    sim_cr0 = v;
    tlb_flush_all();
}

void
write_cr3(uint32_t v)
{
    sim_cr3 = v;
    sim_count.cr3_writes++;
    tlb_flush_all();
}

/* Forget the translation of VA, and every translation made from the
 * 4 MiB page around VA if that is how it was mapped. */
void
invlpg(uintptr_t va)
{
    sim_count.invlpgs++;
    if (va < SIM_BASE || va - SIM_BASE >= SIM_SPAN)
        return;
    uint32_t page = (va - SIM_BASE) / PAGE_SIZE;
    if (tlb_slot[page] >= 0)
        tlb_drop(tlb_slot[page]);
    uint32_t first = page & ~1023u;
    for (uint32_t p = first; p < first + 1024; p++)
        if (tlb_slot[p] >= 0 && tlb[tlb_slot[p]].large)
            tlb_drop(tlb_slot[p]);
}

/* Page faults: caught by sim_read/sim_write, or the end of the test. */
static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_armed, explaining;

static void
page_fault(uintptr_t va, uint32_t err)
{
    sim_count.faults++;
    sim_last_fault = (struct sim_fault){ (uint32_t)va, err };
    if (probe_armed) {
        probe_armed = false;
        siglongjmp(probe_env, 1);
    }
    /* Unexpected: print the kernel's own report, then fail the test.  The
     * report reads the tables through the MMU, so SIGSEGV must work. */
    sigset_t segv;
    sigemptyset(&segv);
    sigaddset(&segv, SIGSEGV);
    sigprocmask(SIG_UNBLOCK, &segv, NULL);
    if (!explaining) {
        explaining = true;
        printf("simulated page fault the test did not expect:\n");
        page_fault_explain((uint32_t)va, err);
        explaining = false;
    }
    fail_msg("page fault at 0x%08x, error code %u", (unsigned)va, (unsigned)err);
}

/* The MMU: a host fault in the GiB is a TLB miss; walk the tables. */
static void
mmu(int sig, siginfo_t *si, void *context)
{
    uintptr_t va = (uintptr_t)si->si_addr;
    bool is_write = ((ucontext_t *)context)->uc_mcontext.gregs[REG_ERR] & 2;
    if (va < SIM_BASE || va - SIM_BASE >= SIM_SPAN) {
        static const char msg[] = "vmm_host: a segmentation fault outside the simulated GiB\n";
        write(2, msg, sizeof(msg) - 1);
        signal(SIGSEGV, SIG_DFL);       /* the access runs again, and kills us */
        return;
    }
    sim_count.walks++;
    uint32_t pde = sim_phys32((sim_cr3 & PAGE_FRAME) + PDX(va) * 4), frame;
    bool writable, large = (pde & PAGE_LARGE) != 0;
    if (!(pde & PAGE_PRESENT)) {
        page_fault(va, is_write ? PF_WRITE : 0);
        return;
    }
    if (large) {
        frame = (pde & 0xFFC00000u) | ((uint32_t)va & 0x003FF000u);
        writable = pde & PAGE_WRITABLE;
    } else {
        uint32_t pte = sim_phys32((pde & PAGE_FRAME) + PTX(va) * 4);
        if (!(pte & PAGE_PRESENT)) {
            page_fault(va, is_write ? PF_WRITE : 0);
            return;
        }
        frame = pte & PAGE_FRAME;
        writable = pde & pte & PAGE_WRITABLE;
    }
    if (is_write && !writable && (sim_cr0 & CR0_WP)) {
        page_fault(va, PF_PROTECTION | PF_WRITE);
        return;
    }
    if (frame >= SIM_RAM_SIZE)
        fail_msg("0x%08x is mapped to 0x%08x, past the end of the simulated RAM",
                 (unsigned)va, (unsigned)frame);
    tlb_fill((va - SIM_BASE) / PAGE_SIZE, frame, writable || !(sim_cr0 & CR0_WP), large);
}

bool
sim_read(uintptr_t va, uint32_t *value)
{
    if (sigsetjmp(probe_env, 1))
        return false;
    probe_armed = true;
    uint32_t v = *(volatile uint32_t *)va;
    probe_armed = false;
    *value = v;
    return true;
}

bool
sim_write(uintptr_t va, uint32_t value)
{
    if (sigsetjmp(probe_env, 1))
        return false;
    probe_armed = true;
    *(volatile uint32_t *)va = value;
    probe_armed = false;
    return true;
}

void
sim_reset(uint32_t garbage)
{
    if (ram_fd < 0) {
        ram_fd = memfd_create("simulated-ram", 0);
        if (ram_fd < 0 || ftruncate(ram_fd, SIM_RAM_SIZE) != 0)
            die("memfd for the simulated RAM");
        sim_ram = mmap(NULL, SIM_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
        if (sim_ram == MAP_FAILED)
            die("mmap of the simulated RAM");
        void *gib = mmap((void *)SIM_BASE, SIM_SPAN, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (gib != (void *)SIM_BASE)
            die("reserving 0xC0000000-0xFFFFFFFF (is something else mapped there?)");
    }
    tlb_flush_all();
    /* Power cycle: forget the RAM's contents, then dirty the low part. */
    if (fallocate(ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, SIM_RAM_SIZE) != 0)
        die("fallocate");
    for (uint32_t pa = 0; pa < SIM_GARBAGE_END; pa += 4)
        memcpy(sim_ram + pa, &garbage, 4);
    /* boot.asm's boot_page_directory: identity 0-4 MiB, 256 MiB at 0xC0000000. */
    uint32_t pd[1024] = { 0x00000083 };
    for (uint32_t i = 0; i < 64; i++)
        pd[(KERNEL_VIRTUAL_BASE >> 22) + i] = i << 22 | 0x83;
    memcpy(sim_ram + SIM_BOOT_PD, pd, sizeof(pd));
    sim_cr0 = CR0_PE | CR0_PG;
    sim_cr3 = SIM_BOOT_PD;
    sim_count = (struct sim_counters){ 0 };
    sim_last_fault = (struct sim_fault){ 0, 0 };
    probe_armed = explaining = false;
    struct sigaction sa = { .sa_sigaction = mmu, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        die("sigaction");
}
