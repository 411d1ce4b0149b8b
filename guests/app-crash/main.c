/*
 * app-crash: an application VM that works for a while, then crashes (a store far outside its
 * RAM, a Stage-2 fault). With fault = "restart" the hypervisor resets it from its images and
 * it boots again; its peers do not notice (examples/estop.toml).
 */
#include "bsp.h"

#define WORK_ROUNDS 3000000u            /* about 15 ms of virtual time at 1 GHz */
#define WILD_ADDRESS 0x30000000u        /* no memory of this VM there */

int main(void)
{
    volatile uint32_t sum = 0;

    uart_puts("app: boot, working\n");
    for (uint32_t i = 0; i < WORK_ROUNDS; i++) {
        sum += i;
    }
    kprintf("app: work done (%x), now a wild write\n", (uint32_t)sum);
    mmio_write32(WILD_ADDRESS, sum);
    uart_puts("app: still alive (the write was ignored)\n");
    return 0;
}
