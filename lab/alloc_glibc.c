/* alloc_glibc.c: the host's malloc (glibc) in the lab, with its system
 * calls turned off: a trim threshold and a top pad so large that it never
 * gives memory back, and an mmap threshold so large that it serves every
 * request from its heap, like the kernel's allocators.  The tunables must
 * be set before the program starts: the constructor re-executes the
 * program with them. */
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include "lab.h"

#define TUNABLES "glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432:" \
                 "glibc.malloc.top_pad=67108864"

__attribute__((constructor)) static void
tunables(int argc __attribute__((unused)), char **argv)
{
    if (getenv("GLIBC_TUNABLES"))
        return;
    setenv("GLIBC_TUNABLES", TUNABLES, 1);
    execv("/proc/self/exe", argv);
    perror("execv");
}

static void reset(void) { }
static void *a_calloc(size_t n) { return calloc(1, n); }

const struct lab_allocator lab_allocator = {
    "glibc (no system calls)", reset, malloc, a_calloc, realloc, free, NULL, NULL,
};
