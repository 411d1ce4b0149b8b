/* crashme: its vectors, the entry into random code and the way back to the batch loop. */
#include "board.h"

    .syntax unified
    .arch   armv7-a
    .arch_extension virt
    .arm

#define GICC_IAR  (BOARD_GICC_BASE + 0x0c)
#define GICC_EOIR (BOARD_GICC_BASE + 0x10)

    .text
/* Eight vectors: each names its kind in r0 (the random code's registers are not kept). */
    .balign 32
    .global crashme_vectors
crashme_vectors:
    b       caught_reset
    b       caught_und
    b       caught_svc
    b       caught_pabt
    b       caught_dabt
    b       caught_hyp
    b       caught_irq
    b       caught_fiq

    .macro  CAUGHT name, kind
\name:
    mov     r0, #\kind
    b       crashme_back
    .endm
    CAUGHT  caught_reset, 0
    CAUGHT  caught_und, 1
    CAUGHT  caught_svc, 2
    CAUGHT  caught_pabt, 3
    CAUGHT  caught_dabt, 4
    CAUGHT  caught_hyp, 5
    CAUGHT  caught_irq, 6
    CAUGHT  caught_fiq, 7

/* Any exception out of random code: in whatever mode it was taken, with whatever SCTLR, stack
 * and endianness the random code left. Nothing here reads memory until SCTLR is safe again. */
    .type   crashme_back, %function
crashme_back:
    setend  le                      /* SCTLR.EE may have made the exception big-endian */
    mov     r1, lr
    mrs     r2, spsr
    mrc     p15, 0, r3, c1, c0, 0   /* SCTLR: MMU, alignment check, high vectors, EE, TRE, */
    bic     r3, r3, #0x3            /* AFE and TE off: the loads below must work */
    bic     r3, r3, #(1 << 13)
    bic     r3, r3, #(1 << 25)
    bic     r3, r3, #0x70000000
    mcr     p15, 0, r3, c1, c0, 0
    isb
    cpsid   aif, #MODE_SVC          /* whichever mode took it: back in SVC, masked */
    ldr     r4, =crashme_good
    ldm     r4, {r5-r10}
    mcr     p15, 0, r5, c1, c0, 0   /* SCTLR */
    mcr     p15, 0, r6, c12, c0, 0  /* VBAR */
    mcr     p15, 0, r7, c2, c0, 2   /* TTBCR */
    mcr     p15, 0, r8, c3, c0, 0   /* DACR */
    mcr     p15, 0, r9, c1, c0, 2   /* CPACR */
    mcr     p15, 0, r10, c14, c1, 0 /* CNTKCTL */
    mov     r3, #0
    mcr     p15, 0, r3, c14, c3, 1  /* CNTV_CTL: the watchdog off (its output falls) */
    mcr     p15, 0, r3, c14, c2, 1  /* CNTP_CTL: off, whatever the random code set */
    mcr     p15, 0, r3, c8, c7, 0   /* TLBIALL */
    isb
    mov     r5, #0
    cmp     r0, #6                  /* an IRQ: acknowledge it and end it at the GIC */
    bne     1f
    ldr     r3, =GICC_IAR
    ldr     r5, [r3]
    ubfx    r6, r5, #0, #10
    movw    r7, #1023
    cmp     r6, r7
    ldrne   r3, =GICC_EOIR
    strne   r5, [r3]
1:  ldr     r3, =crashme_caught
    stm     r3, {r0, r1, r2, r5}
    ldr     r3, =crashme_saved_sp
    ldr     sp, [r3]
    pop     {r4-r11, pc}            /* out of crashme_run, with the kind in r0 */
    .size   crashme_back, . - crashme_back

/* uint32_t crashme_run(const uint32_t *regs, uint32_t cpsr) */
    .global crashme_run
    .type   crashme_run, %function
crashme_run:
    push    {r4-r11, lr}
    ldr     r2, =crashme_saved_sp
    str     sp, [r2]
    dsb                             /* the new code visible to instruction fetch */
    mov     r2, #0
    mcr     p15, 0, r2, c7, c5, 0   /* ICIALLU */
    mcr     p15, 0, r2, c7, c5, 6   /* BPIALL */
    dsb
    isb
    msr     spsr_cxsf, r1
    ldm     r0, {r0-r12, sp, lr, pc}^ /* registers, then PC and CPSR := SPSR */
    .size   crashme_run, . - crashme_run

/* void crashme_save_good(void): the CP15 state every exception puts back; VBAR our vectors. */
    .global crashme_save_good
    .type   crashme_save_good, %function
crashme_save_good:
    push    {r4-r6, lr}
    mrc     p15, 0, r0, c1, c0, 0
    ldr     r1, =crashme_vectors
    mrc     p15, 0, r2, c2, c0, 2
    mrc     p15, 0, r3, c3, c0, 0
    mrc     p15, 0, r4, c1, c0, 2
    mrc     p15, 0, r5, c14, c1, 0
    ldr     r6, =crashme_good
    stm     r6, {r0-r5}
    mcr     p15, 0, r1, c12, c0, 0
    isb
    pop     {r4-r6, pc}
    .size   crashme_save_good, . - crashme_save_good

    .data
    .balign 4
    .global crashme_caught
    .global crashme_good
crashme_caught:
    .space  16
crashme_good:
    .space  24
crashme_saved_sp:
    .word   0
