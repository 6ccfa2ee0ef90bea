# The frame allocator's benchmark: chapter 2's pmm.c (through the host
# wrapper that points P2V into simulated RAM) against a bitmap scan.
BENCHES          += pmm-bench
pmm-bench_STAGE  := 2
pmm-bench_SRCS   := bench/bench_pmm.c tests/host/pmm_host.c kstring.c
pmm-bench_CFLAGS := $(HOST_RENAMES)
