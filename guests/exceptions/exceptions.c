/*
 * exceptions: take SVC, UNDEF, data abort and prefetch abort in turn, report each one
 * from its handler, return and carry on.
 *
 * Output (one line per exception, values in hex):
 *   SVC lr=0x........ spsr=0x........ mode=0x13 imm=0x42 check=ok
 *   UND lr=0x........ spsr=0x........ mode=0x1b insn=0xe7f000f0 check=ok
 *   DABT lr=0x........ spsr=0x........ mode=0x17 dfsr=0x........ dfar=0x30000000 check=ok
 *   PABT lr=0x........ spsr=0x........ mode=0x17 ifsr=0x........ ifar=0x30000000 check=ok
 *   exceptions done
 * "check=ok" means: LR is where the architecture says it must be for that trigger site,
 * the handler runs in the right mode, and the fault address register holds the address
 * accessed; otherwise "check=BAD".
 *
 * If the load from the unmapped address does not abort (QEMU's vexpress-a15 reads
 * unassigned memory as zero), the guest prints instead
 *   DABT none addr=0x30000000 value=0x........
 *   PABT skipped
 * (branching to such an address on QEMU would execute zeros instead of aborting).
 */
#include "bsp.h"

void exc_trigger_svc(void);
void exc_trigger_und(void);
uint32_t exc_trigger_dabt(uint32_t addr);
void exc_trigger_pabt(uint32_t target);
extern const char exc_svc_site[], exc_und_site[], exc_dabt_site[], exc_pabt_resume[];

#define DABT_MARK 0xdeadbeefu

static volatile unsigned svc_count, und_count, dabt_count, pabt_count;
static volatile uint32_t fault_addr_expected;

static const char *check(int ok)
{
    return ok ? "ok" : "BAD";
}

void bsp_exception(struct exc_frame *f, unsigned kind)
{
    uint32_t lr = f->pc;
    uint32_t spsr = f->spsr;
    uint32_t mode = cpu_read_cpsr() & 0x1fu;

    switch (kind) {
    case EXC_SVC: {
        uint32_t imm;
        if (spsr & (1u << 5)) {     /* SVC from Thumb: imm8 in the halfword at LR-2 */
            imm = *(const uint16_t *)(uintptr_t)(lr - 2) & 0xffu;
        } else {
            imm = *(const uint32_t *)(uintptr_t)(lr - 4) & 0xffffffu;
        }
        int ok = lr == (uint32_t)(uintptr_t)exc_svc_site + 4 && mode == MODE_SVC &&
                 imm == 0x42;
        kprintf("SVC lr=0x%08x spsr=0x%08x mode=0x%02x imm=0x%x check=%s\n", lr, spsr, mode,
                imm, check(ok));
        svc_count++;
        /* resume at LR: the instruction after the SVC */
        break;
    }
    case EXC_UND: {
        uint32_t insn = *(const uint32_t *)(uintptr_t)(lr - 4);
        int ok = lr == (uint32_t)(uintptr_t)exc_und_site + 4 && mode == MODE_UND;
        kprintf("UND lr=0x%08x spsr=0x%08x mode=0x%02x insn=0x%08x check=%s\n", lr, spsr,
                mode, insn, check(ok));
        und_count++;
        /* resume at LR: skip the undefined instruction */
        break;
    }
    case EXC_DABT: {
        uint32_t dfsr = cpu_read_dfsr();
        uint32_t dfar = cpu_read_dfar();
        int ok = lr == (uint32_t)(uintptr_t)exc_dabt_site + 8 && mode == MODE_ABT &&
                 dfar == fault_addr_expected;
        kprintf("DABT lr=0x%08x spsr=0x%08x mode=0x%02x dfsr=0x%08x dfar=0x%08x check=%s\n",
                lr, spsr, mode, dfsr, dfar, check(ok));
        dabt_count++;
        f->r[0] = DABT_MARK;
        f->pc = lr - 4;             /* faulting load is at LR-8: resume after it */
        break;
    }
    case EXC_PABT: {
        uint32_t ifsr = cpu_read_ifsr();
        uint32_t ifar = cpu_read_ifar();
        int ok = lr == fault_addr_expected + 4 && mode == MODE_ABT &&
                 ifar == fault_addr_expected;
        kprintf("PABT lr=0x%08x spsr=0x%08x mode=0x%02x ifsr=0x%08x ifar=0x%08x check=%s\n",
                lr, spsr, mode, ifsr, ifar, check(ok));
        pabt_count++;
        f->pc = (uint32_t)(uintptr_t)exc_pabt_resume;   /* cannot return into nowhere */
        break;
    }
    default:
        kprintf("UNEXPECTED %s lr=0x%08x spsr=0x%08x mode=0x%02x\n", bsp_exception_name(kind),
                lr, spsr, mode);
        kprintf("exceptions FAILED\n");
        bsp_exit();
    }
}

int main(void)
{
    exc_trigger_svc();
    exc_trigger_und();

    fault_addr_expected = BOARD_UNMAPPED_ADDR;
    uint32_t v = exc_trigger_dabt(BOARD_UNMAPPED_ADDR);
    if (dabt_count != 0) {
        exc_trigger_pabt(BOARD_UNMAPPED_ADDR);
    } else {
        kprintf("DABT none addr=0x%08x value=0x%08x\n", (uint32_t)BOARD_UNMAPPED_ADDR, v);
        kprintf("PABT skipped\n");
    }

    if (svc_count != 1 || und_count != 1 || dabt_count > 1 || pabt_count != dabt_count) {
        kprintf("exceptions FAILED\n");
    }
    kprintf("exceptions done\n");
    return 0;
}
