%line 717+1 chapters/00-workbench.nw
; isr.asm: loading the GDT and IDT, and the exception entry stubs.
bits 32
SEG_KDATA equ 0x10              ; as in x86.h
section .text
%line 560+1 chapters/00-workbench.nw
; void gdt_load(const struct table_pointer *p, uint32_t code, uint32_t data)
global gdt_load
gdt_load:
    mov eax, [esp + 4]
    lgdt [eax]
    mov eax, [esp + 12]         ; reload every data segment register
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    push dword [esp + 8]        ; CS = code: "return" far to the next line
    push .reload
    retf
.reload:
    ret
%line 708+1 chapters/00-workbench.nw
; void idt_load(const struct table_pointer *p)
global idt_load
idt_load:
    mov eax, [esp + 4]
    lidt [eax]
    ret
%line 607+1 chapters/00-workbench.nw
%macro EXCEPTION 1
isr%1:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
                                ; the CPU pushed an error code
%else
    push 0                      ; no error code: push one
%endif
    push %1                     ; the vector number
    jmp exception_common
%endmacro

%assign i 0
%rep 32
EXCEPTION i
%assign i i + 1
%endrep
%line 633+1 chapters/00-workbench.nw
extern trap
exception_common:
    pushad
    push ds
    push es
    push fs
    push gs
    mov ax, SEG_KDATA
    mov ds, ax
    mov es, ax
    push esp                    ; trap(struct trapframe *tf)
    call trap
    add esp, 4
    pop gs
    pop fs
    pop es
    pop ds
    popad
    add esp, 8                  ; the vector and the error code
    iretd
%line 658+1 chapters/00-workbench.nw
global exception_stubs
section .rodata
exception_stubs:
%assign i 0
%rep 32
    dd isr %+ i
%assign i i + 1
%endrep
section .text
%line 925+1 chapters/00-workbench.nw
; int probe_read(const volatile uint32_t *addr, uint32_t *value)
global probe_read
probe_read:
    mov edx, [esp + 4]
    mov eax, -1                 ; -1: no exception
.insn:
    mov ecx, [edx]              ; may fault: trap() then resumes at .fixup
    mov edx, [esp + 8]
    mov [edx], ecx
.fixup:
    ret
%line 939+1 chapters/00-workbench.nw
; int probe_write(volatile uint32_t *addr, uint32_t value)
global probe_write
probe_write:
    mov edx, [esp + 4]
    mov ecx, [esp + 8]
    mov eax, -1
.insn:
    mov [edx], ecx              ; may fault
.fixup:
    ret

; int probe_ud2(void)
global probe_ud2
probe_ud2:
    mov eax, -1
.insn:
    ud2                         ; always raises #UD
.fixup:
    ret
%line 963+1 chapters/00-workbench.nw
global probe_table, probe_table_end
section .rodata
probe_table:
    dd probe_read.insn,  probe_read.fixup
    dd probe_write.insn, probe_write.fixup
    dd probe_ud2.insn,   probe_ud2.fixup
probe_table_end:
section .text
%line 725+1 chapters/00-workbench.nw
section .note.GNU-stack noalloc noexec nowrite progbits
