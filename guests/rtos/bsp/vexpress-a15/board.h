/*
 * rthv RTOS - board constants for vexpress-a15 (QEMU's "Cortex-A Series"
 * motherboard memory map; also the map of the rthv emulated board).
 *
 * Build-time device choice (-D options, e.g. CFLAGS_<program> in app.mk),
 * for images that run in a VM owning only some of the board's devices:
 *
 *   BSP_CONSOLE_UART=n   console on PL011 UARTn, n = 0..3 (default 0)
 *   BSP_SINGLE_SP804=k   use one SP804 only: k = 0 TIMER01 (INTID 34),
 *                        k = 1 TIMER23 (INTID 35).  Its timer 1 is the
 *                        free-running counter, its timer 2 the tick; there
 *                        is no test interrupt (BSP_TEST_INTNO = 1023, the
 *                        GIC's "no interrupt" ID; rt_test_int_raise does
 *                        nothing).
 *
 * Default (neither option): console UART0, counter TIMER23 timer 1, tick
 * TIMER01 timer 1 (INTID 34), test interrupt TIMER23 timer 2 (INTID 35).
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

/* counter, tick, test interrupt: timer register blocks and INTIDs */
#ifndef BSP_SINGLE_SP804
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
/*
 * Timer 1 of the counter SP804 becomes the free-running counter: 32-bit,
 * free-running mode (wraps 0 -> 0xffffffff), no interrupt, 1 MHz.
 * The SP804 counts down, so the value is inverted to count up.
 */
.macro BSP_RESET_COUNTER rd, rt
	ldr	\rt, =BSP_COUNTER_BASE
	mov	\rd, #(SP804_EN | SP804_32BIT)
	str	\rd, [\rt, #SP804_CTRL]
	ldr	\rd, [\rt, #SP804_VALUE]
	mvn	\rd, \rd
.endm
#endif

#endif
