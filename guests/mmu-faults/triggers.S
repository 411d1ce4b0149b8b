/*
 * Access sites for the mmu-faults guest (ARM state, called from C in SVC mode).
 * A data abort resumes after the access (LR_abt - 4); a prefetch abort resumes at
 * mmu_exec_resume, since the target address holds no code to return from.
 */
    .syntax unified
    .arch   armv7-a
    .arm
    .text

/* uint32_t mmu_load(uint32_t va) -- word load; r0 is left as is if it aborts. */
    .global mmu_load
    .type   mmu_load, %function
mmu_load:
    ldr     r0, [r0]
    bx      lr
    .size   mmu_load, . - mmu_load

/* void mmu_store(uint32_t va) -- word store of the address itself. */
    .global mmu_store
    .type   mmu_store, %function
mmu_store:
    str     r0, [r0]
    bx      lr
    .size   mmu_store, . - mmu_store

/* void mmu_exec(uint32_t va) -- branch with link to va (ARM state). */
    .global mmu_exec, mmu_exec_resume
    .type   mmu_exec, %function
mmu_exec:
    push    {r4, lr}
    blx     r0
mmu_exec_resume:
    pop     {r4, pc}
    .size   mmu_exec, . - mmu_exec
