/*
 * uint32_t selfmod_own_page(uint32_t instruction): store `instruction` over the first
 * instruction after this routine's own ISB (in its own page), make it visible to instruction
 * fetch, and run it: it returns what the new instruction leaves in r0.
 */
    .syntax unified
    .arch   armv7-a
    .arm
    .text

    .global selfmod_own_page
    .type   selfmod_own_page, %function
selfmod_own_page:
    adr     r1, 1f
    str     r0, [r1]
    dsb
    mov     r2, #0
    mcr     p15, 0, r2, c7, c5, 0   /* ICIALLU */
    dsb
    isb
1:  mov     r0, #0                  /* rewritten by the str above */
    bx      lr
    .size   selfmod_own_page, . - selfmod_own_page
