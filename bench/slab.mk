# Stage 4's kmalloc (slab caches + first-fit heap) against glibc, in the
# release build (no HEAP_DEBUG) and the debug build (HEAP_DEBUG, as the
# kernel is built): bench/bench_slab.c over tests/host/slab_host.c.
# bench/slab-measure.py runs both and writes book/measured/slab.json.
BENCHES                += slab-bench slab-bench-debug
slab-bench_STAGE       := 4
slab-bench_SRCS        := bench/bench_slab.c tests/host/slab_host.c slab.c kheap.c kstring.c
slab-bench_CFLAGS      := $(HOST_RENAMES)
slab-bench-debug_STAGE := 4
slab-bench-debug_SRCS  := $(slab-bench_SRCS)
slab-bench-debug_CFLAGS := $(HOST_RENAMES) -DHEAP_DEBUG

.PHONY: measure-slab
measure-slab: build/bench/slab-bench build/bench/slab-bench-debug   ## run stage 4's kmalloc benchmarks and record them in book/measured/slab.json
	@$(PYTHON) bench/slab-measure.py build/bench/slab-bench build/bench/slab-bench-debug
