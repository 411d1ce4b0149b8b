/*
 * rthv RTOS - board constants for vexpress-a15 (QEMU's "Cortex-A Series"
 * motherboard memory map; also the map of the rthv emulated board).
 */
#ifndef BOARD_H
#define BOARD_H

#define BSP_NAME            "vexpress-a15"
#define BSP_UART0_BASE      0x1c090000  /* PL011, INTID 37 */
#define BSP_TIMER01_BASE    0x1c110000  /* SP804, INTID 34, 1 MHz: kernel tick */
#define BSP_TIMER23_BASE    0x1c120000  /* SP804, INTID 35, 1 MHz: counter + test */
#define BSP_GICD_BASE       0x2c001000
#define BSP_GICC_BASE       0x2c002000
#define BSP_NUM_INT         96          /* 32 private + 64 shared */
#define BSP_TICK_INTNO      34
#define BSP_TEST_INTNO      35
#define BSP_UART_INTNO      37

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

#ifdef __ASSEMBLER__
/*
 * Timer 1 of TIMER23 becomes the free-running counter: 32-bit,
 * free-running mode (wraps 0 -> 0xffffffff), no interrupt, 1 MHz.
 * The SP804 counts down, so the value is inverted to count up.
 */
.macro BSP_RESET_COUNTER rd, rt
	ldr	\rt, =BSP_TIMER23_BASE
	mov	\rd, #(SP804_EN | SP804_32BIT)
	str	\rd, [\rt, #SP804_CTRL]
	ldr	\rd, [\rt, #SP804_VALUE]
	mvn	\rd, \rd
.endm
#endif

#endif
