/* probe: the instructions themselves, in ARM and Thumb state. */
    .syntax unified
    .arch   armv7-a
    .arch_extension virt
    .arch_extension sec

    .text
    .thumb
    .balign 4
    .global probe_thumb_cntpct
    .thumb_func
probe_thumb_cntpct:
    mrrc    p15, 0, r0, r1, c14
    bx      lr

    .global probe_thumb_store
    .thumb_func
probe_thumb_store:
    str     r1, [r0]
    bx      lr

    .global probe_thumb_hints
    .thumb_func
probe_thumb_hints:
    wfe
    yield
    bx      lr

    .arm
    .balign 4
/* uint32_t probe_hvc_word(uint32_t *slot, uint32_t word, uint32_t *regs):
 * store `word` (an HVC with some immediate) at `slot` followed by `bx lr`, make it visible to
 * instruction fetch, and run it with r0-r3 from regs[0..3]; regs[0..3] receive r0-r3 after. */
    .global probe_hvc_word
    .type   probe_hvc_word, %function
probe_hvc_word:
    push    {r4-r6, lr}
    str     r1, [r0]
    ldr     r3, =0xe12fff1e         /* bx lr */
    str     r3, [r0, #4]
    dsb
    mcr     p15, 0, r0, c7, c5, 1   /* ICIMVAU */
    add     r3, r0, #4
    mcr     p15, 0, r3, c7, c5, 1
    dsb
    isb
    mov     r4, r0                  /* the slot */
    mov     r5, r2                  /* the register block */
    ldm     r5, {r0-r3}
    blx     r4
    stm     r5, {r0-r3}
    pop     {r4-r6, pc}
    .size   probe_hvc_word, . - probe_hvc_word

/* Continue in User mode on the SVC stack (the caller never returns to SVC). */
    .global probe_enter_user
    .type   probe_enter_user, %function
probe_enter_user:
    mov     r0, sp
    mov     r1, lr
    cps     #0x1f                   /* System mode shares User's banked SP and LR */
    mov     sp, r0
    mov     lr, r1
    cps     #0x10
    bx      lr
    .size   probe_enter_user, . - probe_enter_user

    .global probe_user_hvc_version
    .type   probe_user_hvc_version, %function
probe_user_hvc_version:
    mov     r0, #0
    hvc     #0
    bx      lr
    .size   probe_user_hvc_version, . - probe_user_hvc_version

    .global probe_read_cntpct
    .type   probe_read_cntpct, %function
probe_read_cntpct:
    mrrc    p15, 0, r0, r1, c14
    bx      lr
    .size   probe_read_cntpct, . - probe_read_cntpct

/* uint32_t probe_smc(uint32_t cpsr): set CPSR (flags, masks, mode SVC), SMC #0, return CPSR. */
    .global probe_smc
    .type   probe_smc, %function
probe_smc:
    mrs     r2, cpsr
    msr     cpsr_fsxc, r0
    and     r0, r0, #0x1f           /* kept if the return skips the MRS: the mode alone, */
                                    /* 0x00000013, the "CPSR" issue 14 saw after an SMC */
    smc     #0
    mrs     r0, cpsr
    msr     cpsr_fsxc, r2
    bx      lr
    .size   probe_smc, . - probe_smc

    .global probe_udf
    .type   probe_udf, %function
probe_udf:
    udf     #0
    bx      lr
    .size   probe_udf, . - probe_udf

    .global probe_hints
    .type   probe_hints, %function
probe_hints:
    push    {r4, lr}
    wfe
    yield
    ldr     r4, =probe_thumb_hints
    blx     r4
    pop     {r4, pc}
    .size   probe_hints, . - probe_hints

/* void probe_lockup(uint32_t vectors): exceptions vectored to UDFs (filled in by the caller):
 * each entry raises the next, and the CPU can never progress. */
    .global probe_lockup
    .type   probe_lockup, %function
probe_lockup:
    mcr     p15, 0, r0, c12, c0, 0  /* VBAR */
    isb
    udf     #0
    b       .
    .size   probe_lockup, . - probe_lockup
