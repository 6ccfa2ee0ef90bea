# Makefile: the one entry point of the Sarrus memory-management book.
# `make help` lists every target.  Tools are variables, so a reader can
# swap in a cross-compiler:  make chapter-1 CC=i686-elf-gcc LD=i686-elf-ld
# or clang and lld:          make chapter-1 CC=clang LD=ld.lld
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.SECONDARY:

ifeq ($(origin CC),default)
CC      := gcc
endif
LD      := ld
NASM    := nasm
QEMU    := qemu-system-i386
GDB     := gdb
PYTHON  := python3
HOSTCC  := gcc

MEM     ?= 32M          # memory size for `make chapter-N`
BUG     ?=              # a seeded bug (tests/bugs/ID.patch) for chapter-N-test
TIMEOUT ?= 60           # seconds before a test boot counts as hung
# TOOLCHAIN=llvm: build-N and chapter-N-test use the second toolchain the
# suite checks every stage with, LLVM_CC and LLVM_LD, in build/llvm/.
TOOLCHAIN ?=
LLVM_CC   ?= clang
LLVM_LD   ?= ld.lld
# grub-file checks the multiboot header of each kernel (skipped if missing).
GRUB_FILE ?= grub-file

# ---------------------------------------------------------------------------
# Stages: stage N is chapters 00..N.
CHAPTER_FILES := $(sort $(wildcard chapters/[0-9][0-9]-*.nw))
STAGES        := $(filter-out 0,$(foreach f,$(CHAPTER_FILES),$(patsubst 0%,%,$(firstword $(subst -, ,$(notdir $(f)))))))
RESULTS       ?= build/results.txt
export RESULTS

KCFLAGS := -m32 -std=gnu11 -ffreestanding -fno-pie -fno-stack-protector \
           -fno-asynchronous-unwind-tables -fno-builtin -fno-omit-frame-pointer -fno-toplevel-reorder -fno-tree-loop-distribute-patterns \
           -mno-sse -mno-mmx -mno-80387 -O2 -g -Wall -Wextra -Werror \
           -Wno-unused-parameter -DHEAP_DEBUG
# The processor the book promises (chapter 0, "Which processor"): an i486.  Left to
# itself, gcc -m32 targets the i686 and emits CMOV, which a 486 or a Pentium lacks.
KCFLAGS += -march=i486
NASMFLAGS := -f elf32 -g -F dwarf
KLDFLAGS  := -m elf_i386 -nostdlib --build-id=none
LIBGCC     = $(call cc_fact,$(CC),-m32 -print-libgcc-file-name)
# clang takes the same flags but for two of gcc's, and is told its target
# (on macOS plain -m32 would mean Mach-O).  CC is a clang if it says so.
GCC_ONLY_KCFLAGS := -fno-toplevel-reorder -fno-tree-loop-distribute-patterns
CLANG_KCFLAGS    := --target=i686-elf
cc_is_clang  = $(findstring clang,$(call cc_version,$(CC)))
# cc_fact CC,ARGS: what `CC ARGS` prints, asked once per make (every
# compilation needs the compiler's version and a link its libgcc: a shell
# for each of them costs more than a cached compilation).
cc_fact    = $(or $(cc_fact[$(subst $(space),_,$(1) $(2))]),$(eval \
               cc_fact[$(subst $(space),_,$(1) $(2))] := $$(shell $(1) $(2) 2>/dev/null | head -n 1))$(cc_fact[$(subst $(space),_,$(1) $(2))]))
cc_version = $(call cc_fact,$(1),--version)
space     := $(eval) $(eval)
kcflags      = $(if $(cc_is_clang),$(filter-out $(GCC_ONLY_KCFLAGS),$(KCFLAGS)) $(CLANG_KCFLAGS),$(KCFLAGS))
QEMU_COMMON := -M pc -display none -no-reboot -nic none \
               -device isa-debug-exit,iobase=0xf4,iosize=0x04

# Files of stage N, in the order chapters/ROOTS lists them (= link order).
stage_files = $(shell awk '$$1 !~ /^[#]/ && NF == 2 && $$1 <= $(1) { print $$2 }' chapters/ROOTS)

