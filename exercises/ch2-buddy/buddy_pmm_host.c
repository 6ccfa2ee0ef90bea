/* buddy_pmm_host.c: the frame allocator (src/pmm.c) for the host tests of
 * exercise ch2-buddy, as tests/host/pmm_host.c does it for the project's
 * own tests.  The kernel reaches physical memory through P2V, so pmm_frame
 * gives P2V(pa); here P2V points into an array that stands in for the
 * physical range [HOST_RAM_BASE, HOST_RAM_BASE + HOST_RAM_SIZE), and gives
 * NULL elsewhere.  pmm.c is included, not linked, so that this P2V is the
 * one it sees. */
#include "kernel.h"
#include <stdint.h>

const uint64_t host_ram_base = 8u << 20;        /* 4 MiB-aligned, as buddy blocks are */
const uint64_t host_ram_size = 48u << 20;
uint8_t *host_ram;                              /* allocated by the test */

/* The host address of physical address PA, or NULL outside the array. */
void *host_p2v(uint64_t pa);
void *
host_p2v(uint64_t pa)
{
    return pa >= host_ram_base && pa - host_ram_base < host_ram_size ? host_ram + (pa - host_ram_base) : NULL;
}

#undef P2V
#define P2V(pa) host_p2v((uint64_t)(pa))
#include "pmm.c"
