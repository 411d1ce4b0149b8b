/* probe: see probe.h. Prints "probe <n> start", what happened, and "probe done". */
#include "probe.h"

static volatile unsigned und_count, dabt_count, pabt_count, svc_count;
static volatile uint32_t last_lr, last_spsr, last_fsr, last_far;

void bsp_exception(struct exc_frame *f, unsigned kind)
{
    last_lr = f->pc;
    last_spsr = f->spsr;
    switch (kind) {
    case EXC_UND:
        und_count++;
        kprintf("probe: UND lr=0x%08x spsr=0x%08x\n", f->pc, f->spsr);
        if (f->pc == PROBE_RAM_END) {     /* a Thumb UDF in the last halfword: go back */
            f->pc = f->r[12];
            f->spsr &= ~(1u << 5);
        }
        break;                            /* resume after the undefined instruction */
    case EXC_DABT:
        dabt_count++;
        last_fsr = cpu_read_dfsr();
        last_far = cpu_read_dfar();
        kprintf("probe: DABT dfsr=0x%08x dfar=0x%08x\n", last_fsr, last_far);
        f->pc -= (f->spsr & (1u << 5)) ? 6 : 4;
        break;
    case EXC_PABT:
        pabt_count++;
        kprintf("probe: PABT ifsr=0x%08x ifar=0x%08x\n", cpu_read_ifsr(), cpu_read_ifar());
        bsp_exit();
    case EXC_SVC:
        svc_count++;
        kprintf("probe: SVC\n");
        break;
    default:
        kprintf("probe: %s\n", bsp_exception_name(kind));
        bsp_exit();
    }
}

static const volatile uint32_t *const script = (const volatile uint32_t *)PROBE_SCRIPT;
static volatile uint32_t *const results = (volatile uint32_t *)PROBE_RESULTS;

/* Jump to a Thumb UDF #0 at the very last halfword of RAM; the handler comes back to `back`. */
static void thumb_udf_at_ram_end(void)
{
    volatile uint16_t *last = (volatile uint16_t *)(PROBE_RAM_END - 2);
    *last = 0xde00;                       /* UDF #0 (T1) */
    __asm__ volatile("dsb\n\tmcr p15, 0, %0, c7, c5, 0\n\tisb" : : "r"(0) : "memory");
    __asm__ volatile("adr r12, 1f\n\t"
                     "blx %0\n"
                     "1:"
                     :
                     : "r"((PROBE_RAM_END - 2) | 1u)
                     : "r12", "lr", "memory");
}

/* A Thumb WFE, then BX LR, as the first halfwords of the second RAM region. */
static void thumb_wfe_at_region_start(void)
{
    volatile uint16_t *start = (volatile uint16_t *)PROBE_SECOND_RAM;
    start[0] = 0xbf20;                    /* WFE */
    start[1] = 0x4770;                    /* BX LR */
    __asm__ volatile("dsb\n\tmcr p15, 0, %0, c7, c5, 0\n\tisb" : : "r"(0) : "memory");
    void (*code)(void) = (void (*)(void))(PROBE_SECOND_RAM | 1u);
    code();
}

/* Short-descriptor level-1 table: 1 MiB sections, identity except for two aliases. */
static uint32_t l1_table[4096] __attribute__((aligned(16384)));

#define SECTION(pa) (((pa) & 0xfff00000u) | (3u << 10) | 0x2u) /* AP=RW, section */

static void mmu_on_with_aliases(void)
{
    for (uint32_t i = 0; i < 4096; i++) {
        l1_table[i] = SECTION(i << 20);
    }
    l1_table[PROBE_ALIAS >> 20] = SECTION(BOARD_LOAD_ADDR);
    l1_table[PROBE_ROM_ALIAS >> 20] = SECTION(PROBE_ROM);
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 2" : : "r"(0));            /* TTBCR */
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 0" : : "r"(l1_table));     /* TTBR0 */
    __asm__ volatile("mcr p15, 0, %0, c3, c0, 0" : : "r"(0xffffffffu)); /* DACR: manager */
    __asm__ volatile("mcr p15, 0, %0, c8, c7, 0" : : "r"(0));            /* TLBIALL */
    uint32_t sctlr;
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(sctlr));
    __asm__ volatile("dsb\n\tmcr p15, 0, %0, c1, c0, 0\n\tisb" : : "r"(sctlr | 1u) : "memory");
}

