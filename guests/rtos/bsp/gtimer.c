/*
 * rthv RTOS - counter, tick and test interrupt from the ARMv7 generic
 * timer (non-secure physical timer) and an SGI; see bsp/gtimer.h.
 */
#include <tk/typedef.h>
#include "bsp.h"
#include "gtimer.h"

#if BSP_USE_GTIMER

#define CNTP_CTL_ENABLE     0x1
#define CNTP_CTL_ISTATUS    0x4

#define GICD_SGIR           (*(_UW *)(BSP_GICD_BASE + 0xf00))
#define SGIR_THIS_CPU       (2U << 24)  /* TargetListFilter 0b10 */

#define US_PER_S            1000000U

static UW freq;                         /* CNTFRQ (Hz) */
static UW us_num, us_den;               /* us = count * us_num / us_den, reduced */

static UD tick_next;                    /* CVAL of the next tick */
static UD tick_counts;                  /* whole counts per period ... */
static UW tick_rem, tick_acc;           /* ... plus tick_rem / us_num */

static volatile UD test_due;            /* count at which the test SGI is due */
static volatile UW test_armed;

/* ---- CP15 c14 accessors (every one traps to a hypervisor) ---- */

static inline UD cntpct(void)
{
	UW lo, hi;

	__asm__ volatile("isb\n\tmrrc p15, 0, %0, %1, c14" : "=r"(lo), "=r"(hi) : : "memory");
	return ((UD)hi << 32) | lo;
}

static inline void cntp_cval_write(UD cval)
{
	__asm__ volatile("mcrr p15, 2, %0, %1, c14\n\tisb"
			 : : "r"((UW)cval), "r"((UW)(cval >> 32)) : "memory");
}

static inline void cntp_ctl_write(UW ctl)
{
	__asm__ volatile("mcr p15, 0, %0, c14, c2, 1\n\tisb" : : "r"(ctl) : "memory");
}

static inline UW cntp_ctl_read(void)
{
	UW ctl;

	__asm__ volatile("mrc p15, 0, %0, c14, c2, 1" : "=r"(ctl) : : "memory");
	return ctl;
}

/* ---- exact conversions ---- */

static UW gcd(UW a, UW b)
{
	while (b != 0) {
		UW t = a % b;
		a = b;
		b = t;
	}
	return a;
}

void bsp_gtimer_init(void)
{
	UW f, g;

	__asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(f));     /* CNTFRQ */
	if (f == 0)
		f = BSP_GTIMER_DEFAULT_HZ;
	freq = f;
	g = gcd(f, US_PER_S);
	us_num = US_PER_S / g;          /* 62.5 MHz: us = count * 2 / 125 */
	us_den = f / g;
}

UW bsp_gtimer_freq(void)
{
	return freq;
}

/* floor(count * 1e6 / freq) mod 2^32, without overflow for any count */
static UW to_us(UD count)
{
	UD q = count / us_den;

	if (us_num == 1)
		return (UW)q;
	return (UW)(q * us_num + (count - q * us_den) * us_num / us_den);
}

static UD to_counts(UW us)
{
	return (UD)us * us_den / us_num;
}

UW bsp_counter(void)
{
	return to_us(cntpct());
}

UW bsp_reset_us(UW lo, UW hi)
{
	return to_us(((UD)hi << 32) | lo);
}

/* ---- tick: CNTP, PPI 30 ---- */

static void tick_advance(void)
{
	tick_next += tick_counts;
	tick_acc += tick_rem;
	if (tick_acc >= us_num) {
		tick_acc -= us_num;
		tick_next++;
	}
}

void bsp_tick_start(UW period_us)
{
	UD p = (UD)period_us * us_den;

	tick_counts = p / us_num;
	tick_rem = (UW)(p % us_num);
	tick_acc = 0;
	cntp_ctl_write(0);
	tick_next = cntpct();
	tick_advance();
	cntp_cval_write(tick_next);
	cntp_ctl_write(CNTP_CTL_ENABLE);        /* IMASK clear */
}

/*
 * Called by the tick handler.  CVAL moves on by one period; if that time
 * has already passed (the interrupt was taken late, e.g. while a
 * hypervisor ran another VM), every passed period is counted and CVAL
 * goes to the first grid point still ahead.  So the timer condition is
 * false after every tick: the next expiry is a fresh 0 -> 1 change of the
 * timer output, which a hypervisor injecting the timer PPI on changes of
 * the output sees as well as a level-sensitive GIC input does.
 */
UW bsp_tick_clear(void)
{
	UD last = tick_next;            /* scheduled time of this tick */
	UW n = 1;

	tick_advance();
	cntp_cval_write(tick_next);
	while (cntp_ctl_read() & CNTP_CTL_ISTATUS) {
		UD now = cntpct();
		do {
			last = tick_next;
			tick_advance();
			n++;
		} while (tick_next <= now);
		cntp_cval_write(tick_next);
	}
	if (test_armed && last >= test_due) {
		test_armed = 0;
		GICD_SGIR = SGIR_THIS_CPU | BSP_TEST_SGI;
	}
	return n;
}

void bsp_tick_stop(void)
{
	cntp_ctl_write(0);
}

/* ---- test interrupt: an SGI to this CPU, sent from the tick ---- */

void bsp_test_int_raise(UW us)
{
	UD due = cntpct() + to_counts(us ? us : 1);
	UW cpsr;

	__asm__ volatile("mrs %0, cpsr\n\tcpsid i" : "=r"(cpsr) : : "memory");
	test_due = due;
	test_armed = 1;
	__asm__ volatile("msr cpsr_c, %0" : : "r"(cpsr) : "memory");
}

void bsp_test_int_clear(void)
{
	test_armed = 0;                 /* cancel a raise not yet sent */
}

#endif /* BSP_USE_GTIMER */
