/*
 * Board description: QEMU "-M vexpress-a15" memory map (A-series motherboard map +
 * CoreTile A15 daughterboard), which the rthv emulated board copies.
 *
 * Verified against QEMU 7.2 (hw/arm/vexpress.c, hw/cpu/a15mpcore.c, "info mtree").
 * Only plain #defines: this header is also included from assembly and from the
 * C-preprocessed linker script.
 */
#ifndef BOARD_VEXPRESS_A15_H
#define BOARD_VEXPRESS_A15_H

#define BOARD_NAME              "vexpress-a15"
#define BOARD_ID_VEXPRESS_A15   1

/* RAM: 0x80000000, 128 MiB by default (QEMU -m default). */
#define BOARD_RAM_BASE          0x80000000
#define BOARD_RAM_SIZE          0x08000000
/* Where the image is linked and loaded (ELF vaddr == paddr). */
#define BOARD_LOAD_ADDR         0x80000000

/* PL011 UARTs (motherboard interrupt n -> GIC SPI n -> interrupt ID 32 + n). */
#define BOARD_UART0_BASE        0x1c090000
#define BOARD_UART0_IRQ         37
#define BOARD_UART1_BASE        0x1c0a0000
#define BOARD_UART1_IRQ         38
#define BOARD_UART2_BASE        0x1c0b0000
#define BOARD_UART2_IRQ         39
#define BOARD_UART3_BASE        0x1c0c0000
#define BOARD_UART3_IRQ         40

/* SP804 dual timers, TIMCLK = 1 MHz. Both halves of one SP804 share one IRQ line. */
#define BOARD_HAS_SP804         1
#define BOARD_TIMER01_BASE      0x1c110000
#define BOARD_TIMER01_IRQ       34
#define BOARD_TIMER23_BASE      0x1c120000
#define BOARD_TIMER23_IRQ       35
#define BOARD_SP804_HZ          1000000

/* GICv2 inside the A15MPCore private region (PERIPHBASE 0x2c000000). */
#define BOARD_GICD_BASE         0x2c001000
#define BOARD_GICC_BASE         0x2c002000

/*
 * An address with no RAM and no device behind it (used by the "exceptions" guest to
 * provoke aborts). NOTE: QEMU's vexpress sets ignore_memory_transaction_failures, so on
 * QEMU an access here reads as zero / is ignored instead of aborting; the rthv board
 * raises a synchronous external abort.
 */
#define BOARD_UNMAPPED_ADDR     0x30000000

#endif
