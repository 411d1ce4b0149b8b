/*
 * rthv RTOS - vexpress-a15 timers on the SP804s (BSP_TIMER=sp804 or
 * BSP_SINGLE_SP804; see board.h)
 *
 *   counter   SP804 TIMER23 timer 1, free-running, started at reset
 *   tick      SP804 TIMER01 timer 1, periodic, INTID 34
 *   test IRQ  SP804 TIMER23 timer 2, one-shot, INTID 35
 *
 * With BSP_SINGLE_SP804 one block holds the counter (timer 1) and the
 * tick (timer 2), and there is no test interrupt.
 */
#include <tk/typedef.h>
#include "bsp.h"

#if !BSP_USE_GTIMER

#define REG(base, off)  (*(_UW *)((base) + (off)))

UW bsp_counter(void)
{
	return ~REG(BSP_COUNTER_BASE, SP804_VALUE);
}

UW bsp_reset_us(UW lo, UW hi)
{
	(void)hi;                       /* 32-bit counter */
	return lo;                      /* already the inverted SP804 value */
}

void bsp_tick_start(UW period_us)
{
	REG(BSP_TICKTMR_BASE, SP804_CTRL) = 0;
	/* 1 MHz: one count per us.  QEMU's SP804 (and the rthv board, which
	   copies it) interrupts every Load counts; a real SP804 would take
	   Load + 1. */
	REG(BSP_TICKTMR_BASE, SP804_LOAD) = period_us;
	REG(BSP_TICKTMR_BASE, SP804_INTCLR) = 1;
	REG(BSP_TICKTMR_BASE, SP804_CTRL) =
		SP804_EN | SP804_PERIODIC | SP804_INTEN | SP804_32BIT;
}

void bsp_tick_stop(void)
{
	REG(BSP_TICKTMR_BASE, SP804_CTRL) = 0;
	REG(BSP_TICKTMR_BASE, SP804_INTCLR) = 1;
}

UW bsp_tick_clear(void)
{
	REG(BSP_TICKTMR_BASE, SP804_INTCLR) = 1;
	return 1;                       /* a periodic SP804 cannot tell more */
}

#ifndef BSP_SINGLE_SP804
void bsp_test_int_raise(UW us)
{
	UW t2 = BSP_TIMER23_BASE + SP804_T2;

	REG(t2, SP804_CTRL) = 0;
	REG(t2, SP804_INTCLR) = 1;
	REG(t2, SP804_LOAD) = us ? us : 1;
	REG(t2, SP804_CTRL) = SP804_EN | SP804_ONESHOT | SP804_INTEN | SP804_32BIT;
}

void bsp_test_int_clear(void)
{
	UW t2 = BSP_TIMER23_BASE + SP804_T2;

	REG(t2, SP804_INTCLR) = 1;
	REG(t2, SP804_CTRL) = 0;
}
#else
/* one SP804 only: no test interrupt source (BSP_TEST_INTNO is 1023) */
void bsp_test_int_raise(UW us)
{
	(void)us;
}

void bsp_test_int_clear(void)
{
}
#endif

#endif /* !BSP_USE_GTIMER */
