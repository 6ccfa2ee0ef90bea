#line 1285 "chapters/03-vmm.nw"
/* vmm.c: x86 paging: the kernel's tables, mapping, and the heap's pages. */
#include "vmm.h"
#include "x86.h"
#include "kheap.h"
#include "kstring.h"

static struct {
    bool ready;                 /* running on the kernel's own tables */
    uint32_t tables, mapped;
} vmm;

static const char *fault_cause(uint32_t addr, uint32_t err);

#line 773 "chapters/03-vmm.nw"
static uint32_t *const page_directory = (uint32_t *)0xFFFFF000u;

static uint32_t *
page_table(unsigned pdx)
{
    return (uint32_t *)(uintptr_t)(PAGE_TABLES + pdx * PAGE_SIZE);
}
#line 792 "chapters/03-vmm.nw"
/* A zeroed frame for a page table, reached through the direct map. */
static phys_addr_t
zeroed_table(void)
{
    phys_addr_t pa = pmm_alloc_page();
    if (pa == PMM_NO_FRAME || pa >= DIRECT_MAP_SIZE)
        panic("vmm_init: no free frame below 256 MiB for a page table");
    memset(P2V(pa), 0, PAGE_SIZE);
    vmm.tables++;
    return pa;
}
#line 812 "chapters/03-vmm.nw"
extern char _erodata[], stack_guard[];

static void
map_low_kernel(uint32_t *pd)
{
    phys_addr_t t = zeroed_table();
    uint32_t *pt = P2V(t);
    for (uint32_t i = 0; i < 1024; i++) {
        uintptr_t va = KERNEL_VIRTUAL_BASE + i * PAGE_SIZE;
        bool code = va >= (uintptr_t)_kernel_start && va < (uintptr_t)_erodata;
        if (va != (uintptr_t)stack_guard)
            pt[i] = i * PAGE_SIZE | PAGE_PRESENT | (code ? 0 : PAGE_WRITABLE);
    }
    pd[PDX(KERNEL_VIRTUAL_BASE)] = t | PAGE_PRESENT | PAGE_WRITABLE;
}
#line 830 "chapters/03-vmm.nw"
void
vmm_init(void)
{
    phys_addr_t pd_pa = zeroed_table();
    uint32_t *pd = P2V(pd_pa);
    map_low_kernel(pd);
    for (uint32_t pa = 0x400000; pa < DIRECT_MAP_SIZE; pa += 0x400000)
        pd[PDX(KERNEL_VIRTUAL_BASE + pa)] = pa | PAGE_PRESENT | PAGE_WRITABLE | PAGE_LARGE;
    pd[PDX(TEMP_WINDOW)] = zeroed_table() | PAGE_PRESENT | PAGE_WRITABLE;
    pd[1023] = pd_pa | PAGE_PRESENT | PAGE_WRITABLE;        /* the recursive entry */
    write_cr3(pd_pa);               /* the identity mapping of the boot directory is gone */
    write_cr0(read_cr0() | CR0_WP); /* ring 0 too must respect read-only pages */
    vmm.ready = true;
    kprintf("vmm: paging on; kernel at %p, %u MiB of RAM mapped at %p, %u page tables\n",
            (void *)_kernel_start, DIRECT_MAP_SIZE >> 20, P2V(0), vmm.tables);
}
#line 870 "chapters/03-vmm.nw"
/* May vmm_map_page and vmm_unmap_page change the mapping of VA?  Not in
 * the direct map, nor in the temporary window and the page tables. */
