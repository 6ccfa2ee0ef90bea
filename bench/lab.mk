# The allocator lab (lab/README.md): real programs' malloc traces replayed
# through every allocator the book builds and through glibc.
#   make lab        re-measure: book/measured/lab.json and lab-footprint.dat
#   make lab-check  replay a short prefix of a trace through each allocator,
#                   checking contents and heap structures (make test runs it)
#   make lab-record record the traces again (lab/traces/*.trace.gz)
# The plots are drawn by every book build from the committed measurements.
LAB_TRACES  := $(sort $(wildcard lab/traces/*.trace.gz))
LAB_CFLAGS  := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -DHOST_TEST $(HOST_RENAMES)
LAB_SHIM    := tests/host/host_shim.c
# Each allocator: a replayer program build/lab/replay-NAME.
LAB_ALLOCATORS := firstfit bestfit glibc

build/lab/replay-firstfit: lab/replay.c lab/alloc_heap.c lab/lab.h bench/bench.h $(wildcard tangled/chapter-1/*)
	@mkdir -p $(@D)
	$(HOSTCC) $(LAB_CFLAGS) -Ilab -Itests/host -Itangled/chapter-1 -include host_shim.h -o $@ \
	  lab/replay.c lab/alloc_heap.c tangled/chapter-1/kheap.c tangled/chapter-1/kstring.c $(LAB_SHIM) -lz

# Best fit: the solution of exercise ch1-best-fit over stage 1's plain sources.
build/lab/bestfit-src/.patched: exercises/ch1-best-fit/starter.patch exercises/solutions/ch1-best-fit.patch $(wildcard chapters/0*.nw)
	@rm -rf $(@D) build/lab/plain && mkdir -p $(@D)
	@$(PYTHON) tools/tangle.py --plain --out build/lab/plain --stages 1 >/dev/null
	@cp build/lab/plain/chapter-1/* $(@D)/
	@patch -s -p1 -d $(@D) < exercises/ch1-best-fit/starter.patch
	@patch -s -p1 -d $(@D) < exercises/solutions/ch1-best-fit.patch
	@touch $@
build/lab/replay-bestfit: lab/replay.c lab/alloc_heap.c lab/lab.h bench/bench.h build/lab/bestfit-src/.patched
	$(HOSTCC) $(LAB_CFLAGS) -DBEST_FIT -Ilab -Itests/host -Ibuild/lab/bestfit-src -include host_shim.h -o $@ \
	  lab/replay.c lab/alloc_heap.c build/lab/bestfit-src/kheap.c build/lab/bestfit-src/kstring.c $(LAB_SHIM) -lz

# Stage 4's kmalloc (chapter 4), release build, once stage 4 exists.
# (LAB_STAGE4 and LAB_SLAB_HOST point elsewhere to measure another tree's.)
LAB_STAGE4    ?= tangled/chapter-4
LAB_SLAB_HOST ?= tests/host/slab_host.c
ifneq ($(wildcard $(LAB_STAGE4)/slab.c),)
LAB_ALLOCATORS += slab
endif
build/lab/replay-slab: lab/replay.c lab/alloc_slab.c lab/lab.h bench/bench.h $(wildcard $(LAB_STAGE4)/*) $(LAB_SLAB_HOST)
	@mkdir -p $(@D)
	$(HOSTCC) $(LAB_CFLAGS) -Ilab -Itests/host -I$(dir $(LAB_SLAB_HOST)) -I$(LAB_STAGE4) -include host_shim.h -o $@ \
	  lab/replay.c lab/alloc_slab.c $(wildcard $(addprefix $(LAB_STAGE4)/,slab.c kmalloc.c kheap.c kstring.c)) \
	  $(LAB_SLAB_HOST) $(LAB_SHIM) -lz

build/lab/replay-glibc: lab/replay.c lab/alloc_glibc.c lab/lab.h bench/bench.h
	@mkdir -p $(@D)
	$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Ilab -o $@ lab/replay.c lab/alloc_glibc.c -lz

LAB_REPLAYERS = $(LAB_ALLOCATORS:%=build/lab/replay-%)

.PHONY: lab lab-check lab-record
lab: $(LAB_REPLAYERS)   ## the allocator lab: replay real programs' malloc traces through every allocator; rewrites book/measured/lab.json
	@nice $(PYTHON) lab/lab.py measure --replayers "$(LAB_REPLAYERS)" --traces "$(LAB_TRACES)" \
	  --json book/measured/lab.json --curve book/measured/lab-footprint.dat

lab-check: $(LAB_REPLAYERS)   ## replay a prefix of each lab trace through every allocator, checking contents and heaps
	@$(PYTHON) lab/lab.py check --replayers "$(LAB_REPLAYERS)" --traces "$(LAB_TRACES)"

lab-record: build/lab/recorder.so   ## record the lab's traces again (python3, sqlite3, gcc) into lab/traces/
	@tools/deps.sh install lab
	@lab/record.sh build/lab/recorder.so lab/traces

build/lab/recorder.so: lab/recorder.c
	@mkdir -p $(@D)
	$(HOSTCC) -O2 -Wall -shared -fPIC -o $@ $<

# The lab's figures, drawn by every book build from the committed
# measurements (gnuplot, SVG; the book's rule turns each into a PDF).
LAB_FIGURES := lab-throughput lab-footprint
build/html/figures/lab-throughput.svg: book/measured/lab.json lab/lab.py
	@mkdir -p $(@D)
	@$(PYTHON) lab/lab.py plot throughput $< $@
build/html/figures/lab-footprint.svg: book/measured/lab-footprint.dat lab/lab.py
	@mkdir -p $(@D)
	@$(PYTHON) lab/lab.py plot footprint $< $@
figures: $(LAB_FIGURES:%=build/html/figures/%.svg) $(LAB_FIGURES:%=build/book/figures/%.pdf)
