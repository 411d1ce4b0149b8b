/* VFP/Advanced SIMD access for the vfp guest (the guests are built soft-float: only this
 * file touches the extension registers). */
    .syntax unified
    .arch   armv7-a
    .fpu    neon-vfpv4
    .arm
    .text

/* void vfp_enable(void): CPACR cp10/cp11 full access, then FPEXC.EN. */
    .global vfp_enable
    .type   vfp_enable, %function
vfp_enable:
    mrc     p15, 0, r0, c1, c0, 2
    orr     r0, r0, #(0xf << 20)
    mcr     p15, 0, r0, c1, c0, 2
    isb
    mov     r0, #(1 << 30)
    vmsr    fpexc, r0
    bx      lr
    .size   vfp_enable, . - vfp_enable

/* void vfp_load(const uint64_t d[32], uint32_t fpscr) */
    .global vfp_load
    .type   vfp_load, %function
vfp_load:
    vldmia  r0!, {d0-d15}
    vldmia  r0, {d16-d31}
    vmsr    fpscr, r1
    bx      lr
    .size   vfp_load, . - vfp_load

/* uint32_t vfp_store(uint64_t d[32]): returns FPSCR */
    .global vfp_store
    .type   vfp_store, %function
vfp_store:
    vstmia  r0!, {d0-d15}
    vstmia  r0, {d16-d31}
    vmrs    r0, fpscr
    bx      lr
    .size   vfp_store, . - vfp_store

/* uint32_t vfp_fpexc(void) */
    .global vfp_fpexc
    .type   vfp_fpexc, %function
vfp_fpexc:
    vmrs    r0, fpexc
    bx      lr
    .size   vfp_fpexc, . - vfp_fpexc

/* uint32_t vfp_add(uint32_t a, uint32_t b): a + b as single-precision floats (bit patterns) */
    .global vfp_add
    .type   vfp_add, %function
vfp_add:
    vpush   {s0, s1}
    vmov    s0, r0
    vmov    s1, r1
    vadd.f32 s0, s0, s1
    vmov    r0, s0
    vpop    {s0, s1}
    bx      lr
    .size   vfp_add, . - vfp_add
