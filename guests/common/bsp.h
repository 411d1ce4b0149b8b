/*
 * rthv guest BSP: start-up, PL011 console, GICv2, SP804, exception hooks, exit.
 * Freestanding; only the compiler's own headers are used.
 *
 * All device accesses are aligned 32-bit loads/stores.
 */
#ifndef RTHV_BSP_H
#define RTHV_BSP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "board.h"

#define NORETURN __attribute__((noreturn))

/* ---- MMIO ------------------------------------------------------------------------ */
static inline void mmio_write32(uintptr_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

/* ---- CPU ------------------------------------------------------------------------- */
static inline uint32_t cpu_read_cpsr(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, cpsr" : "=r"(v));
    return v;
}

static inline void cpu_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }
static inline void cpu_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void cpu_wfi(void) { __asm__ volatile("dsb\n\twfi" ::: "memory"); }

/* Fault status/address registers (short-descriptor format; MMU is off). */
static inline uint32_t cpu_read_dfsr(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 0" : "=r"(v));
    return v;
}

static inline uint32_t cpu_read_dfar(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 0" : "=r"(v));
    return v;
}

static inline uint32_t cpu_read_ifsr(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c5, c0, 1" : "=r"(v));
    return v;
}

static inline uint32_t cpu_read_ifar(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c6, c0, 2" : "=r"(v));
    return v;
}

/* ---- Console (PL011 UART0) -------------------------------------------------------- */
void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);           /* no newline appended */
void uart_put_hex(uint32_t v);           /* "0x" + 8 lower-case hex digits */
void uart_put_dec(uint32_t v);
void uart_put_sdec(int32_t v);
/* Tiny printf: %s %c %d %i %u %x %X %p %%, optional '0' flag and width. */
/* (No format attribute: uint32_t is "long" on arm-none-eabi, plain %x is used for it.) */
void kprintf(const char *fmt, ...);
void kvprintf(const char *fmt, va_list ap);

/* ---- GICv2 ----------------------------------------------------------------------- */
#define GIC_SPURIOUS            1023u
void gic_init(void);                                   /* enable distributor + CPU if */
void gic_set_priority(unsigned irq, uint8_t prio);
void gic_set_target(unsigned irq, uint8_t cpumask);   /* SPIs only */
void gic_enable_irq(unsigned irq);
void gic_disable_irq(unsigned irq);
void gic_clear_pending(unsigned irq);
uint32_t gic_ack(void);                               /* returns GICC_IAR */
void gic_eoi(uint32_t iar);

/* Called (in IRQ mode) by the IRQ trampoline via gic_handle_irq() for every interrupt
 * acknowledged at the GIC; EOI is written after it returns. Weak default: reports the
 * interrupt, disables it at the distributor and carries on. */
void bsp_irq_handler(unsigned irq);
void gic_handle_irq(void);

/* ---- SP804 dual timer -------------------------------------------------------------- */
#if BOARD_HAS_SP804
#define SP804_LOAD              0x00
#define SP804_VALUE             0x04
#define SP804_CONTROL           0x08
#define SP804_INTCLR            0x0c
#define SP804_RIS               0x10
#define SP804_MIS               0x14
#define SP804_BGLOAD            0x18
#define SP804_TIMER_STRIDE      0x20   /* timer 1 (second half) at base + 0x20 */

#define SP804_CTRL_ONESHOT      (1u << 0)
#define SP804_CTRL_32BIT        (1u << 1)
#define SP804_CTRL_DIV1         (0u << 2)
#define SP804_CTRL_DIV16        (1u << 2)
#define SP804_CTRL_DIV256       (2u << 2)
#define SP804_CTRL_INTEN        (1u << 5)
#define SP804_CTRL_PERIODIC     (1u << 6)
#define SP804_CTRL_ENABLE       (1u << 7)

/* Start timer `idx` (0 or 1) of the SP804 at `base`: 32-bit, periodic, prescale 1,
 * interrupt enabled, counting down from `load`. */
void sp804_start_periodic(uintptr_t base, unsigned idx, uint32_t load);
void sp804_stop(uintptr_t base, unsigned idx);         /* disable + clear interrupt */
void sp804_clear_irq(uintptr_t base, unsigned idx);
uint32_t sp804_masked_status(uintptr_t base, unsigned idx);
uint32_t sp804_value(uintptr_t base, unsigned idx);
#endif

/* ---- Exceptions --------------------------------------------------------------------- */
/* Frame built by the vector trampolines on the exception mode's stack. */
struct exc_frame {
    uint32_t spsr;     /* SPSR of the exception mode = CPSR of the interrupted code */
    uint32_t pad;      /* keeps the frame 8-byte aligned */
    uint32_t r[13];    /* r0..r12 of the interrupted code (restored on return) */
    uint32_t pc;       /* on entry: the exception LR; on return: where to resume */
};

/* Called for UND/SVC/PABT/DABT/FIQ/0x14 with the frame and EXC_* kind. Whatever is in
 * f->pc / f->r[] / f->spsr when it returns is restored. Weak default: reports and
 * calls bsp_exit(). */
void bsp_exception(struct exc_frame *f, unsigned kind);
const char *bsp_exception_name(unsigned kind);

/* ---- Exit --------------------------------------------------------------------------- */
/* Mask IRQ/FIQ/aborts and sleep in WFI forever. Print the final line before calling. */
NORETURN void bsp_exit(void);

/* CPSR at the image entry point, before the start-up code changed mode/masks. */
extern uint32_t bsp_entry_cpsr;

/* Guest entry point, called in SVC mode with IRQs masked after bsp_init(). */
int main(void);

#endif
