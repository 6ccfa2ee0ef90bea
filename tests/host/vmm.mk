# The page-table code's host tests: chapter 3's vmm.c, pmm.c and kheap.c,
# unchanged, as 64-bit code over a simulated MMU and TLB (vmm_host.c), which
# needs the kernel's real addresses 0xC0000000-0xFFFFFFFF.  ASan keeps a
# shadow gap there, so this test runs under UBSan only.
HOST_TESTS    += vmm
vmm_STAGE     := 3
vmm_SRCS      := tests/host/test_vmm.c tests/host/vmm_host.c vmm.c pmm.c kheap.c kstring.c
vmm_SANITIZE  := undefined
vmm_CFLAGS    := $(HOST_RENAMES)
