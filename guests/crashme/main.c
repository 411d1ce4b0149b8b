/* crashme: see crashme.h. Prints its script, the exceptions by kind, and "crashme done". */
#include "crashme.h"

#define VIRT_TIMER_PPI 27u
#define WATCHDOG_COUNTS 1000u /* 16 us of the 62.5 MHz counter: a batch's longest run */
#define GIC_REFRESH 256u      /* batches between two re-initialisations of the GIC */
#define CPSR_T (1u << 5)
#define CPSR_SVC_A_F 0x153u   /* SVC mode, asynchronous aborts and FIQs masked, IRQs not */
#define ARM_SENTINEL 0xe7f0def0u   /* UDF in ARM state (and its low half in Thumb) */
#define THUMB_SENTINEL 0xdefedefeu /* two Thumb UDFs: one is met whatever the alignment */

static const volatile uint32_t *const script = (const volatile uint32_t *)CRASHME_SCRIPT;
static volatile uint32_t *const buffer = (volatile uint32_t *)CRASHME_BUFFER;

/* In .data, which the start-up code does not clear: random code that jumps to the image's entry
 * (MOV pc, #0x80000000 is one ARM instruction) starts main again, and main goes on from here. */
#define KEPT __attribute__((section(".data")))
static uint32_t entered KEPT;
static uint32_t batch KEPT;
static uint32_t state KEPT;
static uint32_t counts[KINDS] KEPT;
static uint32_t ended KEPT;      /* batches that ran into the sentinel after their random words */
static uint32_t reentered KEPT;  /* batches whose random code jumped to the image's entry */

static uint32_t next(void)
{
    uint32_t x = state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    state = x;
    return x;
}

static void watchdog_arm(void)
{
    __asm__ volatile("mcr p15, 0, %0, c14, c3, 0" : : "r"(WATCHDOG_COUNTS)); /* CNTV_TVAL */
    __asm__ volatile("mcr p15, 0, %0, c14, c3, 1\n\tisb" : : "r"(1u));        /* CNTV_CTL */
}

#define GICC_APR0 0xd0u
#define GICD_ICACTIVER0 0x380u

/* The GIC as the watchdog needs it, whatever the random code wrote to it or read from it: the
 * active priorities (random bits there mask the watchdog's priority for good) and the active
 * states of SGIs and PPIs (random code that reads GICC_IAR acknowledges an interrupt and never
 * ends it: four such fill the list registers, and the watchdog's tick can no more be listed). */
static void gic_setup(void)
{
    mmio_write32(BOARD_GICC_BASE + GICC_APR0, 0);
    mmio_write32(BOARD_GICD_BASE + GICD_ICACTIVER0, 0xffffffffu);
    gic_init();
    gic_set_priority(VIRT_TIMER_PPI, 0x80);
    gic_enable_irq(VIRT_TIMER_PPI);
}

/* A register's value: random, or an address in the code buffer (loads and stores that work,
 * code that rewrites itself), or in the GIC's distributor and CPU interface pages. */
static uint32_t register_value(int *gic)
{
    uint32_t v = next();
    switch (v & 7u) {
    case 0:
    case 1:
        return CRASHME_BUFFER + ((v >> 8) & 0xffcu);
    case 2:
        *gic = 1;
        return CRASHME_GIC_WINDOW + ((v >> 8) & 0x1ffcu);
    default:
        return v;
    }
}

static uint32_t run_batch(uint32_t words, int *gic)
{
    int thumb = (int)(batch & 1u); /* ARM and Thumb batches in turn */
    for (uint32_t i = 0; i < words; i++) {
        buffer[i] = next();
    }
    buffer[words] = buffer[words + 1] = thumb ? THUMB_SENTINEL : ARM_SENTINEL;
    uint32_t regs[16];
    for (int i = 0; i < 15; i++) {
        regs[i] = register_value(gic);
    }
    regs[15] = CRASHME_BUFFER;
    uint32_t cpsr = (next() & 0xf8000000u) | CPSR_SVC_A_F | (thumb ? CPSR_T : 0u);
    watchdog_arm();
    return crashme_run(regs, cpsr);
}

/* The batch ran through its random words into the UDF after them. */
static int at_sentinel(uint32_t words)
{
    uint32_t back = (crashme_caught.spsr & CPSR_T) ? 2u : 4u;
    uint32_t at = crashme_caught.lr - back;
    uint32_t sentinel = CRASHME_BUFFER + 4u * words;
    return crashme_caught.kind == KIND_UND && at - sentinel < 8u;
}

int main(void)
{
    uint32_t seed = script[0], batches = script[1], words = script[2];
    if (words < 1u || words > CRASHME_BUFFER_WORDS - 2u) {
        words = CRASHME_BUFFER_WORDS - 2u;
    }
    if (entered) { /* again, from random code: that batch is over, the CP15 copy stays */
        reentered++;
        batch++;
        __asm__ volatile("mcr p15, 0, %0, c1, c0, 0" : : "r"(crashme_good.sctlr));
        __asm__ volatile("mcr p15, 0, %0, c12, c0, 0\n\tisb" : : "r"(crashme_good.vbar));
    } else {
        entered = 1;
        state = seed ? seed : 0x9e3779b9u; /* xorshift32 never leaves 0 */
        kprintf("crashme seed=0x%08x batches=%u words=%u\n", seed, batches, words);
        crashme_save_good();
    }
    gic_setup();
    for (; batch < batches; batch++) {
        int gic = 0;
        uint32_t kind = run_batch(words, &gic);
        counts[kind & 7u]++;
        ended += (uint32_t)at_sentinel(words);
        if (gic || batch % GIC_REFRESH == GIC_REFRESH - 1u) {
            gic_setup();
        }
    }
    kprintf("crashme und=%u svc=%u pabt=%u dabt=%u irq=%u fiq=%u other=%u ended=%u "
            "reentered=%u\n",
            counts[KIND_UND], counts[KIND_SVC], counts[KIND_PABT], counts[KIND_DABT],
            counts[KIND_IRQ], counts[KIND_FIQ], counts[KIND_RESET] + counts[KIND_HYP], ended,
            reentered);
    kprintf("crashme done\n");
    mmio_write32(BOARD_GICD_BASE, 0); /* nothing pending may wake its last WFI again and again */
    mmio_write32(BOARD_GICC_BASE, 0);
    return 0;
}
