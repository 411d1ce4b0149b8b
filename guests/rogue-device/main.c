/* rogue-device: reads the flags register of another VM's UART. */
#include "../rogue/rogue.h"

int main(void)
{
    uart_puts("rogue-device: reading UART1\n");
    kprintf("rogue-device: UART1 FR = %x\n", mmio_read32(FOREIGN_UART_BASE + 0x18u));
    rogue_heartbeat("rogue-device");
    uart_puts("rogue-device done\n");
    return 0;
}
