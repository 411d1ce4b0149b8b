/*
 * rthv RTOS - board support for QEMU virt
 *
 *   console   PL011 at 0x09000000, polled
 *   counter   generic timer CNTVCT scaled to 1 MHz
 *   tick      virtual timer (CNTV), reprogrammed every tick, INTID 27
 *   test IRQ  physical timer (CNTP) one-shot, INTID 30
 */
#include <tk/typedef.h>
#include "bsp.h"

#define REG(base, off)  (*(_UW *)((base) + (off)))

static UW cntfrq, tick_cycles;
static UD tick_next;

static UD cntvct(void)
{
	UW lo, hi;

	__asm__ volatile("isb\n\tmrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
	return ((UD)hi << 32) | lo;
}

static UW to_us(UD cycles)
{
	return (UW)(cycles * 1000000U / cntfrq);
}

void bsp_init(void)
{
	__asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(cntfrq));
	REG(BSP_UART0_BASE, 0x30) = 0x301;
}

void bsp_putc(int c)
{
	while (REG(BSP_UART0_BASE, 0x18) & 0x20)
		;
	REG(BSP_UART0_BASE, 0x00) = (UW)c & 0xff;
}

UW bsp_counter(void)
{
	return to_us(cntvct());
}

UW bsp_reset_us(UW raw)
{
	return to_us(raw);
}

static void cntv_set(UD cval, UW ctl)
{
	__asm__ volatile("mcrr p15, 3, %0, %1, c14" : : "r"((UW)cval), "r"((UW)(cval >> 32)));
	__asm__ volatile("mcr p15, 0, %0, c14, c3, 1\n\tisb" : : "r"(ctl));
}

void bsp_tick_start(UW period_us)
{
	tick_cycles = (UW)((UD)cntfrq * period_us / 1000000U);
	tick_next = cntvct() + tick_cycles;
	cntv_set(tick_next, 1);
}

void bsp_tick_clear(void)
{
	tick_next += tick_cycles;       /* drift-free period */
	cntv_set(tick_next, 1);
}

void bsp_tick_stop(void)
{
	cntv_set(tick_next, 0);
}

void bsp_test_int_raise(UW us)
{
	UW tval = (UW)((UD)cntfrq * us / 1000000U);

	__asm__ volatile("mcr p15, 0, %0, c14, c2, 0" : : "r"(tval ? tval : 1));
	__asm__ volatile("mcr p15, 0, %0, c14, c2, 1\n\tisb" : : "r"(1));
}

void bsp_test_int_clear(void)
{
	__asm__ volatile("mcr p15, 0, %0, c14, c2, 1\n\tisb" : : "r"(0));
}
