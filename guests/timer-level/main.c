/*
 * timer-level: the generic timer's interrupt is level-sensitive. The handler moves CNTP_CVAL
 * forward by one count only, which leaves it in the past: the timer output stays high, so the
 * interrupt must be taken again at once, without the output ever falling. After 5 interrupts
 * the handler disables the timer. A hypervisor that injects the timer PPI on rising edges only
 * delivers one interrupt here.
 */
#include "bsp.h"

#define PHYS_TIMER_PPI 30u
#define WANTED 5u

static volatile uint32_t taken;

static void write_cval(uint64_t value)
{
    __asm__ volatile("mcrr p15, 2, %Q0, %R0, c14" : : "r"(value));
}

static uint64_t read_cval(void)
{
    uint64_t value;
    __asm__ volatile("mrrc p15, 2, %Q0, %R0, c14" : "=r"(value));
    return value;
}

static void write_ctl(uint32_t value)
{
    __asm__ volatile("mcr p15, 0, %0, c14, c2, 1" : : "r"(value));
}

void bsp_irq_handler(unsigned irq)
{
    if (irq != PHYS_TIMER_PPI) {
        return;
    }
    taken++;
    if (taken >= WANTED) {
        write_ctl(0);                   /* disable: the output falls */
    } else {
        write_cval(read_cval() + 1u);   /* still in the past: the output stays high */
    }
}

int main(void)
{
    gic_init();
    gic_set_priority(PHYS_TIMER_PPI, 0x80);
    gic_enable_irq(PHYS_TIMER_PPI);
    write_cval(1u);                     /* long past */
    write_ctl(1u);                      /* enable, unmasked */
    cpu_irq_enable();
    for (uint32_t spin = 0; spin < 100000u && taken < WANTED; spin++) {
        cpu_wfi();
    }
    cpu_irq_disable();
    kprintf("timer-level: %u interrupts\n", taken);
    uart_puts("timer-level done\n");
    return 0;
}
