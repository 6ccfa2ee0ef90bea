#line 514 "chapters/00-boot.nw"
/* multiboot.h: the structures a Multiboot 1 loader hands to the kernel. */
#ifndef MULTIBOOT_H
#define MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC  0x2BADB002  /* in EAX at entry */

#line 530 "chapters/00-boot.nw"
#define MULTIBOOT_INFO_MEMORY    (1u << 0)   /* mem_lower, mem_upper */
#define MULTIBOOT_INFO_CMDLINE   (1u << 2)
#define MULTIBOOT_INFO_MODS      (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP   (1u << 6)
#define MULTIBOOT_INFO_LOADER    (1u << 9)   /* boot_loader_name */

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;      /* KiB below 1 MiB, KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;                   /* physical address of a C string */
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
} __attribute__((packed));
#line 558 "chapters/00-boot.nw"
#define MULTIBOOT_MEMORY_AVAILABLE  1
#define MULTIBOOT_MEMORY_RESERVED   2
#define MULTIBOOT_MEMORY_ACPI       3   /* reclaimable once ACPI tables are read */
#define MULTIBOOT_MEMORY_NVS        4
#define MULTIBOOT_MEMORY_BADRAM     5

struct multiboot_mmap_entry {
    uint32_t size;                      /* of the rest of the entry */
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));
#line 575 "chapters/00-boot.nw"
struct multiboot_module {
    uint32_t mod_start, mod_end;        /* physical, end exclusive */
    uint32_t string;                    /* physical address of a C string */
    uint32_t reserved;
} __attribute__((packed));

#line 526 "chapters/00-boot.nw"
#endif
