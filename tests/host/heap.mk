# The heap's host tests: chapter 1's kheap.c and kstring.c, compiled as
# 64-bit code.  The kernel's memset/memcpy/... are renamed k* so that they
# do not replace the C library's in the test program.
HOST_TESTS   += heap
heap_STAGE   := 1
heap_SRCS    := tests/host/test_heap.c kheap.c kstring.c
heap_CFLAGS  := $(HOST_RENAMES)
