/*
 * Rogue guests for the hypervisor's isolation tests. Each announces itself, does one thing a
 * VM must not be able to do, and says whether it came back. Bare-metal they run to the end;
 * in a VM, the hypervisor ignores the access (GICD) or stops the VM (anything else).
 */
#ifndef RTHV_ROGUE_H
#define RTHV_ROGUE_H

#include "bsp.h"

/* Another VM's resources in the two-VM test systems: UART1 and its interrupt. */
#define FOREIGN_UART_BASE 0x1c0a0000u
#define FOREIGN_IRQ       38u
/* Past the end of the 1 MiB of RAM the rogue VM is given (and inside board RAM bare-metal). */
#define OUTSIDE_OWN_RAM   0x80400000u
/* GICD_ISENABLER1 covers IRQs 32..63. */
#define GICD_ISENABLER1   0x104u

static inline void rogue_heartbeat(const char *name)
{
    for (uint32_t i = 1; i <= 3; i++) {
        kprintf("%s: heartbeat %u\n", name, i);
    }
}

#endif
