/*
 * rthv RTOS - board constants for vexpress-a15 (QEMU's "Cortex-A Series"
 * motherboard memory map; also the map of the rthv emulated board).
 *
 * Build-time device choice (-D options: CONFIG='...' for every program,
 * or CFLAGS_<program> in an app.mk):
 *
 *   BSP_TIMER=generic    (default) the CPU's architected timer, which a
 *                        hypervisor virtualises per vCPU, so a VM needs no
 *                        timer device: counter CNTPCT scaled to 1 MHz, tick
 *                        the non-secure physical timer CNTP (PPI 30), test
 *                        interrupt SGI 1 to this CPU (bsp/gtimer.h).  On
 *                        QEMU run non-secure: -M vexpress-a15,secure=off
 *                        (in secure state CNTP is the secure timer, PPI 29).
 *   BSP_TIMER=sp804      the SP804 dual timers: counter TIMER23 timer 1,
 *                        tick TIMER01 timer 1 (INTID 34), test interrupt
 *                        TIMER23 timer 2 (INTID 35).
 *   BSP_SINGLE_SP804=k   (implies BSP_TIMER=sp804) use one SP804 only:
 *                        k = 0 TIMER01 (INTID 34), k = 1 TIMER23 (INTID
 *                        35).  Its timer 1 is the free-running counter,
 *                        its timer 2 the tick; there is no test interrupt
 *                        (BSP_TEST_INTNO = 1023, the GIC's "no interrupt"
 *                        ID; rt_test_int_raise does nothing).
 *   BSP_CONSOLE_UART=n   console on PL011 UARTn, n = 0..3 (default 0).
 *   BSP_DEBUG_START      print the CPU mode at reset, the security state
 *                        (ID_PFR1, GICD_IGROUPR0 writability) and CNTFRQ
 *                        before the kernel starts.
 */
#ifndef BOARD_H
#define BOARD_H

#define BSP_NAME            "vexpress-a15"
#define BSP_UART0_BASE      0x1c090000  /* PL011, INTID 37 (UARTn: +n*64K, 37+n) */
#define BSP_TIMER01_BASE    0x1c110000  /* SP804, INTID 34, 1 MHz */
#define BSP_TIMER23_BASE    0x1c120000  /* SP804, INTID 35, 1 MHz */
#define BSP_GICD_BASE       0x2c001000
#define BSP_GICC_BASE       0x2c002000
#define BSP_NUM_INT         96          /* 32 private + 64 shared */

/* SP804 register offsets / control bits */
#define SP804_LOAD          0x00
#define SP804_VALUE         0x04
#define SP804_CTRL          0x08
#define SP804_INTCLR        0x0c
#define SP804_T2            0x20        /* second timer of the pair */
#define SP804_EN            0x80
#define SP804_PERIODIC      0x40
#define SP804_INTEN         0x20
#define SP804_32BIT         0x02
#define SP804_ONESHOT       0x01

/* console */
#ifndef BSP_CONSOLE_UART
#define BSP_CONSOLE_UART    0
#endif
#if BSP_CONSOLE_UART < 0 || BSP_CONSOLE_UART > 3
#error "BSP_CONSOLE_UART must be 0..3"
#endif
#define BSP_CONSOLE_IO      (BSP_UART0_BASE + BSP_CONSOLE_UART * 0x10000)
#define BSP_UART_INTNO      (37 + BSP_CONSOLE_UART)

/* timer source: BSP_TIMER = generic | sp804 */
#define BSP_TIMER_ID_generic 1
#define BSP_TIMER_ID_sp804   2
#define BSP_PASTE_(a, b)    a ## b
#define BSP_PASTE(a, b)     BSP_PASTE_(a, b)
#ifndef BSP_TIMER
#ifdef BSP_SINGLE_SP804
#define BSP_TIMER           sp804
#else
#define BSP_TIMER           generic
#endif
#endif
#if BSP_PASTE(BSP_TIMER_ID_, BSP_TIMER) == BSP_TIMER_ID_generic
#define BSP_USE_GTIMER      1
#elif BSP_PASTE(BSP_TIMER_ID_, BSP_TIMER) == BSP_TIMER_ID_sp804
#define BSP_USE_GTIMER      0
#else
#error "BSP_TIMER must be generic or sp804"
#endif
#if BSP_USE_GTIMER && defined(BSP_SINGLE_SP804)
#error "BSP_SINGLE_SP804 needs BSP_TIMER=sp804"
#endif

#if BSP_USE_GTIMER
/* generic timer (bsp/gtimer.c) */
#define BSP_TICK_INTNO      30          /* non-secure physical timer PPI */
#define BSP_TEST_SGI        1
#define BSP_TEST_INTNO      BSP_TEST_SGI
#define BSP_GTIMER_DEFAULT_HZ 62500000  /* QEMU's and rthv's CNTFRQ */
#elif !defined(BSP_SINGLE_SP804)
/* counter, tick, test interrupt: timer register blocks and INTIDs */
#define BSP_COUNTER_BASE    BSP_TIMER23_BASE            /* timer 1 */
#define BSP_TICKTMR_BASE    BSP_TIMER01_BASE            /* timer 1 */
#define BSP_TICK_INTNO      34
#define BSP_TEST_INTNO      35                          /* TIMER23 timer 2 */
#else
#if BSP_SINGLE_SP804 == 0
#define BSP_SP804_BASE      BSP_TIMER01_BASE
#define BSP_TICK_INTNO      34
#elif BSP_SINGLE_SP804 == 1
#define BSP_SP804_BASE      BSP_TIMER23_BASE
#define BSP_TICK_INTNO      35
#else
#error "BSP_SINGLE_SP804 must be 0 (TIMER01) or 1 (TIMER23)"
#endif
#define BSP_COUNTER_BASE    BSP_SP804_BASE              /* timer 1 */
#define BSP_TICKTMR_BASE    (BSP_SP804_BASE + SP804_T2) /* timer 2 */
#define BSP_TEST_INTNO      1023                        /* none */
#endif

#ifdef __ASSEMBLER__
#if BSP_USE_GTIMER
/*
 * The generic counter runs from power-on: read CNTPCT (64 bit; low word
 * in rd, high word in rt).  Converted by bsp_reset_us (bsp/gtimer.c).
 */
.macro BSP_RESET_COUNTER rd, rt
	mrrc	p15, 0, \rd, \rt, c14
.endm
#else
/*
 * Timer 1 of the counter SP804 becomes the free-running counter: 32-bit,
 * free-running mode (wraps 0 -> 0xffffffff), no interrupt, 1 MHz.
 * The SP804 counts down, so the value is inverted to count up.  High
 * word 0.
 */
.macro BSP_RESET_COUNTER rd, rt
	ldr	\rt, =BSP_COUNTER_BASE
	mov	\rd, #(SP804_EN | SP804_32BIT)
	str	\rd, [\rt, #SP804_CTRL]
	ldr	\rd, [\rt, #SP804_VALUE]
	mvn	\rd, \rd
	mov	\rt, #0
.endm
#endif
#endif

#endif
