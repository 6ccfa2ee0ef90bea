/* pmm_host.c: chapter 2's pmm.c for the host tests.  The kernel reaches
 * physical memory through P2V; here P2V points into an array that stands in
 * for the first SIM_RAM bytes of RAM (and gives NULL above, so that freed
 * frames up there are simply not poisoned).  pmm.c is included, not linked,
 * so that this definition of P2V is the one it sees. */
#include "kernel.h"
#include <stdint.h>

#define SIM_RAM (64u << 20)
uint8_t *host_ram;          /* allocated by the test */
uintptr_t heap_phys = 0x00500000;   /* chapter 1 puts the heap here, usually */

void *host_p2v(uint64_t pa);
void *
host_p2v(uint64_t pa)
{
    return pa < SIM_RAM ? host_ram + pa : NULL;
}

#undef P2V
#define P2V(pa) host_p2v((uint64_t)(pa))
#include "pmm.c"
