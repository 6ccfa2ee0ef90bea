#line 1896 "chapters/01-heap.nw"
/* heap_monitor.c: monitor commands for the kernel heap. */
#include "monitor.h"
#include "kheap.h"

#line 1904 "chapters/01-heap.nw"
MONITOR_COMMAND(heap, "dump the kernel heap, block by block")(int argc, char **argv)
{
    heap_dump();
    return 0;
}

MONITOR_COMMAND(stats, "heap statistics (memory_get_stats)")(int argc, char **argv)
{
    memory_stats_t s;
    memory_get_stats(&s);
    kprintf("heap: %zu bytes, %zu used, %zu free, %u blocks (%zu-byte headers)\n",
            s.heap_size, s.heap_used, s.heap_free, s.heap_blocks,
            (s.heap_size - s.heap_used - s.heap_free) / (s.heap_blocks ? s.heap_blocks : 1));
    kprintf("      %u allocations, %u frees, %u errors detected\n",
            s.allocation_count, s.free_count, s.heap_errors);

    return 0;
}
#line 1932 "chapters/01-heap.nw"
MONITOR_COMMAND(alloc, "alloc SIZE: kmalloc SIZE bytes")(int argc, char **argv)
{
    uintptr_t n;
    if (argc != 2 || !monitor_number(argv[1], &n))
        return kprintf("usage: alloc SIZE\n"), 1;
    kprintf("kmalloc(%lu) = %p\n", (unsigned long)n, kmalloc(n));
    return 0;
}

MONITOR_COMMAND(free, "free ADDR: kfree a block")(int argc, char **argv)
{
    uintptr_t a;
    if (argc != 2 || !monitor_number(argv[1], &a))
        return kprintf("usage: free ADDR\n"), 1;
    kfree((void *)a);
    return 0;
}
#line 1956 "chapters/01-heap.nw"
MONITOR_COMMAND(realloc, "realloc ADDR SIZE: krealloc a block")(int argc, char **argv)
{
    uintptr_t a, n;
    if (argc != 3 || !monitor_number(argv[1], &a) || !monitor_number(argv[2], &n))
        return kprintf("usage: realloc ADDR SIZE\n"), 1;
    kprintf("krealloc(%p, %lu) = %p\n", (void *)a, (unsigned long)n, krealloc((void *)a, n));
    return 0;
}

MONITOR_COMMAND(check, "check every invariant of the heap")(int argc, char **argv)
{
    if (heap_check() == MEM_SUCCESS)
        kprintf("heap_check: ok\n");
    return 0;
}

MONITOR_COMMAND(leaks, "list the live blocks and where they were allocated")(int argc, char **argv)
{
    heap_leaks();
    return 0;
}
