/* BSP glue: early init and the default exception hook. */
#include "bsp.h"

void bsp_init(void);

void bsp_init(void)
{
    uart_init();
}

const char *bsp_exception_name(unsigned kind)
{
    switch (kind) {
    case EXC_UND:
        return "UND";
    case EXC_SVC:
        return "SVC";
    case EXC_PABT:
        return "PABT";
    case EXC_DABT:
        return "DABT";
    case EXC_HYP_TRAP:
        return "HYPTRAP";
    case EXC_FIQ:
        return "FIQ";
    default:
        return "?";
    }
}

__attribute__((weak)) void bsp_exception(struct exc_frame *f, unsigned kind)
{
    kprintf("UNHANDLED %s lr=0x%08x spsr=0x%08x mode=0x%02x\n", bsp_exception_name(kind),
            f->pc, f->spsr, cpu_read_cpsr() & 0x1fu);
    kprintf("guest halted\n");
    bsp_exit();
}
