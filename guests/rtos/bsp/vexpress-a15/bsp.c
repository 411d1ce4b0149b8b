/*
 * rthv RTOS - board support for vexpress-a15 (device options: board.h)
 *
 *   console   PL011 UART0 (or UART<BSP_CONSOLE_UART>), polled transmit
 *   timers    default BSP_TIMER=generic: bsp/gtimer.c (counter CNTPCT,
 *             tick CNTP PPI 30, test IRQ SGI 1);
 *             BSP_TIMER=sp804 / BSP_SINGLE_SP804: sp804.c
 */
#include <tk/typedef.h>
#include "bsp.h"
#if BSP_USE_GTIMER
#include "gtimer.h"
#endif
#ifdef BSP_DEBUG_START
#include <tm/tmonitor.h>
#endif

#define REG(base, off)  (*(_UW *)((base) + (off)))

#define UART_DR     0x00
#define UART_FR     0x18
#define UART_CR     0x30
#define UART_FR_TXFF 0x20

#ifdef BSP_DEBUG_START
/*
 * Where did reset leave us?  The CPU mode at the first instruction
 * (start.S records CPSR) and the security state: without the Security
 * Extensions (ID_PFR1[7:4] = 0, e.g. QEMU with secure=off) there is only
 * one state, treated as non-secure; with them, GICD_IGROUPR0 is writable
 * from secure state only (RAZ/WI from non-secure state).
 */
static void debug_start(void)
{
	extern UW knl_reset_cpsr;
	_UW *igroupr0 = (_UW *)(BSP_GICD_BASE + 0x080);
	UW mode = knl_reset_cpsr & 0x1f, pfr1, group;
	const char *state;

	__asm__ volatile("mrc p15, 0, %0, c0, c1, 1" : "=r"(pfr1));     /* ID_PFR1 */
	if (((pfr1 >> 4) & 0xf) == 0) {
		state = "no Security Extensions: non-secure";
	} else {
		*igroupr0 = 0xffffffffU;
		group = *igroupr0;
		*igroupr0 = 0;
		state = group ? "GICD_IGROUPR0 writable: secure state"
			      : "GICD_IGROUPR0 RAZ/WI: non-secure state";
	}
	tm_printf("bsp: reset mode 0x%x (%s), ID_PFR1 0x%x, %s\n", mode,
		  mode == 0x13 ? "SVC" : mode == 0x1a ? "Hyp" : mode == 0x16 ? "Mon" : "other",
		  pfr1, state);
#if BSP_USE_GTIMER
	tm_printf("bsp: CNTFRQ %u Hz, tick PPI %d, test SGI %d\n", bsp_gtimer_freq(),
		  BSP_TICK_INTNO, BSP_TEST_INTNO);
#endif
}
#endif

void bsp_init(void)
{
	REG(BSP_CONSOLE_IO, UART_CR) = 0x301;     /* UARTEN | TXE | RXE */
#if BSP_USE_GTIMER
	bsp_gtimer_init();
#endif
#ifdef BSP_DEBUG_START
	debug_start();
#endif
}

void bsp_putc(int c)
{
	while (REG(BSP_CONSOLE_IO, UART_FR) & UART_FR_TXFF)
		;
	REG(BSP_CONSOLE_IO, UART_DR) = (UW)c & 0xff;
}
