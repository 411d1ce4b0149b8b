/*
 * rthv RTOS - shared ARMv7 generic timer support (bsp/gtimer.c)
 *
 * For boards whose board.h sets BSP_USE_GTIMER to 1 and whose board.mk
 * lists gtimer.c in BSP_SHARED_SRCS.  It provides bsp_counter,
 * bsp_reset_us, bsp_tick_* and bsp_test_int_* (bsp.h):
 *
 *   counter   CNTPCT, the 64-bit physical count, scaled exactly to 1 MHz
 *             with CNTFRQ; it runs from power-on, so the reset time stamp
 *             is simply the first CNTPCT read (BSP_RESET_COUNTER: the
 *             board.h macro is "mrrc p15, 0, rd, rt, c14").
 *   tick      the non-secure physical timer (CNTP_CVAL, CNTP_CTL),
 *             BSP_TICK_INTNO = 30.  CVAL moves by exactly one period per
 *             tick on a fixed grid (no drift); a tick taken late reports
 *             every period that has passed and CVAL is never left in the
 *             past (see bsp_tick_clear).
 *   test IRQ  SGI BSP_TEST_SGI (= BSP_TEST_INTNO) sent to this CPU only
 *             through GICD_SGIR; raised by the tick handler at the first
 *             tick at or after the requested time.
 *
 * The virtual timer (CNTV_*, CNTVCT, PPI 27) is deliberately not used: a
 * hypervisor virtualises the physical timer per vCPU by trapping its
 * registers (rthv does), whereas virtual-timer accesses cannot be
 * trapped.  In secure state CNTP_* would reach the secure physical timer
 * (PPI 29): run non-secure (QEMU: -M vexpress-a15,secure=off).
 *
 * board.h must define BSP_GICD_BASE, BSP_TICK_INTNO (30), BSP_TEST_SGI
 * and BSP_GTIMER_DEFAULT_HZ (assumed if CNTFRQ reads 0, i.e. firmware
 * left it unprogrammed).
 */
#ifndef BSP_GTIMER_H
#define BSP_GTIMER_H

#ifndef __ASSEMBLER__
void bsp_gtimer_init(void);             /* read CNTFRQ; call from bsp_init */
UW   bsp_gtimer_freq(void);             /* counter frequency in Hz */
#endif

#endif
