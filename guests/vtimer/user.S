/* void vtimer_enter_user(void (*code)(void), uint32_t *stack_top): run code in User mode
 * (IRQs masked) on its own stack; its SVC handler resumes at vtimer_user_return in SVC
 * mode, whose banked SP is still the one saved below. */
    .syntax unified
    .arch   armv7-a
    .arm
    .text
    .global vtimer_enter_user, vtimer_user_return
    .type   vtimer_enter_user, %function
vtimer_enter_user:
    push    {r4-r11, lr}
    cps     #0x1f                   /* System mode shares the User registers */
    mov     sp, r1
    cps     #0x13
    mov     r2, #0x1d0              /* User mode, A/I/F masked, ARM */
    msr     spsr_cxsf, r2
    movs    pc, r0
vtimer_user_return:
    pop     {r4-r11, pc}
    .size   vtimer_enter_user, . - vtimer_enter_user
