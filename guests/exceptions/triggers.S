/*
 * Exception trigger sites for the "exceptions" guest (ARM state, called from C in SVC
 * mode). Each site clears NZCVQ and GE first so that the SPSR seen by the handler is
 * exactly the start-up CPSR (0x000001d3: SVC, A/I/F masked, ARM, little-endian).
 * The site labels are global so tests can check the reported LR against the ELF
 * symbol table:
 *   SVC : LR_svc = exc_svc_site + 4          (resume at LR)
 *   UND : LR_und = exc_und_site + 4          (resume at LR: skip the UDF)
 *   DABT: LR_abt = exc_dabt_site + 8         (resume at LR - 4: skip the load)
 *   PABT: LR_abt = <target> + 4, IFAR = target (resume at exc_pabt_resume)
 */
    .syntax unified
    .arch   armv7-a
    .arm
    .text

/* void exc_trigger_svc(void) -- SVC #0x42 from SVC mode (LR_svc saved first). */
    .global exc_trigger_svc, exc_svc_site
    .type   exc_trigger_svc, %function
exc_trigger_svc:
    push    {r4, lr}
    msr     APSR_nzcvqg, #0
exc_svc_site:
    svc     #0x42
    pop     {r4, pc}
    .size   exc_trigger_svc, . - exc_trigger_svc

/* void exc_trigger_und(void) -- permanently undefined instruction UDF #0. */
    .global exc_trigger_und, exc_und_site
    .type   exc_trigger_und, %function
exc_trigger_und:
    msr     APSR_nzcvqg, #0
exc_und_site:
    udf     #0                      /* 0xe7f000f0 */
    bx      lr
    .size   exc_trigger_und, . - exc_trigger_und

/* uint32_t exc_trigger_dabt(uint32_t addr) -- word load from addr; returns the value
 * loaded, or whatever the abort handler leaves in r0. */
    .global exc_trigger_dabt, exc_dabt_site
    .type   exc_trigger_dabt, %function
exc_trigger_dabt:
    msr     APSR_nzcvqg, #0
exc_dabt_site:
    ldr     r0, [r0]
    bx      lr
    .size   exc_trigger_dabt, . - exc_trigger_dabt

/* void exc_trigger_pabt(uint32_t target) -- BLX to target (ARM state); the prefetch
 * abort handler resumes at exc_pabt_resume. */
    .global exc_trigger_pabt, exc_pabt_site, exc_pabt_resume
    .type   exc_trigger_pabt, %function
exc_trigger_pabt:
    push    {r4, lr}
    msr     APSR_nzcvqg, #0
exc_pabt_site:
    blx     r0
exc_pabt_resume:
    pop     {r4, pc}
    .size   exc_trigger_pabt, . - exc_trigger_pabt
