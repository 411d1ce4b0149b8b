/*
 * vtimer: the generic timer's virtual counter and virtual timer, as Linux uses them at PL1.
 *
 * The guest programs the virtual timer (CNTV_TVAL, CNTV_CTL) for a tick every PERIOD counts,
 * sleeps in WFI between ticks, and in each interrupt (PPI 27) reads CNTVCT, CNTV_CVAL and
 * CNTV_CTL (ISTATUS), then moves CVAL on by one period. It prints, per tick, how many counts
 * after CVAL the handler read the counter: on a deterministic board that is the same small
 * number every time. Then user mode (PL0) reads CNTVCT, allowed by CNTKCTL.PL0VCTEN.
 *
 *   tick 1 late=<n> ctl=0x5
 *   ...
 *   tick 5 late=<n> ctl=0x5
 *   user cntvct ok
 *   vtimer done
 */
#include "bsp.h"

#define VIRT_TIMER_PPI 27u
#define TICKS 5u
#define PERIOD 62500u                   /* 1 ms at 62.5 MHz */
#define CTL_ENABLE 1u
#define CTL_IMASK 2u

static volatile uint32_t ticks;
static volatile uint64_t user_count;

void vtimer_enter_user(void (*code)(void), uint32_t *stack_top);
extern const char vtimer_user_return[];

static inline uint64_t read_cntvct(void)
{
    uint64_t value;
    __asm__ volatile("isb\n\tmrrc p15, 1, %Q0, %R0, c14" : "=r"(value));
    return value;
}

static inline uint64_t read_cval(void)
{
    uint64_t value;
    __asm__ volatile("mrrc p15, 3, %Q0, %R0, c14" : "=r"(value));
    return value;
}

static inline void write_cval(uint64_t value)
{
    __asm__ volatile("mcrr p15, 3, %Q0, %R0, c14" : : "r"(value));
}

static inline uint32_t read_ctl(void)
{
    uint32_t value;
    __asm__ volatile("mrc p15, 0, %0, c14, c3, 1" : "=r"(value));
    return value;
}

static inline void write_ctl(uint32_t value)
{
    __asm__ volatile("mcr p15, 0, %0, c14, c3, 1\n\tisb" : : "r"(value));
}

static inline void write_tval(uint32_t value)
{
    __asm__ volatile("mcr p15, 0, %0, c14, c3, 0\n\tisb" : : "r"(value));
}

void bsp_irq_handler(unsigned irq)
{
    if (irq != VIRT_TIMER_PPI) {
        kprintf("unexpected irq %u\n", irq);
        return;
    }
    uint64_t now = read_cntvct();
    uint64_t cval = read_cval();
    uint32_t ctl = read_ctl();
    ticks++;
    kprintf("tick %u late=%u ctl=0x%x\n", ticks, (uint32_t)(now - cval), ctl);
    if (ticks >= TICKS) {
        write_ctl(CTL_IMASK);           /* off: the output falls */
    } else {
        write_cval(cval + PERIOD);      /* the next tick, one period after this one */
    }
}

/* Runs in User mode: one CNTVCT read, stored, then SVC back. */
static void user_code(void)
{
    user_count = read_cntvct();
    __asm__ volatile("svc #0");
    for (;;) {
    }
}

void bsp_exception(struct exc_frame *f, unsigned kind)
{
    if (kind == EXC_SVC && (f->spsr & 0x1fu) == 0x10u) {
        f->spsr = (f->spsr & ~0x1fu) | 0x13u;     /* back to SVC mode, after the call */
        f->pc = (uint32_t)(uintptr_t)vtimer_user_return;
        return;
    }
    kprintf("UNEXPECTED %s lr=0x%08x\n", bsp_exception_name(kind), f->pc);
    kprintf("vtimer FAILED\n");
    bsp_exit();
}

static uint32_t user_stack[256] __attribute__((aligned(8)));

int main(void)
{
    gic_init();
    gic_set_priority(VIRT_TIMER_PPI, 0x80);
    gic_enable_irq(VIRT_TIMER_PPI);
    write_tval(PERIOD);
    write_ctl(CTL_ENABLE);
    cpu_irq_enable();
    while (ticks < TICKS) {
        cpu_wfi();
    }
    cpu_irq_disable();

    __asm__ volatile("mcr p15, 0, %0, c14, c1, 0" : : "r"(1u << 1));   /* CNTKCTL.PL0VCTEN */
    uint64_t before = read_cntvct();
    vtimer_enter_user(user_code, user_stack + 256);
    uint64_t after = read_cntvct();
    kprintf("user cntvct %s\n", before < user_count && user_count < after ? "ok" : "BAD");
    kprintf("vtimer done\n");
    return 0;
}