# stage_rules NAME SRCDIR STAGE [CFLAGS] [FILES] [AS]: how to build build/NAME/
# from SRCDIR (FILES: the files to build, by default those chapters/ROOTS lists).
# AS: compile through tools/kcc.sh as if SRCDIR were folder AS, reusing the
# objects of identical compilations: a stage as itself, a copy of a stage's
# sources (a seeded bug, an exercise) as the stage or exercises/ID/src.
define stage_rules
$(1)_FILES := $$(if $(5),$(5),$$(call stage_files,$(3)))
$(1)_OBJS  := $$(addprefix build/$(1)/obj/,$$(addsuffix .o,$$(basename $$(filter %.c %.asm,$$($(1)_FILES)))))
build/$(1)/obj/%.o: export KCC_VERSION = $$(call cc_version,$$(CC))
build/$(1)/obj/%.o: $(2)/%.c $$(addprefix $(2)/,$$(filter %.h,$$($(1)_FILES))) build/$(1)/toolchain
	$(if $(6),tools/kcc.sh $(2)=$(6) )$$(CC) $$(kcflags) $(4) $$(OBJ_CFLAGS) -DKERNEL_STAGE=$(3) -I$(2) -c $$< -o $$@
# (rewritten when CC, LD or the flags change, so that the objects are rebuilt)
build/$(1)/toolchain: FORCE
	@mkdir -p $$(@D)/obj
	@echo '$$(CC) $$(kcflags) | $$(LD) $$(KLDFLAGS) $$(LIBGCC)' | cmp -s - $$@ || echo '$$(CC) $$(kcflags) | $$(LD) $$(KLDFLAGS) $$(LIBGCC)' > $$@
build/$(1)/obj/%.o: $(2)/%.asm
	@mkdir -p $$(@D)
	$$(NASM) $$(NASMFLAGS) $$< -o $$@
# Linked twice: the second time with the table of the first one's functions.
build/$(1)/kernel0.elf: $$($(1)_OBJS) $(2)/kernel.ld build/ksyms-empty.o build/$(1)/toolchain
	$$(LD) $$(KLDFLAGS) -T $(2)/kernel.ld -o $$@ $$($(1)_OBJS) build/ksyms-empty.o $$(LIBGCC)
build/$(1)/ksyms.asm: build/$(1)/kernel0.elf tools/ksyms.sh
	tools/ksyms.sh $$< > $$@
build/$(1)/obj/ksyms.o: build/$(1)/ksyms.asm
	$$(NASM) $$(NASMFLAGS) $$< -o $$@
build/$(1)/kernel.elf: $$($(1)_OBJS) $(2)/kernel.ld build/$(1)/obj/ksyms.o
	$$(LD) $$(KLDFLAGS) -T $(2)/kernel.ld -o $$@ $$($(1)_OBJS) build/$(1)/obj/ksyms.o $$(LIBGCC)
	@tools/ksyms.sh --verify $$@ build/$(1)/ksyms.asm
	@! command -v $$(GRUB_FILE) >/dev/null || $$(GRUB_FILE) --is-x86-multiboot $$@ || { echo "$$@: no valid multiboot header"; rm -f $$@; exit 1; }
build/$(1)/sarrus.iso: build/$(1)/kernel.elf tools/mkiso.sh
	@tools/mkiso.sh $$< $$@ ""
endef
# The empty table of the first link is the same for every kernel: made once.
# (Builds that run side by side may make it at the same time: each writes
# its own temporary files, and the renames are atomic.)
build/ksyms-empty.o: tools/ksyms.sh
	@mkdir -p $(@D)
	tools/ksyms.sh --empty > $@.$$$$.asm && $(NASM) $(NASMFLAGS) $@.$$$$.asm -o $@.$$$$.o && \
	  mv -f $@.$$$$.o $@ && rm -f $@.$$$$.asm
# (The stages compile through tools/kcc.sh too, as themselves: their objects
# are then in the cache for the copies, which change a file or two.)
$(foreach n,$(STAGES),$(eval $(call stage_rules,chapter-$(n),tangled/chapter-$(n),$(n),,,tangled/chapter-$(n))))
TCDIR := $(if $(filter llvm,$(strip $(TOOLCHAIN))),llvm/)
# The second toolchain: the same stages built with clang and lld in build/llvm/
# (directly: no copy is built with it, so there is nothing to share).
$(foreach n,$(STAGES),$(eval $(call stage_rules,llvm/chapter-$(n),tangled/chapter-$(n),$(n))))
build/llvm/%: CC := $(LLVM_CC)
build/llvm/%: LD := $(LLVM_LD)
FORCE:
.PHONY: FORCE

