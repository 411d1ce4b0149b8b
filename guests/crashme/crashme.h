/*
 * crashme: a guest that runs random machine code, batch after batch, and counts what the CPU
 * does with it. Each batch fills a code buffer (a RAM region of its own, far from the guest's
 * image) with pseudo-random words (xorshift32), ARM and Thumb state in turn, gives r0-r14 and
 * the flags random values and enters it. Whatever exception comes first ends the batch: its
 * vector (crashme_vectors, any of the eight) counts it, restores what the random code may have
 * changed (SCTLR, VBAR, TTBCR, DACR, CPACR, CNTKCTL, mode, stack) from a copy taken before the
 * first batch, and returns to the loop. The virtual timer is armed before each batch as a
 * watchdog, so random code that loops with IRQs enabled is interrupted; random code that masks
 * IRQs and loops for ever is stopped only by the run's end, and random code that wrecks the
 * guest's own state (vectors, SCTLR.TE, its image) may end it: both are outcomes too. Random
 * code that jumps to the image's entry starts main again, which goes on with the next batch
 * (its loop's state is kept where the start-up code does not clear it).
 *
 * Script (32-bit words at CRASHME_SCRIPT): [0] seed, [1] batches, [2] random words per batch.
 */
#ifndef RTHV_CRASHME_H
#define RTHV_CRASHME_H

#include "bsp.h"

#define CRASHME_SCRIPT  0x80400000u /* its own RAM region, written by the test */
#define CRASHME_BUFFER  0x84000000u /* the code buffer: 64 MiB from the image (no B reaches it) */
#define CRASHME_BUFFER_WORDS 1024u  /* one 4 KiB page */
#define CRASHME_GIC_WINDOW 0x2c001000u /* GICD page, then GICC: some registers point here */

/* What ended a batch: the vector's index (offset / 4). */
enum crashme_kind {
    KIND_RESET = 0,
    KIND_UND = 1,
    KIND_SVC = 2,
    KIND_PABT = 3,
    KIND_DABT = 4,
    KIND_HYP = 5,
    KIND_IRQ = 6,
    KIND_FIQ = 7,
    KINDS = 8,
};

/* What the vector saw, for the loop to read after crashme_run returns. */
struct crashme_caught {
    uint32_t kind;
    uint32_t lr;   /* the exception's LR */
    uint32_t spsr; /* the CPSR of the random code */
    uint32_t iar;  /* for an IRQ: what GICC_IAR answered */
};

/* The CP15 state put back at every exception (taken once, before the first batch). */
struct crashme_good {
    uint32_t sctlr;
    uint32_t vbar;
    uint32_t ttbcr;
    uint32_t dacr;
    uint32_t cpacr;
    uint32_t cntkctl;
};

/* crashme_asm.S */
extern struct crashme_caught crashme_caught;
extern struct crashme_good crashme_good;
extern const uint32_t crashme_vectors[];
void crashme_save_good(void);  /* fill crashme_good (VBAR := crashme_vectors) and install it */
/* Enter random code with r0-r12, sp, lr, pc from regs[0..15] and CPSR = cpsr; returns the kind
 * of the exception that ended it (details in crashme_caught). */
uint32_t crashme_run(const uint32_t *regs, uint32_t cpsr);

#endif
