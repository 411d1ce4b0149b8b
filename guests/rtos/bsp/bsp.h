/*
 * rthv RTOS - board support interface (bsp.h)
 *
 * The kernel reaches the hardware only through this interface plus the
 * generic GICv2 driver.  Each board directory bsp/<board>/ provides
 *   board.h   constants below (included from C and from assembler),
 *   board.mk  LOAD_ADDR and any extra sources,
 *   bsp.c     the functions below.
 *
 * Constants a board.h must define:
 *   BSP_GICD_BASE, BSP_GICC_BASE  GICv2 distributor / CPU interface
 *   BSP_NUM_INT                   number of GIC INTIDs handled (<= 1020)
 *   BSP_TICK_INTNO                INTID of the kernel tick
 *   BSP_TEST_INTNO                INTID of a spare source used by tests
 * and an assembler macro
 *   BSP_RESET_COUNTER rd, rt      start the free-running counter and read
 *                                 it into rd; runs as the very first
 *                                 instructions of reset, with no stack;
 *                                 may clobber rt.  bsp_reset_us() turns
 *                                 the value into a bsp_counter() value.
 */
#ifndef BSP_H
#define BSP_H

#include "board.h"

#ifndef __ASSEMBLER__
void bsp_init(void);                    /* console etc.; IRQs masked */
void bsp_putc(int c);                   /* polled console output */
UW   bsp_counter(void);                 /* free-running up-counter, 1 MHz */
UW   bsp_reset_us(UW raw);              /* BSP_RESET_COUNTER value -> counter */
void bsp_tick_start(UW period_us);      /* periodic tick on BSP_TICK_INTNO */
void bsp_tick_clear(void);              /* acknowledge the tick at the device */
void bsp_tick_stop(void);
void bsp_test_int_raise(UW us);         /* BSP_TEST_INTNO fires after ~us */
void bsp_test_int_clear(void);
#endif

#endif
