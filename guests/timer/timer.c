/*
 * timer: SP804 TIMER01 (timer 0) periodic at 1 kHz, interrupt 34 through the GIC.
 *
 * Load value: the SP804 counts TIMCLK edges down from TimerLoad to 0, raises its
 * interrupt on reaching 0 and reloads TimerLoad on the following edge, so one period
 * is TimerLoad + 1 ticks (SP804 TRM, DDI 0271). TIMCLK is 1 MHz on this board, hence
 * 1 ms = 1000 ticks -> TimerLoad = 999.
 * (QEMU's model, hw/timer/arm_timer.c with PTIMER_POLICY_LEGACY, reloads at the same
 * instant it reaches 0, i.e. a period of TimerLoad ticks = 999 us there. The printed
 * output does not depend on the period.)
 *
 * Output:
 *   timer start
 *   tick 1
 *   ...
 *   tick 10
 *   timer done
 */
#include "bsp.h"

#define TICK_HZ         1000u
#define TIMER_LOAD      (BOARD_SP804_HZ / TICK_HZ - 1u)    /* 999 */
#define TICKS_WANTED    10u
#define TIMER_PRIO      0xa0u

static volatile uint32_t ticks;
static volatile uint32_t foreign_irqs;

void bsp_irq_handler(unsigned irq)
{
    if (irq == BOARD_TIMER01_IRQ && sp804_masked_status(BOARD_TIMER01_BASE, 0)) {
        sp804_clear_irq(BOARD_TIMER01_BASE, 0);
        ticks++;
    } else {
        foreign_irqs++;
        gic_disable_irq(irq);
    }
}

int main(void)
{
    kprintf("timer start\n");

    gic_init();
    gic_set_priority(BOARD_TIMER01_IRQ, TIMER_PRIO);
    gic_set_target(BOARD_TIMER01_IRQ, 0x01);
    gic_enable_irq(BOARD_TIMER01_IRQ);

    sp804_start_periodic(BOARD_TIMER01_BASE, 0, TIMER_LOAD);

    uint32_t printed = 0;
    while (printed < TICKS_WANTED) {
        /* Check-then-sleep with IRQs masked: WFI still wakes on a pending interrupt,
         * which is then taken as soon as IRQs are unmasked. No lost wake-ups. */
        cpu_irq_disable();
        if (ticks == printed) {
            cpu_wfi();
        }
        cpu_irq_enable();

        uint32_t now = ticks;
        while (printed < now && printed < TICKS_WANTED) {
            printed++;
            kprintf("tick %u\n", printed);
        }
    }

    cpu_irq_disable();
    sp804_stop(BOARD_TIMER01_BASE, 0);
    gic_disable_irq(BOARD_TIMER01_IRQ);
    gic_clear_pending(BOARD_TIMER01_IRQ);

    if (foreign_irqs != 0) {
        kprintf("timer FAILED: %u unexpected interrupts\n", foreign_irqs);
    }
    kprintf("timer done\n");
    return 0;
}
