# Chapter 2's frame allocator in its two builds: debug (HEAP_DEBUG, as the
# kernel is built: freed frames are poisoned) and release (no poison, the
# same checks), each against a bitmap in the same run.
BENCHES                  += pmm-build-debug pmm-build-release
pmm-build-debug_STAGE    := 2
pmm-build-debug_SRCS     := bench/bench_pmm_build.c tests/host/pmm_host.c kstring.c
pmm-build-debug_CFLAGS   := $(HOST_RENAMES) -DHEAP_DEBUG
pmm-build-release_STAGE  := 2
pmm-build-release_SRCS   := $(pmm-build-debug_SRCS)
pmm-build-release_CFLAGS := $(HOST_RENAMES)

.PHONY: measure-pmm-build
measure-pmm-build: build/bench/pmm-build-debug build/bench/pmm-build-release   ## measure a frame alloc+free in the debug and release builds into book/measured/pmmbuild.json
	@mkdir -p book/measured
	@{ printf '{\n  "_command": "make measure-pmm-build",\n'; \
	   build/bench/pmm-build-debug --json; build/bench/pmm-build-release --json | sed '$$s/,$$//'; \
	   printf '}\n'; } > book/measured/pmmbuild.json.tmp
	@python3 -c 'import json,sys; json.load(open(sys.argv[1]))' book/measured/pmmbuild.json.tmp
	@mv book/measured/pmmbuild.json.tmp book/measured/pmmbuild.json
	@echo "measure-pmm-build: book/measured/pmmbuild.json"
