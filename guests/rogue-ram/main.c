/* rogue-ram: writes past the end of its own RAM. */
#include "../rogue/rogue.h"

int main(void)
{
    uart_puts("rogue-ram: writing outside its RAM\n");
    mmio_write32(OUTSIDE_OWN_RAM, 0xdeadbeefu);
    rogue_heartbeat("rogue-ram");
    uart_puts("rogue-ram done\n");
    return 0;
}
