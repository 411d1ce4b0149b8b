/*
 * chatty: a VM that never stops talking: a console line and a hypercall every few hundred
 * microseconds, forever (the soak test's noisy neighbour, examples/soak.toml).
 */
#include "bsp.h"

#define PAUSE_LOOPS 100000u     /* about 0.4 ms at 1 GHz between lines */

static int32_t hvc_version(void)
{
    register uint32_t r0 __asm__("r0") = 0;
    __asm__ volatile(".arch_extension virt\n\thvc #0" : "+r"(r0) : : "memory");
    return (int32_t)r0;
}

int main(void)
{
    for (uint32_t line = 0;; line++) {
        kprintf("chatty: line %u, abi %x\n", line, (uint32_t)hvc_version());
        for (volatile uint32_t i = 0; i < PAUSE_LOOPS; i++) {
        }
    }
}
