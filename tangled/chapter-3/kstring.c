#line 1668 "chapters/01-heap.nw"
/* kstring.c: memset, memcpy and friends, without SSE. */
#include <stdint.h>
#include "kstring.h"

#line 1566 "chapters/01-heap.nw"
static inline void
rep_stosb(void *dst, int byte, size_t n)
{
    __asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(byte) : "memory");
}

static inline void
rep_movsb(void *dst, const void *src, size_t n)
{
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
#line 1584 "chapters/01-heap.nw"
void *
memset(void *ptr, int value, size_t size)
{
    rep_stosb(ptr, (uint8_t)value, size);
    return ptr;
}
#line 1598 "chapters/01-heap.nw"
void *
memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    rep_movsb(dst, src, n);
    return dst;
}

void *
memmove(void *dst, const void *src, size_t n)
{
    if ((uintptr_t)dst - (uintptr_t)src >= n)  /* no harmful overlap */
        return memcpy(dst, src, n);
    void *d = (char *)dst + n - 1;
    const void *s = (const char *)src + n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return dst;
}
#line 1621 "chapters/01-heap.nw"
int
memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t
strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int
strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