static uintptr_t alias_of(uintptr_t address)
{
    return address - BOARD_LOAD_ADDR + PROBE_ALIAS;
}

static void alias_thumb_cntpct(void)
{
    mmu_on_with_aliases();
    uint64_t (*read)(void) = (uint64_t (*)(void))alias_of((uintptr_t)probe_thumb_cntpct);
    uint64_t first = read();
    uint64_t second = read();
    kprintf("probe: cntpct advances %s\n", second > first ? "yes" : "no");
}

static void alias_thumb_rom_write(void)
{
    mmu_on_with_aliases();
    void (*store)(uint32_t, uint32_t) =
        (void (*)(uint32_t, uint32_t))alias_of((uintptr_t)probe_thumb_store);
    uint32_t before = *(volatile uint32_t *)PROBE_ROM_ALIAS;
    store(PROBE_ROM_ALIAS, before ^ 0xffffffffu);
    uint32_t after = *(volatile uint32_t *)PROBE_ROM_ALIAS;
    kprintf("probe: rom unchanged %s\n", after == before ? "yes" : "no");
}

static void user_hvc(void)
{
    probe_enter_user();
    uint32_t status = probe_user_hvc_version();
    kprintf("probe: user hvc r0=0x%08x und=%u\n", status, und_count);
}

static void user_cntpct(void)
{
    __asm__ volatile("mcr p15, 0, %0, c14, c1, 0" : : "r"(0)); /* CNTKCTL: nothing for PL0 */
    probe_enter_user();
    (void)probe_read_cntpct();
    kprintf("probe: user cntpct und=%u\n", und_count);
}

static void smc(void)
{
    uint32_t cpsr = 0xf0000000u | 0x1c0u | 0x13u; /* NZCV, A, I, F, SVC */
    uint32_t after = probe_smc(cpsr);
    kprintf("probe: smc cpsr before=0x%08x after=0x%08x und=%u\n", cpsr, after, und_count);
}

static void hints_after_undef(void)
{
    probe_udf();
    probe_hints();
    kprintf("probe: hints after undef und=%u\n", und_count);
}

/* Cases: {immediate, r0, r1, r2, r3}; results: r0 after each call. */
static void hvc_table(uint32_t count)
{
    static uint32_t slot[2] __attribute__((aligned(8)));
    const volatile uint32_t *cases = script + 2;
    for (uint32_t i = 0; i < count; i++) {
        const volatile uint32_t *c = cases + 5 * i;
        uint32_t imm = c[0] & 0xffffu;
        uint32_t word = 0xe1400070u | ((imm >> 4) << 8) | (imm & 0xfu);
        uint32_t regs[4] = {c[1], c[2], c[3], c[4]};
        probe_hvc_word(slot, word, regs);
        results[i] = regs[0];
    }
    kprintf("probe: %u hypercalls made\n", count);
}

/* Cases: {offset, width | write << 8, value}; results: the value read (0 for writes). */
/* Each case: [offset, width (1 or 4) | 0x100 for a write, value]; reads go to the results. */
static void mmio_table(uintptr_t base, uint32_t count)
{
    const volatile uint32_t *cases = script + 2;
    for (uint32_t i = 0; i < count; i++) {
        const volatile uint32_t *c = cases + 3 * i;
        uintptr_t at = base + (c[0] & 0xffcu);
        uint32_t width = c[1] & 0xffu;
        uint32_t value = c[2];
        uint32_t read = 0;
        if (c[1] & 0x100u) {
            if (width == 1) {
                *(volatile uint8_t *)(at + (c[0] & 3u)) = (uint8_t)value;
            } else {
                *(volatile uint32_t *)at = value;
            }
        } else if (width == 1) {
            read = *(volatile uint8_t *)(at + (c[0] & 3u));
        } else {
            read = *(volatile uint32_t *)at;
        }
        results[i] = read;
    }
}

/* One access at ``at``, aligned or not: LDRB/STRB, LDRH/STRH, LDR/STR or LDRD/STRD for a width
 * of 1, 2, 4 or 8 (another width: none). A read returns the (low) word read, a write 0; an
 * access the CPU refuses takes the DABT handler, which resumes after it. */
