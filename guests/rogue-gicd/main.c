/* rogue-gicd: enables an interrupt it does not own, then carries on. */
#include "../rogue/rogue.h"

int main(void)
{
    uart_puts("rogue-gicd: enabling IRQ 38\n");
    mmio_write32(BOARD_GICD_BASE + GICD_ISENABLER1, 1u << (FOREIGN_IRQ - 32u));
    kprintf("rogue-gicd: ISENABLER1 reads %x\n", mmio_read32(BOARD_GICD_BASE + GICD_ISENABLER1));
    rogue_heartbeat("rogue-gicd");
    uart_puts("rogue-gicd done\n");
    return 0;
}
