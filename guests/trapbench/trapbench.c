/*
 * trapbench: a micro-benchmark of the hypervisor's trap path, for `rthv bench --speed`.
 * Only meaningful inside a VM (HVC is undefined bare-metal). Phases of ROUNDS traps each,
 * each between a "start" and an "end" line, so the host can time them from the console:
 *   hvc   HVC #0 VERSION: trap, hypercall, return;
 *   gicd  a read of GICD_ISENABLER0: Stage-2 fault, emulated distributor access, return;
 *   wfi   WFI with the next timer interrupt a few microseconds away: WFI trap, the vCPU
 *         leaves the CPU, the physical IRQ reaches PL2, is injected, the vCPU comes back
 *         and takes it (SP804 timer01, IRQ 34, passed through);
 *   irq   the guest spins with IRQs enabled while the timer ticks: each tick is a physical
 *         IRQ taken at PL2 and injected into the running vCPU, with no switch;
 *   spin  the same spin loop, as many turns as in irq, with no interrupt: the host subtracts
 *         it from irq, so that irq counts the interrupt path alone.
 */
#include "bsp.h"

#define ROUNDS          2000u
#define TIMER_LOAD      4u       /* a tick every 5 us (TIMCLK 1 MHz) */
#define IRQ_TIMER_LOAD  1u       /* a tick every 2 us while the guest spins */
#define TIMER_PRIO      0xa0u
#define GICD_ISENABLER0 0x100u

static volatile uint32_t ticks;

void bsp_irq_handler(unsigned irq)
{
    if (irq == BOARD_TIMER01_IRQ) {
        sp804_clear_irq(BOARD_TIMER01_BASE, 0);
        ticks++;
    } else {
        gic_disable_irq(irq);
    }
}

static uint32_t hvc_version(void)
{
    register uint32_t r0 __asm__("r0") = 0;
    __asm__ volatile(".arch_extension virt\n\thvc #0" : "+r"(r0) : : "memory");
    return r0;
}

/* Turn until *counter reaches target or after limit turns; the turns taken. */
static uint32_t __attribute__((noinline)) spin(volatile uint32_t *counter, uint32_t target,
                                               uint32_t limit)
{
    uint32_t turns = 0;

    while (*counter < target && turns < limit) {
        turns++;
    }
    return turns;
}

int main(void)
{
    uint32_t i, turns, sum = 0;

    uart_puts("trapbench hvc start\n");
    for (i = 0; i < ROUNDS; i++) {
        sum += hvc_version();
    }
    uart_puts("trapbench hvc end\n");

    uart_puts("trapbench gicd start\n");
    for (i = 0; i < ROUNDS; i++) {
        sum += mmio_read32(BOARD_GICD_BASE + GICD_ISENABLER0);
    }
    uart_puts("trapbench gicd end\n");

    gic_init();
    gic_set_priority(BOARD_TIMER01_IRQ, TIMER_PRIO);
    gic_set_target(BOARD_TIMER01_IRQ, 0x01);
    gic_enable_irq(BOARD_TIMER01_IRQ);
    uart_puts("trapbench wfi start\n");
    sp804_start_periodic(BOARD_TIMER01_BASE, 0, TIMER_LOAD);
    while (ticks < ROUNDS) {
        cpu_irq_disable();
        cpu_wfi();
        cpu_irq_enable();
    }
    sp804_stop(BOARD_TIMER01_BASE, 0);
    uart_puts("trapbench wfi end\n");

    uart_puts("trapbench irq start\n");
    sp804_start_periodic(BOARD_TIMER01_BASE, 0, IRQ_TIMER_LOAD);
    cpu_irq_enable();
    turns = spin(&ticks, ticks + ROUNDS, 0xffffffffu);
    cpu_irq_disable();
    sp804_stop(BOARD_TIMER01_BASE, 0);
    uart_puts("trapbench irq end\n");

    uart_puts("trapbench spin start\n");
    sum += spin(&ticks, 0xffffffffu, turns);
    uart_puts("trapbench spin end\n");

    kprintf("trapbench done (%u)\n", sum != 0);
    return 0;
}
