# The heap's benchmark: chapter 1's kheap.c and kstring.c (as built into the
# kernel, with HEAP_DEBUG) against glibc, measured in the same run.
BENCHES      += heap-bench
heap-bench_STAGE := 1
heap-bench_SRCS := bench/bench_heap.c kheap.c kstring.c
heap-bench_CFLAGS := -DHEAP_DEBUG $(HOST_RENAMES)

.PHONY: measure-heap
measure-heap: build/bench/heap-bench   ## measure the heap against glibc into book/measured/heap.json
	@mkdir -p book/measured
	@build/bench/heap-bench --json > book/measured/heap.json.tmp
	@python3 -c 'import json,sys; json.load(open(sys.argv[1]))' book/measured/heap.json.tmp
	@mv book/measured/heap.json.tmp book/measured/heap.json
	@echo "measure-heap: book/measured/heap.json"
