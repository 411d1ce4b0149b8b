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
 *   BSP_RESET_COUNTER rd, rt      start the free-running counter (if it
 *                                 does not run from power-on) and read
 *                                 it: raw value, low word in rd, high
 *                                 word in rt (0 for a 32-bit counter);
 *                                 runs as the very first instructions of
 *                                 reset, with no stack.  bsp_reset_us()
 *                                 turns the raw value into a
 *                                 bsp_counter() value.
 *
 * Shared generic-timer support (bsp/gtimer.c, for boards whose board.mk
 * lists it in BSP_SHARED_SRCS and whose board.h sets BSP_USE_GTIMER to 1)
 * implements the counter, tick and test-interrupt functions below; the
 * board's bsp_init() must call bsp_gtimer_init() (bsp/gtimer.h).
 */
#ifndef BSP_H
#define BSP_H

#include "board.h"

#ifndef __ASSEMBLER__
void bsp_init(void);                    /* console etc.; IRQs masked */
void bsp_putc(int c);                   /* polled console output */
UW   bsp_counter(void);                 /* free-running up-counter, 1 MHz */
UW   bsp_reset_us(UW lo, UW hi);        /* BSP_RESET_COUNTER value -> counter */
void bsp_tick_start(UW period_us);      /* periodic tick on BSP_TICK_INTNO */
UW   bsp_tick_clear(void);              /* acknowledge the tick at the device;
					   returns the tick periods elapsed
					   since the last one (>= 1; more if
					   the tick interrupt came late) */
void bsp_tick_stop(void);
void bsp_test_int_raise(UW us);         /* BSP_TEST_INTNO fires after ~us */
void bsp_test_int_clear(void);
#endif

#endif
