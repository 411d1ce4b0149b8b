/*
 * probe: one guest for the hypervisor's robustness tests. It reads a script from a data page
 * (a raw image the test places at PROBE_SCRIPT), runs the probe it names, and prints what the
 * CPU did. The probes are things a guest may legally or illegally do that once crashed the
 * hypervisor or were served against the architecture.
 *
 * Script layout (32-bit words): [0] probe number, [1] case count, [2..] the cases.
 * Table probes write one result word per case to PROBE_RESULTS.
 */
#ifndef RTHV_PROBE_H
#define RTHV_PROBE_H

#include "bsp.h"

#define PROBE_SCRIPT   0x80400000u /* its own RAM region, sized by the test */
#define PROBE_RESULTS  0x80800000u /* likewise */
#define PROBE_RAM_END  0x80100000u /* the 1 MiB the test systems give this VM */
#define PROBE_SECOND_RAM 0x80200000u /* a second RAM region, after an unmapped gap */
#define PROBE_ROM      0x88000000u /* a ROM region (writes ignored) */
#define PROBE_ALIAS    0x40000000u /* with the MMU on: VA alias of RAM at 0x80000000 */
#define PROBE_ROM_ALIAS 0x48000000u /* with the MMU on: VA alias of the ROM */

enum probe {
    PROBE_THUMB_UDF_AT_RAM_END = 1,
    PROBE_THUMB_WFE_AT_REGION_START = 2,
    PROBE_ALIAS_THUMB_CNTPCT = 3,
    PROBE_ALIAS_THUMB_ROM_WRITE = 4,
    PROBE_USER_HVC = 5,
    PROBE_USER_CNTPCT = 6,
    PROBE_SMC = 7,
    PROBE_HINTS_AFTER_UNDEF = 8,
    PROBE_LOCKUP = 9,
    PROBE_STAGE2_READ = 10,
    PROBE_HVC_TABLE = 20,
    PROBE_GICD_TABLE = 21,
    PROBE_UART_TABLE = 22, /* the GICD table's cases, on its own UART (uart0) */
    PROBE_MMIO_TABLE = 23, /* any width (1, 2, 4, 8), any alignment, GICD or uart0 */
};

/* probe_asm.S */
uint64_t probe_thumb_cntpct(void);             /* Thumb: MRRC CNTPCT */
void probe_thumb_store(uint32_t addr, uint32_t value); /* Thumb: STR */
uint32_t probe_hvc_word(uint32_t *slot, uint32_t word, uint32_t *regs); /* run one HVC */
void probe_enter_user(void);                   /* continue in User mode */
uint32_t probe_user_hvc_version(void);         /* HVC #0 with r0 = VERSION */
uint64_t probe_read_cntpct(void);              /* ARM: MRRC CNTPCT */
uint32_t probe_smc(uint32_t cpsr);             /* SMC #0 with CPSR as given; returns CPSR */
void probe_udf(void);                          /* one UDF #0 (ARM) */
void probe_hints(void);                        /* WFE, YIELD (ARM), WFE, YIELD (Thumb) */
void probe_lockup(uint32_t vectors);           /* VBAR to UDFs, then UDF */

#endif
