/* lab.h: what the allocator lab's replayer needs from an allocator.
 *
 * One replayer program is built per allocator (their sources define the
 * same names: every chapter's heap has a kmalloc): lab/replay.c plus one
 * adapter file that defines `lab_allocator`.  Adding an allocator to the lab
 * is one adapter of a few lines and one line in bench/lab.mk. */
#ifndef LAB_H
#define LAB_H
#include <stddef.h>

struct lab_allocator {
    const char *name;               /* as the table prints it */
    void (*reset)(void);            /* start afresh, everything free (outside the timing) */
    void *(*malloc)(size_t n);
    void *(*calloc)(size_t n);      /* N bytes, zeroed */
    void *(*realloc)(void *p, size_t n);
    void (*free)(void *p);
    /* Bytes the allocator holds now, or NULL: the replayer then takes the
     * extent of the addresses it has handed out (highest end minus lowest
     * start), which is the footprint of an allocator carving one region. */
    long (*footprint)(void);
    /* Walk the allocator's structures: 0 if consistent.  NULL: nothing to walk. */
    int (*check)(void);
};

extern const struct lab_allocator lab_allocator;

#endif
