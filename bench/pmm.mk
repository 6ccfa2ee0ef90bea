# The frame allocator's benchmark: four data structures for free frames
# (stack, bitmap, list in the frames, buddy) and chapter 2's pmm.c, in one run.
BENCHES          += pmm-bench
pmm-bench_STAGE  := 2
pmm-bench_SRCS   := bench/bench_pmm.c tests/host/pmm_host.c kstring.c
pmm-bench_CFLAGS := $(HOST_RENAMES) -DHEAP_DEBUG      # as the kernel is built: freed frames poisoned

# The figures chapter 2 cites ({{fact:frames.KEY}}): one run of the benchmark,
# written to book/measured/frames.json (committed; rerun to refresh).
.PHONY: measure-frames
measure-frames: build/bench/pmm-bench   ## measure the four frame structures into book/measured/frames.json
	@mkdir -p book/measured
	@nice build/bench/pmm-bench --json book/measured/frames.json.tmp
	@python3 -c 'import json,sys; json.load(open(sys.argv[1]))' book/measured/frames.json.tmp
	@mv book/measured/frames.json.tmp book/measured/frames.json
	@echo "measure-frames: book/measured/frames.json"
