/*
 * rthv RTOS - benchmark helpers (see include/rtlib.h)
 */
#include <rtlib.h>

UW rt_measure_loops_per_ms(void)
{
	UW loops = 1000, t0, dt, cpsr;

	/* double the loop count until one run takes at least 20 ms */
	for (;;) {
		__asm__ volatile("mrs %0, cpsr\n\tcpsid i" : "=r"(cpsr) : : "memory");
		t0 = rt_counter();
		rt_burn(loops);
		dt = rt_counter() - t0;
		__asm__ volatile("msr cpsr_c, %0" : : "r"(cpsr) : "memory");
		if (dt >= 20000 || loops >= 0x40000000U)
			break;
		loops *= 2;
	}
	if (dt == 0)
		dt = 1;
	return (UW)(((UD)loops * 1000U) / dt);
}
