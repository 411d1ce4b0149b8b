/*
 * hvc-probe: calls every hypercall of the rthv ABI (docs/hypercalls.md), good and bad, and
 * prints each status. Only meaningful inside a VM: bare-metal, HVC is an undefined instruction.
 */
#include "bsp.h"

static int32_t hvc0(uint32_t function, uint32_t arg)
{
    register uint32_t r0 __asm__("r0") = function;
    register uint32_t r1 __asm__("r1") = arg;
    __asm__ volatile(".arch_extension virt\n\thvc #0" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

static int32_t hvc1(uint32_t function)
{
    register uint32_t r0 __asm__("r0") = function;
    __asm__ volatile(".arch_extension virt\n\thvc #1" : "+r"(r0) : : "memory");
    return (int32_t)r0;
}

int main(void)
{
    kprintf("hvc-probe version %x\n", (uint32_t)hvc0(0, 0));
    kprintf("hvc-probe vm_id %d\n", hvc0(2, 0));
    kprintf("hvc-probe notify_own %d\n", hvc0(1, 0));
    kprintf("hvc-probe notify_unconfigured %d\n", hvc0(1, 7));
    kprintf("hvc-probe notify_foreign %d\n", hvc0(1, 1));
    kprintf("hvc-probe notify_out_of_range %d\n", hvc0(1, 0x10000));
    kprintf("hvc-probe unknown_function %d\n", hvc0(99, 0));
    kprintf("hvc-probe bad_immediate %d\n", hvc1(0));
    uart_puts("hvc-probe done\n");
    return 0;
}
