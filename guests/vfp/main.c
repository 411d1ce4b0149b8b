/*
 * vfp: turn VFP/Advanced SIMD on (CPACR, FPEXC) and check that D0-D31 and FPSCR keep their
 * values over long stretches of other work. Each round loads a pattern into all 32 double
 * registers and FPSCR, spins for about 100,000 instructions with no VFP instruction, reads
 * them back and compares. The pattern is seeded from CNTVCT, so two VMs running this image
 * hold different values; a hypervisor that lost or mixed up VFP state across world switches
 * (a quantum is shorter than a few rounds) would show mismatches.
 *
 *   vfp: 2.0 + 0.5 = 0x40200000, fpexc=0x40000000
 *   vfp: 20 rounds, 0 mismatches
 *   vfp done
 */
#include "bsp.h"

#define ROUNDS 20u
#define SPIN 33000u
#define FPSCR_KEPT 0xffc0009fu          /* NZCV QC AHP DN FZ RMode, cumulative flags */

void vfp_enable(void);
void vfp_load(const uint64_t *d, uint32_t fpscr);
uint32_t vfp_store(uint64_t *d);
uint32_t vfp_fpexc(void);
uint32_t vfp_add(uint32_t a, uint32_t b);

static uint64_t want[32], got[32];

static uint64_t read_cntvct(void)
{
    uint64_t value;
    __asm__ volatile("isb\n\tmrrc p15, 1, %Q0, %R0, c14" : "=r"(value));
    return value;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    return x ^ (x >> 29);
}

int main(void)
{
    vfp_enable();
    kprintf("vfp: 2.0 + 0.5 = 0x%08x, fpexc=0x%08x\n", vfp_add(0x40000000u, 0x3f000000u),
            vfp_fpexc());
    uint64_t seed = read_cntvct();
    unsigned mismatches = 0;
    for (uint32_t round = 0; round < ROUNDS; round++) {
        for (uint32_t i = 0; i < 32; i++) {
            want[i] = mix(seed + round * 32u + i);
        }
        uint32_t fpscr = (uint32_t)mix(seed ^ round) & FPSCR_KEPT;
        vfp_load(want, fpscr);
        for (volatile uint32_t spin = 0; spin < SPIN; spin++) {
        }
        uint32_t fpscr_back = vfp_store(got);
        for (uint32_t i = 0; i < 32; i++) {
            mismatches += got[i] != want[i];
        }
        mismatches += (fpscr_back & FPSCR_KEPT) != fpscr;
    }
    kprintf("vfp: %u rounds, %u mismatches\n", ROUNDS, mismatches);
    kprintf("vfp done\n");
    return 0;
}
