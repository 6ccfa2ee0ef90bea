%line 235+1 chapters/00-boot.nw
; boot.asm: the multiboot header and the first instructions the kernel runs.
bits 32

%line 166+1 chapters/00-boot.nw
MB_HEADER_MAGIC equ 0x1BADB002
MB_PAGE_ALIGN   equ 1 << 0          ; load modules on page boundaries
MB_MEMORY_INFO  equ 1 << 1          ; give us mem_* and the memory map
MB_FLAGS        equ MB_PAGE_ALIGN | MB_MEMORY_INFO

section .multiboot
align 4
    dd MB_HEADER_MAGIC
    dd MB_FLAGS
    dd -(MB_HEADER_MAGIC + MB_FLAGS)    ; the three words sum to 0
%line 219+1 chapters/00-boot.nw
KERNEL_STACK_SIZE equ 16384

section .bss
align 4096
global stack_guard, stack_bottom, stack_top
stack_guard:
    resb 4096                               ; a pattern, checked (chapter 3: unmapped)
stack_bottom:
    resb KERNEL_STACK_SIZE
stack_top:
%line 191+1 chapters/00-boot.nw
section .text
global _start
extern kmain
_start:
    mov esp, stack_top          ; a stack we own, in .bss
    xor ebp, ebp                ; the end of the frame-pointer chain
    push 0
    popfd                       ; EFLAGS = 0: DF clear, IF clear
    push ebx                    ; kmain(magic, multiboot info)
    push eax
    call kmain
.halt:
    cli
    hlt
    jmp .halt
%line 241+1 chapters/00-boot.nw
section .note.GNU-stack noalloc noexec nowrite progbits
