/*
 * rthv RTOS - helpers for benchmark applications
 *
 * "Execution time" in the benchmarks is CPU work: a fixed number of
 * iterations of a two-instruction loop (subs/bne).  The number of
 * iterations per millisecond is calibrated once at start-up against the
 * free-running counter with IRQs masked, or fixed at build time with
 * -DRT_LOOPS_PER_MS=<n> so that every run (bare board or VM) executes
 * exactly the same instructions.
 */
#ifndef RTLIB_H
#define RTLIB_H

#include <tk/tkernel.h>

/* spin for exactly `loops` iterations */
static inline void rt_burn(UW loops)
{
	if (loops != 0)
		__asm__ volatile("1:\tsubs\t%0, %0, #1\n\tbne\t1b"
				 : "+r"(loops) : : "cc");
}

/* iterations of rt_burn per ms, measured against the counter with IRQs masked */
UW rt_measure_loops_per_ms(void);

/* iterations of rt_burn per ms: RT_LOOPS_PER_MS if the program defines it, else measured
 * (decided where the program is compiled, so the library is shared by every program) */
static inline UW rt_loops_per_ms(void)
{
#ifdef RT_LOOPS_PER_MS
	return RT_LOOPS_PER_MS;
#else
	return rt_measure_loops_per_ms();
#endif
}

/* loops for `us` microseconds of work, given loops per ms */
static inline UW rt_loops_for_us(UW lpms, UW us)
{
	return (UW)(((UD)lpms * us) / 1000U);
}

#endif