static uint32_t access_any(uintptr_t at, uint32_t width, uint32_t write, uint32_t value)
{
    register uint32_t low __asm__("r2") = value;
    register uint32_t high __asm__("r3") = ~value;
    switch (width | write << 4) {
    case 0x01: __asm__ volatile("ldrb %0, [%1]" : "+r"(low) : "r"(at) : "memory"); break;
    case 0x02: __asm__ volatile("ldrh %0, [%1]" : "+r"(low) : "r"(at) : "memory"); break;
    case 0x04: __asm__ volatile("ldr %0, [%1]" : "+r"(low) : "r"(at) : "memory"); break;
    case 0x08:
        __asm__ volatile("ldrd r2, r3, [%2]" : "+r"(low), "+r"(high) : "r"(at) : "memory");
        break;
    case 0x11: __asm__ volatile("strb %0, [%1]" : : "r"(low), "r"(at) : "memory"); break;
    case 0x12: __asm__ volatile("strh %0, [%1]" : : "r"(low), "r"(at) : "memory"); break;
    case 0x14: __asm__ volatile("str %0, [%1]" : : "r"(low), "r"(at) : "memory"); break;
    case 0x18:
        __asm__ volatile("strd r2, r3, [%0]" : : "r"(at), "r"(low), "r"(high) : "memory");
        break;
    default: break;
    }
    return write ? 0 : low;
}

/* Cases: {0 for GICD or 1 for uart0, offset, width | write << 8, value}; results: the value
 * read (0 for writes). */
static void any_mmio_table(uint32_t count)
{
    const volatile uint32_t *cases = script + 2;
    for (uint32_t i = 0; i < count; i++) {
        const volatile uint32_t *c = cases + 4 * i;
        uintptr_t base = c[0] ? BOARD_UART0_BASE : BOARD_GICD_BASE;
        results[i] = access_any(base + (c[1] & 0xfffu), c[2] & 0xffu, (c[2] >> 8) & 1u, c[3]);
    }
    kprintf("probe: %u mmio accesses made\n", count);
}

int main(void)
{
    uint32_t probe = script[0];
    kprintf("probe %u start\n", probe);
    switch (probe) {
    case PROBE_THUMB_UDF_AT_RAM_END:
        thumb_udf_at_ram_end();
        break;
    case PROBE_THUMB_WFE_AT_REGION_START:
        thumb_wfe_at_region_start();
        kprintf("probe: wfe returned\n");
        break;
    case PROBE_ALIAS_THUMB_CNTPCT:
        alias_thumb_cntpct();
        break;
    case PROBE_ALIAS_THUMB_ROM_WRITE:
        alias_thumb_rom_write();
        break;
    case PROBE_USER_HVC:
        user_hvc();
        break;
    case PROBE_USER_CNTPCT:
        user_cntpct();
        break;
    case PROBE_SMC:
        smc();
        break;
    case PROBE_HINTS_AFTER_UNDEF:
        hints_after_undef();
        break;
    case PROBE_LOCKUP:
        for (uint32_t i = 0; i < 8; i++) {
            ((volatile uint32_t *)PROBE_SECOND_RAM)[i] = 0xe7f000f0u; /* UDF #0 */
        }
        __asm__ volatile("dsb\n\tmcr p15, 0, %0, c7, c5, 0\n\tisb" : : "r"(0) : "memory");
        probe_lockup(PROBE_SECOND_RAM);
        break;
    case PROBE_STAGE2_READ: /* no memory of the VM here: an abort, if the VM gets it */
        kprintf("probe: read 0x%08x\n", mmio_read32(BOARD_UNMAPPED_ADDR));
        break;
    case PROBE_HVC_TABLE:
        hvc_table(script[1]);
        break;
    case PROBE_GICD_TABLE:
        mmio_table(BOARD_GICD_BASE, script[1]);
        kprintf("probe: %u gicd accesses made\n", script[1]);
        break;
    case PROBE_UART_TABLE:
        mmio_table(BOARD_UART0_BASE, script[1]);
        kprintf("probe: %u uart accesses made\n", script[1]);
        break;
    case PROBE_MMIO_TABLE:
        any_mmio_table(script[1]);
        break;
    default:
        kprintf("probe: unknown probe\n");
        break;
    }
    kprintf("probe done und=%u dabt=%u\n", und_count, dabt_count);
    return 0;
}
