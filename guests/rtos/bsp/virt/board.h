/*
 * rthv RTOS - board constants for QEMU's "virt" machine (-M virt -cpu
 * cortex-a15).  A second board, mainly to keep the kernel independent of
 * the vexpress memory map.  Uses the architected generic timer.
 */
#ifndef BOARD_H
#define BOARD_H

#define BSP_NAME            "virt"
#define BSP_UART0_BASE      0x09000000  /* PL011, INTID 33 */
#define BSP_GICD_BASE       0x08000000
#define BSP_GICC_BASE       0x08010000
#define BSP_NUM_INT         96
#define BSP_TICK_INTNO      27          /* virtual timer PPI */
#define BSP_TEST_INTNO      30          /* non-secure physical timer PPI */

#ifdef __ASSEMBLER__
/* The generic counter runs from power-on; read its low word (raw ticks,
   converted by bsp_reset_us). */
.macro BSP_RESET_COUNTER rd, rt
	mrrc	p15, 1, \rd, \rt, c14           /* CNTVCT */
.endm
#endif

#endif
