/* memory_map.h: multiboot memory maps built entry by entry, for the host
 * tests of the frame allocator and of the page tables. */
#ifndef MEMORY_MAP_H
#define MEMORY_MAP_H
#include <stdint.h>
#include <string.h>
#include "multiboot.h"

struct map {
    uint8_t bytes[64 * 24];
    uint32_t length;
};

/* Append one entry (the size field does not count itself: 20). */
static inline void
entry(struct map *m, uint64_t addr, uint64_t len, uint32_t type)
{
    struct multiboot_mmap_entry e = { 20, addr, len, type };
    memcpy(m->bytes + m->length, &e, sizeof(e));
    m->length += sizeof(e);
}

/* QEMU's map for -m SIZE (shared/TOOLCHAIN.md): low RAM, the BIOS areas,
 * RAM to the top less 128 KiB of ACPI tables; above 3 GiB the rest of the
 * RAM is listed above 4 GiB. */
static inline void
qemu_map(struct map *m, uint64_t size)
{
    const uint64_t GiB3 = 3ull << 30;
    uint64_t low = size < GiB3 ? size : GiB3;
    entry(m, 0, 0x9FC00, 1);
    entry(m, 0x9FC00, 0x400, 2);
    entry(m, 0xF0000, 0x10000, 2);
    entry(m, 0x100000, low - 0x100000 - 0x20000, 1);
    entry(m, low - 0x20000, 0x20000, 2);
    entry(m, 0xFFFC0000, 0x40000, 2);
    if (size > GiB3)
        entry(m, 4ull << 30, size - GiB3, 1);
}
#endif
