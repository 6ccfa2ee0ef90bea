/* vmm_host.h: a simulated i386 MMU and TLB for the host tests of chapter
 * 3's page-table code (tests/host/vmm_host.c).
 *
 * The kernel's virtual addresses 0xC0000000..0xFFFFFFFF are ordinary user
 * addresses on x86-64 Linux, so the test program reserves that GiB at its
 * real address, inaccessible.  Every access there faults (SIGSEGV), and the
 * handler plays the processor: it walks the simulated page tables from the
 * simulated CR3, in simulated physical memory (a memfd), and, if the entry
 * allows the access, maps the frame of the memfd at the faulting page and
 * lets the access run again.  That host mapping is the TLB entry: it stays
 * until invlpg, a write to CR3 or eviction, whatever the tables say
 * meanwhile.  An access the tables do not allow is a simulated page fault
 * (address and error code), which a test can catch with sim_read/sim_write. */
#ifndef VMM_HOST_H
#define VMM_HOST_H
#include <stdbool.h>
#include <stdint.h>

#define SIM_RAM_SIZE   (512u << 20)         /* simulated RAM: more than the direct map */
#define SIM_BOOT_PD    0x00009000u          /* the boot page directory (low memory) */
#define SIM_TLB_SIZE   4096                 /* TLB entries (4 KiB pages) */
#define SIM_GARBAGE_END (32u << 20)         /* RAM below this is dirty at reset */

/* The simulated RAM as the host sees it, not through the MMU: physical
 * address PA is sim_ram[PA]. */
extern uint8_t *sim_ram;

/* The simulated processor's control registers (read_cr0/write_cr3 ... in
 * vmm_host.c are the instructions; these are their state). */
extern uint32_t sim_cr0, sim_cr3;

/* What the simulated MMU did since the last sim_reset. */
struct sim_counters {
    uint64_t walks;             /* TLB misses: table walks */
    uint64_t faults;            /* simulated page faults */
    uint64_t invlpgs, cr3_writes, evictions;
};
extern struct sim_counters sim_count;

/* A simulated page fault: CR2 and the error code (PF_* in x86.h). */
struct sim_fault {
    uint32_t addr, err;
};
extern struct sim_fault sim_last_fault;

/* A machine as the boot code leaves it: SIM_RAM_SIZE bytes of RAM, the
 * first SIM_GARBAGE_END of them holding the 32-bit word GARBAGE (what was
 * there before: frames are handed out lowest first, so every frame the
 * kernel takes early is dirty), the rest zero; the boot page directory
 * (the first 256 MiB at 0xC0000000, in 4 MiB pages) at SIM_BOOT_PD and CR3
 * pointing at it; CR0 with PE and PG but not WP; the TLB empty.  Also installs the MMU (the SIGSEGV handler):
 * call it at the start of every test, because cmocka installs its own
 * SIGSEGV handler around each test. */
void sim_reset(uint32_t garbage);

/* Read or write the 32-bit word at VA through the simulated MMU.  True if
 * the access was done; false after a simulated page fault, which is then
 * in sim_last_fault.  Any other access to the GiB that faults fails the
 * running test with the kernel's own page-fault report. */
bool sim_read(uintptr_t va, uint32_t *value);
bool sim_write(uintptr_t va, uint32_t value);

/* Is the page at VA in the simulated TLB? */
bool sim_tlb_has(uintptr_t va);

/* The 32-bit word at physical address PA (the walker's view). */
uint32_t sim_phys32(uint32_t pa);

#endif