static bool
mappable(uintptr_t va)
{
    return va - KERNEL_VIRTUAL_BASE >= DIRECT_MAP_SIZE && PDX(va) < PDX(TEMP_WINDOW);
}
#line 880 "chapters/03-vmm.nw"
int
vmm_map_page(uintptr_t va, phys_addr_t pa, uint32_t flags)
{
    if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE) || !mappable(va))
        return MEM_INVALID;
    uint32_t *pde = &page_directory[PDX(va)];
    if (*pde & PAGE_LARGE)
        return MEM_INVALID;
    if (!(*pde & PAGE_PRESENT)) {
        phys_addr_t t = pmm_alloc_page();
        if (t == PMM_NO_FRAME)
            return MEM_OUT_OF_MEM;
        *pde = t | PAGE_PRESENT | PAGE_WRITABLE;
        memset(page_table(PDX(va)), 0, PAGE_SIZE);
        vmm.tables++;
    }
    uint32_t *pte = &page_table(PDX(va))[PTX(va)];
    if (*pte & PAGE_PRESENT)
        return MEM_INVALID;
    *pte = pa | PAGE_PRESENT | (flags & (PAGE_WRITABLE | PAGE_USER));
    vmm.mapped++;
    return MEM_SUCCESS;             /* a new mapping needs no invlpg */
}
#line 906 "chapters/03-vmm.nw"
phys_addr_t
vmm_unmap_page(uintptr_t va)
{
    if (!mappable(va))
        return VMM_NO_MAPPING;
    uint32_t pde = page_directory[PDX(va)];
    if (!(pde & PAGE_PRESENT))
        return VMM_NO_MAPPING;
    uint32_t *pte = &page_table(PDX(va))[PTX(va)];
    if (!(*pte & PAGE_PRESENT))
        return VMM_NO_MAPPING;
    phys_addr_t pa = *pte & PAGE_FRAME;
    *pte = 0;
    invlpg(va);                     /* the old translation may be cached */
    vmm.mapped--;
    return pa;
}
#line 928 "chapters/03-vmm.nw"
phys_addr_t
vmm_translate(uintptr_t va)
{
    uint32_t pde = page_directory[PDX(va)];
    if (!(pde & PAGE_PRESENT))
        return VMM_NO_MAPPING;
    if (pde & PAGE_LARGE)
        return (pde & 0xFFC00000u) | (va & 0x003FFFFFu);
    uint32_t pte = page_table(PDX(va))[PTX(va)];
    if (!(pte & PAGE_PRESENT))
        return VMM_NO_MAPPING;
    return (pte & PAGE_FRAME) | (va & 0xFFFu);
}
#line 953 "chapters/03-vmm.nw"
void *
vmm_temp_map(phys_addr_t pa)
{
    uint32_t *pte = &page_table(PDX(TEMP_WINDOW))[PTX(TEMP_WINDOW)];
    *pte = (pa & PAGE_FRAME) | PAGE_PRESENT | PAGE_WRITABLE;
    invlpg(TEMP_WINDOW);
    return (void *)TEMP_WINDOW;
}
#line 1038 "chapters/03-vmm.nw"
void
heap_init_virtual(void)
{
    if (!heap_map_more(HEAP_VIRTUAL_START, INITIAL_HEAP_SIZE))
        panic("heap_init_virtual: no frames for the heap");
    heap_init((void *)HEAP_VIRTUAL_START, INITIAL_HEAP_SIZE);
    kprintf("heap: %u KiB at virtual 0x%08x, grows on demand to %u MiB\n",
            INITIAL_HEAP_SIZE / 1024, HEAP_VIRTUAL_START, HEAP_VIRTUAL_MAX >> 20);
}
#line 1053 "chapters/03-vmm.nw"
bool
heap_map_more(uintptr_t va, size_t bytes)
{
    for (size_t off = 0; off < bytes; off += PAGE_SIZE) {
        phys_addr_t pa = pmm_alloc_page();
        if (pa == PMM_NO_FRAME || vmm_map_page(va + off, pa, PAGE_WRITABLE) != MEM_SUCCESS) {
            if (pa != PMM_NO_FRAME)
                pmm_free_page(pa);
            heap_unmap(va, off);
            return false;
        }
    }
    return true;
}

void
heap_unmap(uintptr_t va, size_t bytes)
{
    for (size_t off = 0; off < bytes; off += PAGE_SIZE)
        pmm_free_page(vmm_unmap_page(va + off));
}
#line 1222 "chapters/03-vmm.nw"
void
page_fault_explain(uint32_t addr, uint32_t err)
{
    kprintf("    page fault at 0x%08x: %s, %s, %s mode\n", addr,
            err & PF_PROTECTION ? "protection violation" : "page not present",
            err & PF_WRITE ? "write" : "read", err & PF_USER ? "user" : "kernel");
    uint32_t pde = vmm.ready ? page_directory[PDX(addr)] : 0;
    kprintf("    page directory entry 0x%03x = 0x%08x\n", PDX(addr), pde);
    if ((pde & PAGE_PRESENT) && !(pde & PAGE_LARGE))
        kprintf("    page table entry 0x%03x = 0x%08x\n", PTX(addr), page_table(PDX(addr))[PTX(addr)]);
    kprintf("    likely cause: %s\n", fault_cause(addr, err));
}
#line 1237 "chapters/03-vmm.nw"
static const char *
fault_cause(uint32_t addr, uint32_t err)
{
    if (addr < PAGE_SIZE)
        return "a NULL pointer dereference";
    if (addr >= (uintptr_t)stack_guard && addr < (uintptr_t)stack_guard + PAGE_SIZE)
        return "the kernel stack overflowed into its guard page";
    if (addr >= HEAP_VIRTUAL_START && addr < HEAP_VIRTUAL_START + HEAP_VIRTUAL_MAX)
        return "an access past the end of the heap";
    if ((err & PF_WRITE) && addr >= (uintptr_t)_kernel_start && addr < (uintptr_t)_erodata)
        return "a write to the kernel's read-only code or data";
    if (addr < KERNEL_VIRTUAL_BASE)
        return "an address in the lower 3 GiB, where nothing is mapped";
    return "an address the kernel never mapped";
}

#line 1305 "chapters/03-vmm.nw"
bool
vmm_ready(void)
{
    return vmm.ready;
}

uint32_t
vmm_mapped_pages(void)
{
    return vmm.mapped;
}

uint32_t
vmm_page_tables(void)
{
    return vmm.tables;
}
