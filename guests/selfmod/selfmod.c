/*
 * selfmod: code that changes and then runs again must run as changed. Each case writes
 * "mov r0, #k; bx lr" somewhere, makes it visible to instruction fetch (DSB, ICIALLU, DSB,
 * ISB, as the ARM ARM asks), calls it and prints what it returned:
 *   (a) a page already run from is rewritten and called again, and a routine rewrites the
 *       instruction right after its own ISB in its own page;
 *   (b) with the MMU on, code is written through a second virtual mapping of its physical
 *       page and run through the first, and the other way round;
 *   (c) the guest keeps calling code it has run while something outside it (the hypervisor,
 *       a loader or a debugger) rewrites it; it prints the first changed value it sees.
 * Output: one "<case>: <value>" line per call, then "selfmod done".
 */
#include "bsp.h"

#define MIB                 0x100000u
#define ALIAS               (BOARD_RAM_BASE + 0x10000000u)   /* no memory on either board */
#define MOV_R0(k)           (0xe3a00000u | (k))
#define BX_LR               0xe12fff1eu
#define L1_SECTION          0x2u
#define L1_AP_RW            (3u << 10)
#define L1_XN               (1u << 4)
#define SCTLR_M             (1u << 0)
#define HOST_WAIT_CALLS     4000000u

typedef uint32_t (*code_fn)(void);

uint32_t selfmod_own_page(uint32_t instruction);

static uint32_t l1[4096] __attribute__((aligned(16384)));
/* Code pages: one per case, each page-aligned so that no case shares a page with data. */
static volatile uint32_t run_twice[1024] __attribute__((aligned(4096)));
static volatile uint32_t aliased[1024] __attribute__((aligned(4096)));
/* The page the host rewrites: its address is this symbol, found in the ELF by the test. */
volatile uint32_t selfmod_host_slot[1024] __attribute__((aligned(4096)));

static void sync_code(void)
{
    __asm__ volatile("dsb\n\tmcr p15, 0, %0, c7, c5, 0\n\tdsb\n\tisb" ::"r"(0) : "memory");
}

static void write_code(volatile uint32_t *at, uint32_t k)
{
    at[0] = MOV_R0(k);
    at[1] = BX_LR;
    sync_code();
}

static uint32_t call(uintptr_t address)
{
    return ((code_fn)address)();
}

static void same_page_again(void)
{
    for (uint32_t k = 1; k <= 3; k++) {
        write_code(run_twice, k);
        kprintf("a, page run before: %u\n", call((uintptr_t)run_twice));
    }
    for (uint32_t k = 4; k <= 6; k++) {
        kprintf("a, own page: %u\n", selfmod_own_page(MOV_R0(k)));
    }
}

static void mmu_on_with_alias(void)
{
    for (uint32_t mb = 0; mb < BOARD_RAM_SIZE / MIB; mb++) {
        uint32_t pa = BOARD_RAM_BASE + mb * MIB;
        l1[pa / MIB] = pa | L1_AP_RW | L1_SECTION;
    }
    uint32_t uart = BOARD_UART0_BASE & ~(MIB - 1);
    l1[uart / MIB] = uart | L1_XN | L1_AP_RW | L1_SECTION;
    l1[ALIAS / MIB] = ((uint32_t)(uintptr_t)aliased & ~(MIB - 1)) | L1_AP_RW | L1_SECTION;
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 2" ::"r"(0));                      /* TTBCR */
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 0" ::"r"((uint32_t)(uintptr_t)l1)); /* TTBR0 */
    __asm__ volatile("mcr p15, 0, %0, c3, c0, 0" ::"r"(0x1u));                  /* DACR */
    __asm__ volatile("dsb\n\tmcr p15, 0, %0, c8, c7, 0\n\tdsb\n\tisb" ::"r"(0) : "memory");
    uint32_t sctlr;
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(sctlr));
    __asm__ volatile("mcr p15, 0, %0, c1, c0, 0\n\tisb" ::"r"(sctlr | SCTLR_M) : "memory");
}

static void second_mapping(void)
{
    uintptr_t direct = (uintptr_t)aliased;
    uintptr_t alias = ALIAS | (direct & (MIB - 1));
    volatile uint32_t *through_alias = (volatile uint32_t *)alias;

    mmu_on_with_alias();
    /* The first store goes to a page without code; then the page gets code through the
     * direct mapping, and later stores through the alias must still reach that code. */
    for (uint32_t k = 10; k <= 12; k++) {
        write_code(through_alias, k);
        kprintf("b, written through the alias, run direct: %u\n", call(direct));
    }
    for (uint32_t k = 13; k <= 15; k++) {
        write_code(run_twice + 0, 0);   /* unrelated code elsewhere: no effect on this page */
        write_code((volatile uint32_t *)direct, k);
        kprintf("b, written direct, run through the alias: %u\n", call(alias));
    }
}

static void host_write(void)
{
    write_code(selfmod_host_slot, 20);
    uint32_t first = call((uintptr_t)selfmod_host_slot);
    kprintf("c, before the host write: %u\n", first);
    kprintf("c, waiting for a host write\n");
    uint32_t seen = first;
    for (uint32_t i = 0; i < HOST_WAIT_CALLS && seen == first; i++) {
        seen = call((uintptr_t)selfmod_host_slot);
    }
    if (seen == first) {
        kprintf("c, no host write seen\n");
    } else {
        kprintf("c, after the host write: %u\n", seen);
    }
}

int main(void)
{
    same_page_again();
    second_mapping();
    host_write();
    kprintf("selfmod done\n");
    return 0;
}
