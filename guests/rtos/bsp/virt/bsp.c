/*
 * rthv RTOS - board support for QEMU virt
 *
 *   console   PL011 at 0x09000000, polled
 *   timers    bsp/gtimer.c: counter CNTPCT scaled to 1 MHz, tick the
 *             physical timer CNTP (INTID 30), test IRQ SGI 1
 */
#include <tk/typedef.h>
#include "bsp.h"
#include "gtimer.h"

#define REG(base, off)  (*(_UW *)((base) + (off)))

void bsp_init(void)
{
	REG(BSP_UART0_BASE, 0x30) = 0x301;
	bsp_gtimer_init();
}

void bsp_putc(int c)
{
	while (REG(BSP_UART0_BASE, 0x18) & 0x20)
		;
	REG(BSP_UART0_BASE, 0x00) = (UW)c & 0xff;
}
