/* recorder.c: an LD_PRELOAD library that records every malloc, calloc,
 * realloc and free of a program (and of the programs it starts) into a
 * file per process: $LAB_TRACE_DIR/PID.raw.
 *
 *   gcc -O2 -shared -fPIC -o recorder.so recorder.c
 *   LAB_TRACE_DIR=/tmp/t LD_PRELOAD=$PWD/recorder.so python3 script.py
 *
 * The dynamic linker resolves the program's (and the C library's own)
 * calls to malloc and friends to the first definition it finds, and
 * LD_PRELOAD puts this library first.  Each wrapper calls glibc's real
 * function (__libc_malloc and friends, which glibc exports for exactly
 * this purpose; dlsym would itself call calloc) and appends a fixed-size
 * record to a buffer, written out when it is full and when the process
 * exits.  lab/trace.py turns the raw records into the compact trace the
 * replayer reads.  The recorder does not try to be thread-safe beyond one
 * lock: the programs recorded here are single-threaded. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);

/* One record: what was called, with which pointer and size, and what it
 * returned.  32 bytes; the raw files are temporary. */
struct record {
    uint64_t op;                /* 'm' malloc, 'c' calloc, 'r' realloc, 'f' free */
    uint64_t ptr;               /* the argument (realloc, free) */
    uint64_t size;              /* the size asked for (calloc: n * size) */
    uint64_t result;            /* what was returned (malloc, calloc, realloc) */
};

#define BUFFERED 4096
static struct record buffer[BUFFERED];
static int used, fd = -1;
static pid_t owner;             /* the process the buffer belongs to (fork copies it) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside;     /* a wrapper called from within the recorder */

static void
flush(void)
{
    if (used && fd >= 0) {
        ssize_t n = write(fd, buffer, used * sizeof(struct record));
        (void)n;
    }
    used = 0;
}

static void
open_trace(void)
{
    const char *dir = getenv("LAB_TRACE_DIR");
    if (!dir)
        return;
    char path[512];
    snprintf(path, sizeof(path), "%s/%d.raw", dir, (int)getpid());
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    owner = getpid();
}

static void
note(char op, void *ptr, size_t size, void *result)
{
    if (inside)
        return;
    inside = 1;
    pthread_mutex_lock(&lock);
    if (owner != getpid()) {    /* first call, or a child after fork: a file of its own */
        used = 0;
        if (fd >= 0)
            close(fd);
        open_trace();
    }
    buffer[used++] = (struct record){ (uint64_t)op, (uint64_t)(uintptr_t)ptr, size,
                                      (uint64_t)(uintptr_t)result };
    if (used == BUFFERED)
        flush();
    pthread_mutex_unlock(&lock);
    inside = 0;
}

__attribute__((destructor)) static void
finish(void)
{
    if (owner == getpid())
        flush();
}

void *
malloc(size_t n)
{
    void *p = __libc_malloc(n);
    note('m', NULL, n, p);
    return p;
}

void *
calloc(size_t n, size_t size)
{
    void *p = __libc_calloc(n, size);
    note('c', NULL, n * size, p);
    return p;
}

void *
realloc(void *old, size_t n)
{
    void *p = __libc_realloc(old, n);
    note('r', old, n, p);
    return p;
}

void
free(void *p)
{
    if (p)
        note('f', p, 0, NULL);
    __libc_free(p);
}

/* Aligned allocations are recorded as plain mallocs of the same size: the
 * replayer's allocators all align to 16 bytes or less. */
void *
memalign(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    note('m', NULL, n, p);
    return p;
}

void *
aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
    void *p = memalign(align, n);
    if (!p)
        return 12;              /* ENOMEM */
    *out = p;
    return 0;
}
