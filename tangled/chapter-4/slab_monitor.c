#line 1335 "chapters/04-slab.nw"
/* slab_monitor.c: monitor commands for the slab caches. */
#include "monitor.h"
#include "slab.h"

#line 1343 "chapters/04-slab.nw"
MONITOR_COMMAND(slabinfo, "the slab caches: objects, slabs, bytes used and wasted")(int argc, char **argv)
{
    kprintf("cache          size obj/slab pages  slabs p/f/e   objects/active  KiB  used  wasted\n");
    size_t total = 0, used = 0;
    for (const kmem_cache_t *c = slab_next_cache(NULL); c; c = slab_next_cache(c)) {
        struct slab_stats st;
        slab_cache_stats(c, &st);
        if (!st.slabs && argc < 2)
            continue;               /* "slabinfo all" shows the empty caches too */
        kprintf("%-14s %4lu %8u %5u %6u %u/%u/%u %8u/%-6u %4lu %5lu %7lu\n", c->name,
                (unsigned long)c->size, c->objects, 1u << c->order, st.slabs, st.partial,
                st.full, st.empty, st.objects, st.live, (unsigned long)(st.bytes / 1024),
                (unsigned long)st.used, (unsigned long)(st.bytes - st.used));
        total += st.bytes;
        used += st.used;
    }
    kprintf("slabs: %u pages (%lu KiB), %lu bytes in live objects, %lu%% used\n", slab_pages(),
            (unsigned long)(total / 1024), (unsigned long)used,
            (unsigned long)(total ? used * 100 / total : 0));
    return 0;
}

MONITOR_COMMAND(slabs, "slabs NAME: a picture of one cache's slabs")(int argc, char **argv)
{
    const kmem_cache_t *c = argc == 2 ? slab_find_cache(argv[1]) : NULL;
    if (!c)
        return kprintf("usage: slabs NAME (a cache slabinfo lists)\n"), 1;
    slab_picture(c);
    return 0;
}

MONITOR_COMMAND(slabshrink, "give every cache's empty slabs back to the frame allocator")(int argc, char **argv)
{
    kprintf("slab_shrink_all: %lu KiB released\n", (unsigned long)(slab_shrink_all() / 1024));
    return 0;
}

MONITOR_COMMAND(slabcheck, "check every invariant of the slab caches")(int argc, char **argv)
{
    if (slab_check() == MEM_SUCCESS)
        kprintf("slab_check: ok\n");
    return 0;
}