# A seeded bug: tests/bugs/ID.patch applies to tangled/chapter-N (its first
# line says "# stage N").  The patched copy builds in build/bug-ID/.
ifneq ($(strip $(BUG)),)
BUG_STAGE := $(shell sed -n '1s/^# stage \([0-9]\).*/\1/p' tests/bugs/$(strip $(BUG)).patch 2>/dev/null)
$(if $(BUG_STAGE),,$(error BUG=$(BUG): no tests/bugs/$(BUG).patch starting with "# stage N"))
$(eval $(call stage_rules,bug-$(strip $(BUG)),build/bug-$(strip $(BUG))/src,$(BUG_STAGE),,,tangled/chapter-$(BUG_STAGE)))
# (A seeded bug may leave an unused function behind: in the files it
# changes, warnings stay warnings, in every file if it changes a header.  The
# others compile as the stage's do, and so come from the object cache.)
BUG_FILES := $(shell sed -n 's|^+++ b/||p' tests/bugs/$(strip $(BUG)).patch)
$(foreach o,$(if $(filter %.h,$(BUG_FILES)),%.o,$(patsubst %.c,%.o,$(filter %.c,$(BUG_FILES)))),\
  $(eval build/bug-$(strip $(BUG))/obj/$(o): OBJ_CFLAGS := -Wno-error))
