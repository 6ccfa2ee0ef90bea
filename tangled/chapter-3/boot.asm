%line 235+1 chapters/00-boot.nw
; boot.asm: the multiboot header and the first instructions the kernel runs.
bits 32
%line 421+1 chapters/03-vmm.nw
KERNEL_VIRTUAL_BASE equ 0xC0000000  ; as in kernel.h and kernel.ld
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
%line 688+1 chapters/03-vmm.nw
KERNEL_STACK_SIZE equ 16384

section .bss
align 4096
global stack_guard, stack_bottom, stack_top
stack_guard:
    resb 4096                               ; left unmapped by vmm_init
stack_bottom:
    resb KERNEL_STACK_SIZE
stack_top:
%line 514+1 chapters/03-vmm.nw
section .data
align 4096
boot_page_directory:
    dd 0x00000083                           ; virtual 0-4 MiB -> physical 0-4 MiB
    times (KERNEL_VIRTUAL_BASE >> 22) - 1 dd 0
%assign i 0
%rep 64                                     ; 0xC0000000 + 4i MiB -> 4i MiB
    dd (i << 22) | 0x83
%assign i i + 1
%endrep
    times 1024 - (KERNEL_VIRTUAL_BASE >> 22) - 64 dd 0
%line 617+1 chapters/03-vmm.nw
section .boot progbits alloc exec nowrite align=16
global _start
extern kmain
%line 560+1 chapters/03-vmm.nw
check_pse:                                  ; returns if the CPU has PSE, else stops
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21                        ; EFLAGS.ID changes iff CPUID exists
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd                                   ; EFLAGS as it was
    xor eax, ecx
    test eax, 1 << 21
    jz .missing
    xor eax, eax
    cpuid                                   ; EAX: the highest leaf
    test eax, eax
    jz .missing
    mov eax, 1
    cpuid
    test edx, 1 << 3                        ; CPUID.1:EDX.PSE
    jz .missing
    ret
.missing:
    mov esi, no_pse_message
    mov edi, 0xB8000                        ; the screen's first line
.next:
    lodsb
    test al, al
    jz .stop
    mov bl, al
    mov ah, 0x07                            ; grey on black
    stosw
    mov dx, 0x3F8 + 5                       ; COM1's line status
.wait:
    in al, dx
    test al, 0x20                           ; transmitter empty?
    jz .wait
    mov dx, 0x3F8
    mov al, bl
    out dx, al
    jmp .next
.stop:
    mov dx, 0xF4                            ; QEMU's isa-debug-exit
    mov eax, 0x11                           ; QEMU_EXIT_FAILURE
    out dx, eax
.halt:
    cli
    hlt
    jmp .halt
no_pse_message:
    db "boot: stage 3 needs 4 MiB pages (PSE, a Pentium or later), "
    db "and this processor has none; stopping.", 13, 10, 0
%line 621+1 chapters/03-vmm.nw
_start:                                     ; the loader jumps here, paging off
    mov esp, stack_top - KERNEL_VIRTUAL_BASE ; a stack, through its physical address
    mov esi, eax                            ; the multiboot magic and information
    mov edi, ebx
    call check_pse
    mov eax, esi
    mov ebx, edi
    mov ecx, boot_page_directory - KERNEL_VIRTUAL_BASE
    mov cr3, ecx                            ; the physical address of the directory
    mov ecx, cr4
    or ecx, 0x00000010                      ; CR4.PSE: allow 4 MiB pages
    mov cr4, ecx
    mov ecx, cr0
    or ecx, 0x80000000                      ; CR0.PG: paging on
    mov cr0, ecx                            ; still running at ~1 MiB: identity-mapped
    lea ecx, [higher_half]
    jmp ecx                                 ; now at 0xC01xxxxx
section .text
higher_half:
    mov esp, stack_top
    xor ebp, ebp
    push 0
    popfd
    push ebx                                ; kmain(magic, multiboot info)
    push eax
    call kmain
.halt:
    cli
    hlt
    jmp .halt
%line 241+1 chapters/00-boot.nw
section .note.GNU-stack noalloc noexec nowrite progbits
