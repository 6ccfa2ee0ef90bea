/* host_shim.h: force-included (gcc -include) into every host-test and
 * benchmark translation unit.  The kernel's hardware-free code (the heap,
 * the frame allocator's bookkeeping, the page-table logic) is compiled
 * unchanged as 64-bit host code; host_shim.c supplies the few kernel
 * services it calls: kprintf and friends print to stdout, panic aborts
 * (cmocka reports the running test as failed), console_capture works as in
 * the kernel. */
#ifndef HOST_SHIM_H
#define HOST_SHIM_H
#include <stddef.h>

/* How many times panic() was called (it aborts, so at most once per process
 * unless a test replaces the abort with host_panic_hook). */
extern int host_panic_count;
/* If set, panic() calls this instead of abort(); it must not return. */
extern void (*host_panic_hook)(const char *message);

#endif
