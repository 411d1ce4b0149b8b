/*
 * rthv guest start-up (ARM state).
 *
 * Entry: the ELF entry point `_start` (== the image load address, so a raw binary
 * started at its first byte also works). Accepted entry states:
 *   - any PL1 mode (SVC on the rthv board, Secure SVC on QEMU vexpress-a15, ...):
 *     we switch to SVC with A/I/F masked;
 *   - Hyp mode (QEMU's Linux boot path when EL2 exists): we drop to SVC through
 *     SPSR_hyp/ELR_hyp + ERET.
 * MMU and caches are left off; no cache maintenance is done.
 *
 * CP15 registers touched: SCTLR (clear V and TE, only if set) and VBAR.
 */
#include "board.h"

    .syntax unified
    .arch   armv7-a
    .arch_extension virt
    .arm

/* ---------------------------------------------------------------------------------- */
    .section .vectors, "ax", %progbits
    .balign 32                      /* VBAR needs 32-byte alignment */
    .global _start
    .global bsp_vectors
    .type   _start, %function
_start:
bsp_vectors:
    b       reset_entry             /* 0x00 reset / image entry */
    b       und_entry               /* 0x04 undefined instruction */
    b       svc_entry               /* 0x08 supervisor call */
    b       pabt_entry              /* 0x0c prefetch abort */
    b       dabt_entry              /* 0x10 data abort */
    b       hyp_trap_entry          /* 0x14 (Hyp trap; unused at PL1) */
    b       irq_entry               /* 0x18 IRQ */
    b       fiq_entry               /* 0x1c FIQ */
    .size   _start, . - _start

/* ---------------------------------------------------------------------------------- */
    .text
    .type   reset_entry, %function
reset_entry:
    mrs     r4, cpsr                /* kept in r4 until stored in bsp_entry_cpsr */
    and     r1, r4, #0x1f
    cmp     r1, #MODE_HYP
    bne     1f
    /* Hyp: return to SVC (A, I, F masked, ARM state) at label 1. */
    /* (SPSR_hyp is written as the current-mode SPSR: the banked form is
     * UNPREDICTABLE from Hyp mode; ELR_hyp must use the banked form.) */
    mov     r2, #(0x1c0 | MODE_SVC)
    msr     spsr_cxsf, r2
    adr     r2, 1f
    msr     elr_hyp, r2
    eret
1:
    /* Any PL1 mode -> SVC, everything masked. Then one stack per mode. */
    cpsid   aif, #MODE_IRQ
    ldr     sp, =__irq_stack_top
    cps     #MODE_ABT
    ldr     sp, =__abt_stack_top
    cps     #MODE_UND
    ldr     sp, =__und_stack_top
    cps     #MODE_FIQ
    ldr     sp, =__fiq_stack_top
    cps     #MODE_SVC
    ldr     sp, =__svc_stack_top

    /* SCTLR: V=0 (vectors at VBAR), TE=0 (exceptions taken in ARM state). */
    mrc     p15, 0, r0, c1, c0, 0
    bic     r1, r0, #(1 << 13)
    bic     r1, r1, #(1 << 30)
    cmp     r1, r0
    mcrne   p15, 0, r1, c1, c0, 0
    ldr     r0, =bsp_vectors
    mcr     p15, 0, r0, c12, c0, 0  /* VBAR */
    isb

    /* Clear .bss (8-byte aligned start and size, see link.ld.in). */
    ldr     r0, =__bss_start
    ldr     r1, =__bss_end
    mov     r2, #0
    mov     r3, #0
2:  cmp     r0, r1
    strdlo  r2, r3, [r0], #8
    blo     2b
    ldr     r0, =bsp_entry_cpsr
    str     r4, [r0]

    bl      bsp_init
    bl      main
    b       bsp_exit
    .size   reset_entry, . - reset_entry

/* ---------------------------------------------------------------------------------- */
/* Synchronous exceptions / FIQ: build a struct exc_frame on this mode's stack, call
 * bsp_exception(frame, kind), then return to frame->pc restoring CPSR from the
 * (possibly modified) saved SPSR. */
    .macro  EXC_TRAMPOLINE name, kind
    .type   \name, %function
\name:
    push    {r0-r12, lr}
    mrs     r0, spsr
    push    {r0, r1}                /* spsr, pad */
    mov     r0, sp                  /* struct exc_frame * */
    mov     r4, sp                  /* (r4 is saved in the frame; callee-saved) */
    bic     sp, sp, #7              /* AAPCS: 8-byte aligned SP for the C call (an SVC
                                     * taken in SVC mode shares the caller's stack) */
    mov     r1, #\kind
    bl      bsp_exception
    mov     sp, r4
    pop     {r0, r1}
    msr     spsr_cxsf, r0
    ldm     sp!, {r0-r12, pc}^
    .size   \name, . - \name
    .endm

    EXC_TRAMPOLINE und_entry,       EXC_UND
    EXC_TRAMPOLINE svc_entry,       EXC_SVC
    EXC_TRAMPOLINE pabt_entry,      EXC_PABT
    EXC_TRAMPOLINE dabt_entry,      EXC_DABT
    EXC_TRAMPOLINE hyp_trap_entry,  EXC_HYP_TRAP
    EXC_TRAMPOLINE fiq_entry,       EXC_FIQ

/* IRQ: not re-entrant; gic_handle_irq() acknowledges, dispatches and EOIs. */
    .type   irq_entry, %function
irq_entry:
    sub     lr, lr, #4
    push    {r0-r3, r12, lr}
    bl      gic_handle_irq
    pop     {r0-r3, r12, lr}
    movs    pc, lr
    .size   irq_entry, . - irq_entry

/* ---------------------------------------------------------------------------------- */
/* Exit convention: mask everything and sleep forever. `bsp_halt` is the WFI loop. */
    .global bsp_exit
    .global bsp_halt
    .type   bsp_exit, %function
bsp_exit:
    cpsid   aif
    dsb
bsp_halt:
    wfi
    b       bsp_halt
    .size   bsp_exit, . - bsp_exit

/* ---------------------------------------------------------------------------------- */
    .data
    .balign 4
    .global bsp_entry_cpsr
bsp_entry_cpsr:                     /* CPSR as found at the image entry point */
    .word   0

    .section .stack, "aw", %nobits
    .balign 8
__svc_stack_bottom:
    .space  BSP_SVC_STACK_SIZE
    .global __svc_stack_top
__svc_stack_top:
    .space  BSP_IRQ_STACK_SIZE
__irq_stack_top:
    .space  BSP_ABT_STACK_SIZE
__abt_stack_top:
    .space  BSP_UND_STACK_SIZE
__und_stack_top:
    .space  BSP_FIQ_STACK_SIZE
__fiq_stack_top:
