/*
 * mmu-faults: turn the MMU on and take every kind of Stage-1 fault the translation table
 * walk can raise, printing the fault status and address registers the abort handler finds.
 *
 * Part 1, short descriptors (TTBCR.EAE = 0, SCTLR.AFE = 1): translation, access flag,
 * domain and permission faults, each at section and at page level, on loads, stores and
 * instruction fetches. Part 2, long descriptors (LPAE, TTBCR.EAE = 1): translation faults
 * at levels 1, 2 and 3, an access flag fault and permission faults at level 2.
 *
 * RAM and the console UART are identity-mapped; the faults are provoked in a window at
 * RAM + 256 MiB, which is no memory on either board. Output, one line per fault:
 *   <what>: DFSR=0x........ DFAR=0x........      (data aborts)
 *   <what>: IFSR=0x........ IFAR=0x........      (prefetch aborts)
 *   mmu-faults done
 */
#include "bsp.h"

uint32_t mmu_load(uint32_t va);
void mmu_store(uint32_t va);
void mmu_exec(uint32_t va);
extern const char mmu_exec_resume[];

#define MIB                 0x100000u
#define WINDOW              (BOARD_RAM_BASE + 0x10000000u)
#define NO_FAULT            0xffffffffu

/* Short-descriptor format (ARM ARM B3.5), with SCTLR.AFE = 1: AP[0] is the access flag. */
#define L1_SECTION          0x2u
#define L1_COARSE           0x1u
#define L1_XN               (1u << 4)
#define L1_DOMAIN(d)        ((uint32_t)(d) << 5)
#define L1_AF               (1u << 10)
#define L1_AP1              (1u << 11)      /* PL0 access too */
#define L1_AP2              (1u << 15)      /* read-only */
#define L1_NORMAL           ((1u << 12) | (1u << 3) | (1u << 2))   /* TEX=001, C, B */
#define L2_SMALL            0x2u
#define L2_XN               0x1u
#define L2_AF               (1u << 4)
#define L2_AP1              (1u << 5)
#define L2_AP2              (1u << 9)
#define L2_NORMAL           ((1u << 6) | (1u << 3) | (1u << 2))

/* Long-descriptor format (ARM ARM B3.6). */
#define LD_TABLE            0x3ull
#define LD_BLOCK            0x1ull
#define LD_PAGE             0x3ull
#define LD_ATTR(i)          ((uint64_t)(i) << 2)   /* MAIR0 byte: 0 normal, 1 device */
#define LD_RO               (1ull << 7)
#define LD_AF               (1ull << 10)
#define LD_XN               (1ull << 54)

static uint32_t l1[4096] __attribute__((aligned(16384)));
static uint32_t l2_page[256] __attribute__((aligned(1024)));
static uint32_t l2_domain[256] __attribute__((aligned(1024)));
static uint64_t ld_l1[4] __attribute__((aligned(32)));
static uint64_t ld_l2[512] __attribute__((aligned(4096)));
static uint64_t ld_l3[512] __attribute__((aligned(4096)));
static uint32_t target[1024] __attribute__((aligned(4096)));

static volatile uint32_t fsr, far, aborts;

void bsp_exception(struct exc_frame *f, unsigned kind)
{
    if (kind == EXC_DABT) {
        fsr = cpu_read_dfsr();
        far = cpu_read_dfar();
        f->pc -= 4;                     /* the access is at LR - 8: resume after it */
    } else if (kind == EXC_PABT) {
        fsr = cpu_read_ifsr();
        far = cpu_read_ifar();
        f->pc = (uint32_t)(uintptr_t)mmu_exec_resume;
    } else {
        kprintf("UNEXPECTED %s lr=0x%08x\n", bsp_exception_name(kind), f->pc);
        kprintf("mmu-faults FAILED\n");
        bsp_exit();
    }
    aborts++;
}

enum access { LOAD, STORE, EXEC };

static void probe(const char *what, enum access access, uint32_t va)
{
    unsigned before = aborts;
    if (access == LOAD) {
        (void)mmu_load(va);
    } else if (access == STORE) {
        mmu_store(va);
    } else {
        mmu_exec(va);
    }
    if (aborts == before) {
        kprintf("%s: no fault\n", what);
    } else if (access == EXEC) {
        kprintf("%s: IFSR=0x%08x IFAR=0x%08x\n", what, fsr, far);
    } else {
        kprintf("%s: DFSR=0x%08x DFAR=0x%08x\n", what, fsr, far);
    }
}

static inline void write_sctlr(uint32_t v)
{
    __asm__ volatile("mcr p15, 0, %0, c1, c0, 0\n\tisb" ::"r"(v) : "memory");
}

static inline uint32_t read_sctlr(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(v));
    return v;
}

static inline void tlb_flush_all(void)
{
    __asm__ volatile("dsb\n\tmcr p15, 0, %0, c8, c7, 0\n\tdsb\n\tisb" ::"r"(0) : "memory");
}

#define SCTLR_M             (1u << 0)
#define SCTLR_AFE           (1u << 29)

static uint32_t section(uint32_t va)
{
    return va / MIB;
}

static void identity_map_short(void)
{
    for (uint32_t mb = 0; mb < BOARD_RAM_SIZE / MIB; mb++) {
        uint32_t pa = BOARD_RAM_BASE + mb * MIB;
        l1[section(pa)] = pa | L1_SECTION | L1_NORMAL | L1_AF | L1_AP1;
    }
    uint32_t uart = BOARD_UART0_BASE & ~(MIB - 1);
    l1[section(uart)] = uart | L1_SECTION | L1_XN | L1_AF | L1_AP1;   /* strongly ordered */
}

static void short_descriptor_faults(void)
{
    uint32_t page = (uint32_t)(uintptr_t)target;

    identity_map_short();
    /* WINDOW + 0 MiB: no descriptor (section translation fault). */
    /* WINDOW + 1 MiB: a page table whose first entry is empty, then pages with no access
     * flag, read-only and execute-never. */
    l1[section(WINDOW + 1 * MIB)] = (uint32_t)(uintptr_t)l2_page | L1_COARSE;
    l2_page[1] = page | L2_SMALL | L2_NORMAL | L2_AP1;                    /* AF = 0 */
    l2_page[2] = page | L2_SMALL | L2_NORMAL | L2_AF | L2_AP1 | L2_AP2;   /* read-only */
    l2_page[3] = page | L2_SMALL | L2_NORMAL | L2_AF | L2_AP1 | L2_XN;    /* XN */
    /* WINDOW + 2 MiB: section with no access flag; + 3 MiB: section in domain 1 (no access);
     * + 4 MiB: page table in domain 1; + 5 MiB: read-only section; + 6 MiB: XN section. */
    uint32_t base = page & ~(MIB - 1);
    l1[section(WINDOW + 2 * MIB)] = base | L1_SECTION | L1_NORMAL | L1_AP1;
    l1[section(WINDOW + 3 * MIB)] = base | L1_SECTION | L1_NORMAL | L1_AF | L1_DOMAIN(1);
    l1[section(WINDOW + 4 * MIB)] = (uint32_t)(uintptr_t)l2_domain | L1_COARSE | L1_DOMAIN(1);
    l2_domain[0] = page | L2_SMALL | L2_NORMAL | L2_AF | L2_AP1;
    l1[section(WINDOW + 5 * MIB)] = base | L1_SECTION | L1_NORMAL | L1_AF | L1_AP1 | L1_AP2;
    l1[section(WINDOW + 6 * MIB)] = base | L1_SECTION | L1_NORMAL | L1_AF | L1_AP1 | L1_XN;

    __asm__ volatile("mcr p15, 0, %0, c2, c0, 2" ::"r"(0));                    /* TTBCR */
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 0" ::"r"((uint32_t)(uintptr_t)l1)); /* TTBR0 */
    __asm__ volatile("mcr p15, 0, %0, c3, c0, 0" ::"r"(0x1u));  /* DACR: 0 client, 1 none */
    tlb_flush_all();
    write_sctlr(read_sctlr() | SCTLR_AFE | SCTLR_M);
    kprintf("short descriptors: MMU on\n");

    probe("section translation, load", LOAD, WINDOW + 0x0123);
    probe("section translation, store", STORE, WINDOW + 0x4560);
    probe("section translation, fetch", EXEC, WINDOW + 0x7800);
    probe("page translation, load", LOAD, WINDOW + 1 * MIB + 0x0048);
    probe("page translation, fetch", EXEC, WINDOW + 1 * MIB + 0x0100);
    probe("page access flag, load", LOAD, WINDOW + 1 * MIB + 0x1004);
    probe("page access flag, fetch", EXEC, WINDOW + 1 * MIB + 0x1200);
    probe("page permission, store", STORE, WINDOW + 1 * MIB + 0x2008);
    probe("page permission, load (allowed)", LOAD, WINDOW + 1 * MIB + 0x200c);
    probe("page execute-never, fetch", EXEC, WINDOW + 1 * MIB + 0x3000);
    probe("section access flag, store", STORE, WINDOW + 2 * MIB + 0x50);
    probe("section domain, load", LOAD, WINDOW + 3 * MIB + 0x10);
    probe("section domain, fetch", EXEC, WINDOW + 3 * MIB + 0x20);
    probe("page domain, store", STORE, WINDOW + 4 * MIB + 0x30);
    probe("section permission, store", STORE, WINDOW + 5 * MIB + 0x60);
    probe("section execute-never, fetch", EXEC, WINDOW + 6 * MIB + 0x40);

    write_sctlr(read_sctlr() & ~SCTLR_M);
    tlb_flush_all();
}

