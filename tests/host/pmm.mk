# The frame allocator's host tests: chapter 2's pmm.c, compiled as 64-bit
# code through tests/host/pmm_host.c, which points P2V into simulated RAM.
HOST_TESTS  += pmm
pmm_STAGE   := 2
pmm_SRCS    := tests/host/test_pmm.c tests/host/pmm_host.c kstring.c
pmm_CFLAGS  := $(HOST_RENAMES)
