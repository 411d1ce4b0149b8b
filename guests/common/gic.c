/* Minimal GICv2 driver: one CPU, all interrupts in the reset group, 32-bit accesses
 * only (read-modify-write for the byte-per-interrupt registers). */
#include "bsp.h"

#define GICD_CTLR           0x000
#define GICD_TYPER          0x004
#define GICD_ISENABLER      0x100
#define GICD_ICENABLER      0x180
#define GICD_ICPENDR        0x280
#define GICD_IPRIORITYR     0x400
#define GICD_ITARGETSR      0x800

#define GICC_CTLR           0x00
#define GICC_PMR            0x04
#define GICC_BPR            0x08
#define GICC_IAR            0x0c
#define GICC_EOIR           0x10

void gic_init(void)
{
    mmio_write32(BOARD_GICD_BASE + GICD_CTLR, 0);
    mmio_write32(BOARD_GICC_BASE + GICC_CTLR, 0);
    mmio_write32(BOARD_GICC_BASE + GICC_PMR, 0xff);   /* let every priority through */
    mmio_write32(BOARD_GICC_BASE + GICC_BPR, 0);
    mmio_write32(BOARD_GICC_BASE + GICC_CTLR, 1);
    mmio_write32(BOARD_GICD_BASE + GICD_CTLR, 1);
}

static void set_byte_field(uintptr_t reg_base, unsigned irq, uint8_t value)
{
    uintptr_t reg = reg_base + (irq & ~3u);
    unsigned shift = (irq & 3u) * 8u;
    uint32_t v = mmio_read32(reg);
    v = (v & ~(0xffu << shift)) | ((uint32_t)value << shift);
    mmio_write32(reg, v);
}

void gic_set_priority(unsigned irq, uint8_t prio)
{
    set_byte_field(BOARD_GICD_BASE + GICD_IPRIORITYR, irq, prio);
}

void gic_set_target(unsigned irq, uint8_t cpumask)
{
    if (irq >= 32) {
        set_byte_field(BOARD_GICD_BASE + GICD_ITARGETSR, irq, cpumask);
    }
}

void gic_enable_irq(unsigned irq)
{
    mmio_write32(BOARD_GICD_BASE + GICD_ISENABLER + 4u * (irq / 32u), 1u << (irq % 32u));
}

void gic_disable_irq(unsigned irq)
{
    mmio_write32(BOARD_GICD_BASE + GICD_ICENABLER + 4u * (irq / 32u), 1u << (irq % 32u));
}

void gic_clear_pending(unsigned irq)
{
    mmio_write32(BOARD_GICD_BASE + GICD_ICPENDR + 4u * (irq / 32u), 1u << (irq % 32u));
}

uint32_t gic_ack(void)
{
    return mmio_read32(BOARD_GICC_BASE + GICC_IAR);
}

void gic_eoi(uint32_t iar)
{
    mmio_write32(BOARD_GICC_BASE + GICC_EOIR, iar);
}

__attribute__((weak)) void bsp_irq_handler(unsigned irq)
{
    kprintf("unexpected irq %u\n", irq);
    gic_disable_irq(irq);
}

/* Called by the IRQ trampoline in IRQ mode. */
void gic_handle_irq(void)
{
    uint32_t iar = gic_ack();
    unsigned irq = iar & 0x3ffu;
    if (irq >= 1020u) {
        return;             /* spurious: no EOI */
    }
    bsp_irq_handler(irq);
    gic_eoi(iar);
}
