/*
 * rthv RTOS - board constants for QEMU's "virt" machine (-M virt -cpu
 * cortex-a15).  A second board, mainly to keep the kernel independent of
 * the vexpress memory map.  Uses the architected generic timer through
 * the shared bsp/gtimer.c, as vexpress-a15 does by default: counter
 * CNTPCT, tick the non-secure physical timer (PPI 30), test interrupt
 * SGI 1.  (QEMU's virt machine is non-secure unless secure=on.)
 */
#ifndef BOARD_H
#define BOARD_H

#define BSP_NAME            "virt"
#define BSP_UART0_BASE      0x09000000  /* PL011, INTID 33 */
#define BSP_GICD_BASE       0x08000000
#define BSP_GICC_BASE       0x08010000
#define BSP_NUM_INT         96
#define BSP_USE_GTIMER      1
#define BSP_TICK_INTNO      30          /* non-secure physical timer PPI */
#define BSP_TEST_SGI        1
#define BSP_TEST_INTNO      BSP_TEST_SGI
#define BSP_GTIMER_DEFAULT_HZ 62500000  /* QEMU's CNTFRQ */

#ifdef __ASSEMBLER__
/* The generic counter runs from power-on: CNTPCT, low word in rd, high
   word in rt (converted by bsp_reset_us). */
.macro BSP_RESET_COUNTER rd, rt
	mrrc	p15, 0, \rd, \rt, c14
.endm
#endif

#endif
