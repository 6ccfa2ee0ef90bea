# Stage 4's slab caches and routed kmalloc on the host: slab.c (caches and kmalloc),
# kheap.c and kstring.c over the memory of tests/host/slab_host.c, under
# ASan and UBSan.  Twice: as the kernel is built (HEAP_DEBUG: poison and
# its checks) and as the release build (without HEAP_DEBUG).
HOST_TESTS         += slab slab-release
slab_STAGE         := 4
slab_SRCS          := tests/host/test_slab.c tests/host/slab_host.c slab.c kheap.c kstring.c
slab_CFLAGS        := $(HOST_RENAMES)
slab-release_STAGE := 4
slab-release_SRCS  := $(slab_SRCS)
slab-release_CFLAGS := $(HOST_RENAMES) -UHEAP_DEBUG
