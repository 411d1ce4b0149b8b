/*
 * Hand-written Thumb-2 for the "thumb" guest: the exactly-counted thumb_probe, a TBB
 * switch, a TBH switch, an LDRD/STRD loop and UDIV/SDIV.
 */
    .syntax unified
    .arch   armv7-a
    .arch_extension idiv
    .thumb
    .text

/*
 * uint32_t thumb_probe(void)
 *
 * Executes exactly 76 instructions from its first instruction up to and including the
 * returning POP (5 before the loop + 10 iterations x 7 + 1), 54 of them 16-bit and 22
 * 32-bit encodings:
 *   prologue  push(16) movw(32) movt(32) movs(16) movs(16)              5
 *   loop x10  add.w(32) tst.w(32) ite(16) eorne(16) addeq(16)
 *             subs(16) bne(16)                                         70
 *   epilogue  pop(16)                                                  1
 * Inside the ITE block one of EORNE/ADDEQ fails its condition on every iteration; it
 * is still an executed (retired) instruction, as is the IT itself.
 * Returns 0x56781211.
 */
    .global thumb_probe
    .type   thumb_probe, %function
    .thumb_func
thumb_probe:
    push    {r4, lr}
    movw    r1, #0x1234
    movt    r1, #0x5678
    movs    r0, #0
    movs    r2, #10
1:  add.w   r0, r0, r2, lsl #1
    tst.w   r2, #1
    ite     ne
    eorne   r0, r0, r1
    addeq   r0, r0, #3
    subs    r2, r2, #1
    bne     1b
    pop     {r4, pc}
    .size   thumb_probe, . - thumb_probe

/*
 * uint32_t thumb_tbb_op(uint32_t sel, uint32_t x): 5-way switch through TBB
 * (sel > 4 is treated as 4).
 */
    .global thumb_tbb_op
    .type   thumb_tbb_op, %function
    .thumb_func
thumb_tbb_op:
    cmp     r0, #4
    it      hi
    movhi   r0, #4
    tbb     [pc, r0]
.Ltbb_table:
    .byte   (.Ltbb_0 - .Ltbb_table) / 2
    .byte   (.Ltbb_1 - .Ltbb_table) / 2
    .byte   (.Ltbb_2 - .Ltbb_table) / 2
    .byte   (.Ltbb_3 - .Ltbb_table) / 2
    .byte   (.Ltbb_4 - .Ltbb_table) / 2
    .balign 2
.Ltbb_0:
    adds    r0, r1, #7
    bx      lr
.Ltbb_1:
    lsls    r0, r1, #3
    bx      lr
.Ltbb_2:
    mvns    r0, r1
    bx      lr
.Ltbb_3:
    eor.w   r0, r1, r1, ror #13
    bx      lr
.Ltbb_4:
    rev     r0, r1
    bx      lr
    .size   thumb_tbb_op, . - thumb_tbb_op

/*
 * uint32_t thumb_tbh_op(uint32_t sel, uint32_t x): 6-way switch through TBH
 * (sel > 5 is treated as 5). Case 5 is long enough to need halfword offsets for the
 * cases behind it... it is last, so the table just demonstrates TBH.
 */
    .global thumb_tbh_op
    .type   thumb_tbh_op, %function
    .thumb_func
thumb_tbh_op:
    cmp     r0, #5
    it      hi
    movhi   r0, #5
    tbh     [pc, r0, lsl #1]
.Ltbh_table:
    .hword  (.Ltbh_0 - .Ltbh_table) / 2
    .hword  (.Ltbh_1 - .Ltbh_table) / 2
    .hword  (.Ltbh_2 - .Ltbh_table) / 2
    .hword  (.Ltbh_3 - .Ltbh_table) / 2
    .hword  (.Ltbh_4 - .Ltbh_table) / 2
    .hword  (.Ltbh_5 - .Ltbh_table) / 2
.Ltbh_0:
    add.w   r0, r1, #0x100
    bx      lr
.Ltbh_1:
    sub.w   r0, r1, r1, lsr #3
    bx      lr
.Ltbh_2:
    rbit    r0, r1
    bx      lr
.Ltbh_3:
    clz     r0, r1
    add     r0, r0, r1
    bx      lr
.Ltbh_4:
    uxtb    r0, r1
    orr.w   r0, r0, r1, lsl #9
    bx      lr
.Ltbh_5:
    movw    r2, #0xb5c3
    movt    r2, #0x9e37
    mul     r0, r1, r2
    bx      lr
    .size   thumb_tbh_op, . - thumb_tbh_op

/*
 * uint32_t thumb_pairs(uint64_t *p, uint32_t n): for each of n words pairs
 * (lo, hi) -> (hi + lo, lo ^ rotr(hi, 7)), written back with STRD; returns the
 * xor of all new lo words. CBZ skips the loop when n == 0.
 */
    .global thumb_pairs
    .type   thumb_pairs, %function
    .thumb_func
thumb_pairs:
    push    {r4, r5, r6, lr}
    movs    r6, #0
    cbz     r1, 2f
1:  ldrd    r2, r3, [r0]
    adds    r4, r2, r3
    eor.w   r5, r2, r3, ror #7
    strd    r4, r5, [r0], #8
    eors    r6, r4
    subs    r1, #1
    bne     1b
2:  mov     r0, r6
    pop     {r4, r5, r6, pc}
    .size   thumb_pairs, . - thumb_pairs

/*
 * int32_t thumb_divs(int32_t a, int32_t b): (a / b) signed (SDIV) xor
 * ((uint32_t)a / ((uint32_t)b | 1)) unsigned (UDIV); b == 0 gives 0 for SDIV
 * (ARMv7-A, no divide-by-zero trap), so callers avoid it anyway.
 */
    .global thumb_divs
    .type   thumb_divs, %function
    .thumb_func
thumb_divs:
    cbnz    r1, 1f
    movs    r1, #1
1:  sdiv    r2, r0, r1
    orr     r3, r1, #1
    udiv    r3, r0, r3
    eor.w   r0, r2, r3
    bx      lr
    .size   thumb_divs, . - thumb_divs
