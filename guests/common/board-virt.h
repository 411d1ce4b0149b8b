/*
 * Board description: QEMU "-M virt" (32-bit, GICv2 default, no SP804).
 * Verified against QEMU 7.2 ("info mtree", hw/arm/virt.c memmap / a15irqmap).
 * Only plain #defines (included from C, assembly and the linker script).
 */
#ifndef BOARD_VIRT_H
#define BOARD_VIRT_H

#define BOARD_NAME              "virt"
#define BOARD_ID_VIRT           1

/* RAM: 0x40000000, 128 MiB by default. */
#define BOARD_RAM_BASE          0x40000000
#define BOARD_RAM_SIZE          0x08000000
/*
 * Images are linked at RAM + 64 KiB, not at the start of RAM:
 *  - when QEMU loads an ELF whose lowest address is above the start of RAM it puts the
 *    generated device tree at the start of RAM (limited to the gap below the image),
 *    so the bottom of RAM is not ours to use;
 *  - a raw binary passed with -kernel is loaded at RAM + 0x10000 (the Linux boot path,
 *    which enters in Hyp mode when EL2 exists), so the same image works both ways.
 */
#define BOARD_LOAD_ADDR         0x40010000

#define BOARD_UART0_BASE        0x09000000
#define BOARD_UART0_IRQ         33

#define BOARD_HAS_SP804         0

#define BOARD_GICD_BASE         0x08000000
#define BOARD_GICC_BASE         0x08010000

/* Hole between the virtio-mmio transports (end 0x0a004000) and the platform bus
 * (0x0c000000). virt does not ignore transaction failures: accesses here abort. */
#define BOARD_UNMAPPED_ADDR     0x0b000000

#endif
