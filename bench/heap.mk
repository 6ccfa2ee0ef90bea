# The heap's benchmark: chapter 1's kheap.c and kstring.c (as built into the
# kernel, with HEAP_DEBUG) against glibc, measured in the same run.
BENCHES      += heap-bench
heap-bench_STAGE := 1
heap-bench_SRCS := bench/bench_heap.c kheap.c kstring.c
heap-bench_CFLAGS := -DHEAP_DEBUG $(HOST_RENAMES)
