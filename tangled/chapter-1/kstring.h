#line 1650 "chapters/01-heap.nw"
/* kstring.h: memory and string functions (the design's "memory utilities"). */
#ifndef KSTRING_H
#define KSTRING_H

#include <stddef.h>

void *memset(void *ptr, int value, size_t size);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
/* Like memcpy, but the ranges may overlap. */
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