static void long_descriptor_faults(void)
{
    uint64_t gib = BOARD_RAM_BASE >> 30;
    uint64_t page = (uint32_t)(uintptr_t)target;

    /* Level 1: GiB 0 a device block (the UART), the RAM's GiB a level-2 table. */
    ld_l1[0] = 0 | LD_BLOCK | LD_ATTR(1) | LD_AF | LD_XN;
    ld_l1[gib] = (uint32_t)(uintptr_t)ld_l2 | LD_TABLE;
    uint32_t ram_block = (BOARD_RAM_BASE & 0x3fffffffu) >> 21;
    for (uint32_t i = 0; i < BOARD_RAM_SIZE >> 21; i++) {
        uint64_t pa = (uint64_t)BOARD_RAM_BASE + ((uint64_t)i << 21);
        ld_l2[ram_block + i] = pa | LD_BLOCK | LD_ATTR(0) | LD_AF;
    }
    /* The window: + 0 no entry; + 2 MiB a level-3 table whose first entry is empty;
     * + 4 MiB a block with no access flag; + 6 MiB a read-only, execute-never block. */
    uint32_t window = (WINDOW & 0x3fffffffu) >> 21;
    uint64_t block = page & ~0x1fffffull;
    ld_l2[window + 1] = (uint32_t)(uintptr_t)ld_l3 | LD_TABLE;
    ld_l3[1] = page | LD_PAGE | LD_ATTR(0) | LD_AF;
    ld_l2[window + 2] = block | LD_BLOCK | LD_ATTR(0);
    ld_l2[window + 3] = block | LD_BLOCK | LD_ATTR(0) | LD_AF | LD_RO | LD_XN;

    uint32_t table = (uint32_t)(uintptr_t)ld_l1;
    __asm__ volatile("mcr p15, 0, %0, c10, c2, 0" ::"r"(0x000004ffu));      /* MAIR0 */
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 2" ::"r"(1u << 31));          /* TTBCR.EAE */
    __asm__ volatile("mcrr p15, 0, %0, %1, c2" ::"r"(table), "r"(0u));      /* TTBR0 */
    tlb_flush_all();
    write_sctlr(read_sctlr() | SCTLR_M);
    kprintf("long descriptors: MMU on\n");

    probe("level 1 translation, load", LOAD, 0xc0000040u);
    probe("level 2 translation, store", STORE, WINDOW + 0x0100);
    probe("level 2 translation, fetch", EXEC, WINDOW + 0x0200);
    probe("level 3 translation, load", LOAD, WINDOW + 2 * MIB + 0x0300);
    probe("level 3 page, load (allowed)", LOAD, WINDOW + 2 * MIB + 0x1010);
    probe("level 2 access flag, load", LOAD, WINDOW + 4 * MIB + 0x0400);
    probe("level 2 permission, store", STORE, WINDOW + 6 * MIB + 0x0500);
    probe("level 2 execute-never, fetch", EXEC, WINDOW + 6 * MIB + 0x0600);

    write_sctlr(read_sctlr() & ~SCTLR_M);
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 2" ::"r"(0));
    tlb_flush_all();
}

int main(void)
{
    short_descriptor_faults();
    long_descriptor_faults();
    kprintf("mmu-faults done\n");
    return 0;
}
