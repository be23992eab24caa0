// The emulator's context switch (see cuda_emu.h): compiled once into the emulated test.
#include "cuda_emu.h"

#if defined(__x86_64__)
// t4j_emu_switch(void **save_sp, void *load_sp): saves the callee-saved state on this stack and
// its pointer in *save_sp, then restores the state saved at load_sp and returns there.
__asm__(R"(
    .text
    .globl t4j_emu_switch
    .type t4j_emu_switch, @function
t4j_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size t4j_emu_switch, .-t4j_emu_switch
    .section .note.GNU-stack,"",@progbits
)");

extern "C" void t4j_emu_start() { t4j_emu::fiber_run(); }
#else
void t4j_emu::fiber_entry() { fiber_run(); }
#endif
