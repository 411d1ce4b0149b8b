/* SP804 dual-timer helpers. */
#include "bsp.h"

#if BOARD_HAS_SP804
static uintptr_t timer_base(uintptr_t base, unsigned idx)
{
    return base + (uintptr_t)idx * SP804_TIMER_STRIDE;
}

void sp804_start_periodic(uintptr_t base, unsigned idx, uint32_t load)
{
    uintptr_t t = timer_base(base, idx);
    mmio_write32(t + SP804_CONTROL, 0);
    mmio_write32(t + SP804_INTCLR, 1);
    mmio_write32(t + SP804_LOAD, load);
    mmio_write32(t + SP804_CONTROL, SP804_CTRL_ENABLE | SP804_CTRL_PERIODIC |
                                    SP804_CTRL_INTEN | SP804_CTRL_32BIT | SP804_CTRL_DIV1);
}

void sp804_stop(uintptr_t base, unsigned idx)
{
    uintptr_t t = timer_base(base, idx);
    mmio_write32(t + SP804_CONTROL, 0);
    mmio_write32(t + SP804_INTCLR, 1);
}

void sp804_clear_irq(uintptr_t base, unsigned idx)
{
    mmio_write32(timer_base(base, idx) + SP804_INTCLR, 1);
}

uint32_t sp804_masked_status(uintptr_t base, unsigned idx)
{
    return mmio_read32(timer_base(base, idx) + SP804_MIS);
}

uint32_t sp804_value(uintptr_t base, unsigned idx)
{
    return mmio_read32(timer_base(base, idx) + SP804_VALUE);
}
#endif