build/bug-$(strip $(BUG))/src/.patched: tests/bugs/$(strip $(BUG)).patch $(wildcard tangled/chapter-$(BUG_STAGE)/*)
	@rm -rf $(@D) && mkdir -p $(@D) && cp tangled/chapter-$(BUG_STAGE)/* $(@D)/
	@patch -s -p1 -d $(@D) < $< && touch $@
endif

# Any directory of stage sources (an exercise being graded): EXSRC=DIR
# EXSTAGE=N builds build/EXNAME/kernel.elf from every .c and .asm in DIR,
# the stage's files first, in chapters/ROOTS order, then the others
# (EXCFLAGS: more compiler flags; EXAS: the folder the kernel names its
# files in, for the grader the exercise's src/, as students know them).
ifneq ($(strip $(EXSRC)),)
EX_EXTRA := $(sort $(filter-out $(call stage_files,$(EXSTAGE)),$(notdir $(wildcard $(EXSRC)/*.c $(EXSRC)/*.asm $(EXSRC)/*.h))))
$(eval $(call stage_rules,$(EXNAME),$(EXSRC),$(EXSTAGE),$(EXCFLAGS),$(call stage_files,$(EXSTAGE)) $(EX_EXTRA),$(or $(strip $(EXAS)),$(EXSRC))))
# (the grader builds its kernels one at a time: each one's files compile in parallel)
MAKEFLAGS += -j$(or $(JOBS),$(shell nproc 2>/dev/null),2)
endif

# ---------------------------------------------------------------------------
##@ Reading and running the chapters
.PHONY: help doctor deps tangle check-tangle check-notangle

help:           ## list every target
	@awk 'BEGIN { FS = ":.*## " } \
	     /^##@/ { printf "\n%s\n", substr($$0, 5) } \
	     /^[a-zA-Z0-9%_.-]+:.*## / { gsub(/%/, "N", $$1); printf "  %-22s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo; echo "  Stages present: $(STAGES).  Variables: MEM=$(strip $(MEM)) BUG=<id> TIMEOUT=$(strip $(TIMEOUT)) ONLY LOADERS MAXMEM TOOLCHAIN=llvm JOBS CC LD NASM QEMU LIBGCC"

chapter-%: deps-boot build/chapter-%/sarrus.iso   ## boot stage N from a GRUB ISO (serial console here; Ctrl-A X quits)
	@echo "Booting stage $* from GRUB (memory $(strip $(MEM))). Ctrl-A X quits QEMU."
	@$(QEMU) $(QEMU_COMMON) -m $(strip $(MEM)) -cdrom build/chapter-$*/sarrus.iso -serial mon:stdio || [ $$? -eq 33 ]

chapter-%-kernel: deps-boot build/chapter-%/kernel.elf   ## boot stage N with qemu -kernel (no GRUB)
	@echo "Booting stage $* with qemu -kernel (memory $(strip $(MEM))). Ctrl-A X quits QEMU."
	@$(QEMU) $(QEMU_COMMON) -m $(strip $(MEM)) -kernel build/chapter-$*/kernel.elf -serial mon:stdio || [ $$? -eq 33 ]

chapter-%-gdb: deps-gdb build/chapter-%/kernel.elf   ## boot stage N under gdb, stopped at kmain (serial output: build/chapter-N/serial.log)
	@echo "gdb stops at kmain; the kernel's serial output goes to build/chapter-$*/serial.log (tail -f it)."
	$(GDB) -q -ex 'set confirm off' \
	  -ex 'target remote | exec $(QEMU) $(QEMU_COMMON) -m $(strip $(MEM)) -gdb stdio -S -kernel build/chapter-$*/kernel.elf -serial file:build/chapter-$*/serial.log' \
	  -ex 'break kmain' -ex 'continue' build/chapter-$*/kernel.elf

chapter-%-qemu-gdb: deps-boot build/chapter-%/kernel.elf   ## boot stage N waiting for gdb on a port; monitor stays on this terminal
	@port=$$(( 25000 + $$(id -u) % 5000 )); \
	echo "QEMU waits for gdb. In another terminal:  $(GDB) -ex 'target remote localhost:$$port' -ex 'break kmain' -ex continue build/chapter-$*/kernel.elf"; \
	$(QEMU) $(QEMU_COMMON) -m $(strip $(MEM)) -kernel build/chapter-$*/kernel.elf -serial mon:stdio -gdb tcp:localhost:$$port -S || [ $$? -eq 33 ]

build-%: build/$(TCDIR)chapter-%/kernel.elf build/$(TCDIR)chapter-%/sarrus.iso   ## build stage N (kernel.elf and sarrus.iso) without booting (TOOLCHAIN=llvm: clang and lld)
	@true

doctor:         ## report each required tool and the Debian package that provides it
	@tools/deps.sh doctor

deps:           ## install every Debian package the project uses (make doctor lists them)
	@tools/deps.sh install all
deps-%: ; @tools/deps.sh install $*

tangle:         ## extract every stage's files into tangled/ (notangle -filter tools/nwfilter.py, once per file)
	@$(PYTHON) tools/tangle.py --notangle --stages $(subst $(eval) ,$(comma),$(STAGES))

check-tangle:   ## fail if tangled/ differs from a fresh tangle, a root is unexpected, or a chunk is undefined
	@$(PYTHON) tools/tangle.py --check --stages $(subst $(eval) ,$(comma),$(STAGES)) \
	  && echo "check-tangle: tangled/ matches the chapters (stages $(STAGES))"

check-notangle: ## check that `notangle -filter tools/nwfilter.py` (the command in README) reproduces tangled/
	@$(PYTHON) tools/tangle.py --check --notangle --stages $(subst $(eval) ,$(comma),$(STAGES)) \
	  && echo "check-notangle: notangle -filter tools/nwfilter.py reproduces tangled/ (stages $(STAGES))"

comma := ,

# ---------------------------------------------------------------------------
##@ Testing
.PHONY: test host-test boot-test expected-output bench clean

test:           ## run every check; ends with "N passed, N failed"
	@tools/deps.sh install test
	@tools/run-tests.sh $(STAGES)

chapter-%-test: deps-boot deps-v86 $(if $(TCDIR),deps-llvm) node_modules/v86/package.json   ## boot stage N in test mode via GRUB, qemu -kernel and v86 (BUG=<id> for a seeded bug)
	@$(if $(strip $(BUG)),$(MAKE) --no-print-directory build/bug-$(strip $(BUG))/src/.patched)
	@$(MAKE) --no-print-directory $(if $(strip $(BUG)),build/bug-$(strip $(BUG))/kernel.elf,build/$(TCDIR)chapter-$*/kernel.elf)
	@$(PYTHON) tools/boot-test.py --stage $* --timeout $(strip $(TIMEOUT)) \
	  --build $(if $(strip $(BUG)),build/bug-$(strip $(BUG)),build/$(TCDIR)chapter-$*) \
	  $(if $(EXPECT),--expect "$(EXPECT)") $(if $(LABEL),--label "$(LABEL)",$(if $(TCDIR),--label stage$*/llvm)) \
	  $(if $(ONLY),--only "$(ONLY)") $(if $(LOADERS),--loaders $(LOADERS)) $(if $(MAXMEM),--max-mem $(MAXMEM))

host-test:      ## build and run the host unit tests (cmocka, 64-bit, sanitizers)
	@tools/deps.sh install host
	@$(MAKE) --no-print-directory host-test-run

expected-output: ## compare the serial output shown in the chapters with real boots
	@$(PYTHON) tools/expected-output.py --stages "$(STAGES)"

bench:          ## benchmarks on the host, printed as ratios against glibc
	@tools/deps.sh install host
	@$(MAKE) --no-print-directory bench-run

node_modules/v86/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:          ## remove build/
	rm -rf build

# ---------------------------------------------------------------------------
# Host tests and benchmarks: each tests/host/NAME.mk and bench/NAME.mk adds
# a program built from tangled sources (see HACKING.md).
HOST_TESTS :=
BENCHES    :=
HOSTBUILD  ?= build
# The kernel's string functions, renamed so that they do not replace the C
# library's in a host program.
HOST_RENAMES := -Dmemset=kmemset -Dmemcpy=kmemcpy -Dmemmove=kmemmove -Dmemcmp=kmemcmp \
                -Dstrlen=kstrlen -Dstrcmp=kstrcmp
-include $(sort $(wildcard tests/host/*.mk))
-include $(sort $(wildcard bench/*.mk))

HOST_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter -fno-omit-frame-pointer -fno-toplevel-reorder -fno-tree-loop-distribute-patterns \
                -fno-sanitize-recover=undefined -DHEAP_DEBUG -DHOST_TEST
BENCH_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -DHOST_TEST

# host_program KIND NAME: $(HOSTBUILD)/KIND/NAME from $(NAME_SRCS); bare names
# come from $(NAME_DIR), by default tangled/chapter-$(NAME_STAGE)/ (a seeded
# bug's host check points NAME_DIR and HOSTBUILD at its patched copy, and
# HOST_AS at the folder it copies).  Every file compiles through tools/kcc.sh,
# as if in HOST_AS: a bug's copy reuses the objects of the files it did not change.
# NAME_SANITIZE replaces the default sanitizers (address,undefined) of a host test.
define host_program
$(2)_DIR  ?= tangled/chapter-$$($(2)_STAGE)
$(2)_FILES = $$(foreach s,$$($(2)_SRCS),$$(if $$(findstring /,$$(s)),$$(s),$$($(2)_DIR)/$$(s))) tests/host/host_shim.c
$(2)_FLAGS = $$(if $$(filter bench,$(1)),$$(BENCH_CFLAGS),$$(HOST_CFLAGS) -fsanitize=$$(or $$($(2)_SANITIZE),address,undefined)) \
             $$($(2)_CFLAGS) -Itests/host -I$$($(2)_DIR) -include host_shim.h
$(2)_OBJS  = $$(foreach f,$$($(2)_FILES),$$(HOSTBUILD)/$(1)/$(2).objs/$$(basename $$(notdir $$(f))).o)
$$(HOSTBUILD)/$(1)/$(2): $$($(2)_OBJS)
	$$(HOSTCC) $$($(2)_FLAGS) -o $$@ $$^ $$(if $$(filter bench,$(1)),,-lcmocka) -lm
$$(foreach f,$$($(2)_FILES),$$(eval $$(call host_object,$(1),$(2),$$(f))))
endef
# (every tangled file of the stage is a prerequisite: a test may #include a .c)
define host_object
$$(HOSTBUILD)/$(1)/$(2).objs/$$(basename $$(notdir $(3))).o: export KCC_VERSION = $$(call cc_version,$$(HOSTCC))
$$(HOSTBUILD)/$(1)/$(2).objs/$$(basename $$(notdir $(3))).o: $(3) $$(wildcard tests/host/*.h bench/*.h) $$(wildcard $$($(2)_DIR)/*)
	@mkdir -p $$(@D)
	tools/kcc.sh $$($(2)_DIR)=$$(or $$(HOST_AS),$$($(2)_DIR)) $$(HOSTCC) $$($(2)_FLAGS) -c $(3) -o $$@
endef
$(foreach t,$(HOST_TESTS),$(eval $(call host_program,host,$(t))))
$(foreach b,$(BENCHES),$(eval $(call host_program,bench,$(b))))

host-test-run: $(addprefix build/host/,$(HOST_TESTS))
	@for t in $(HOST_TESTS); do echo "== host test $$t"; build/host/$$t; done

bench-run: $(addprefix build/bench/,$(BENCHES)) $(foreach n,$(STAGES),build/chapter-$(n)/kernel.elf)
	@for b in $(BENCHES); do echo "== bench $$b"; build/bench/$$b; done
	@echo "== bench boot"; $(PYTHON) tools/bench-boot.py

include book/book.mk
include $(wildcard exercises/exercises.mk)
include web/web.mk

print-%: ; @echo $($*)
