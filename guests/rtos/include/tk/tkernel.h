/*
 * rthv RTOS - application interface (tk/tkernel.h)
 *
 * Applications include only this header.  It provides the T-Kernel
 * compatible subset (tk/syscall.h), the interrupt controller library
 * (EnableInt ...), the console (tm/tmonitor.h) and a few rthv
 * extensions prefixed rt_.
 */
#ifndef TK_TKERNEL_H
#define TK_TKERNEL_H

#include <tk/typedef.h>
#include <tk/errno.h>
#include <tk/syscall.h>
#include <tm/tmonitor.h>

/* Configuration visible to applications (values in kernel/config.h). */
extern const INT rt_max_tskpri;         /* lowest usable task priority */
extern const INT rt_timer_period;       /* tick period in ms */

/* Entry point supplied by the application; called by the initial task. */
INT usermain(void);

/* Interrupt controller library (micro T-Kernel 3.0 names, GIC INTIDs). */
void EnableInt(UINT intno, INT level);  /* level 0 (highest) .. 15 */
void DisableInt(UINT intno);
void ClearInt(UINT intno);              /* clear a pending interrupt */

/* ---- rthv extensions ---- */
UW   rt_counter(void);          /* free-running 1 MHz counter (us), wraps at 2^32 */
UW   rt_reset_count(void);      /* counter value read by the first reset instructions */
void rt_halt(void) __attribute__((noreturn)); /* mask IRQs, wfi forever */
UW   rt_intno_test(void);       /* board interrupt usable by tests (see bsp.h) */
void rt_test_int_raise(UW us);  /* make rt_intno_test() fire after ~us */
void rt_test_int_clear(void);   /* acknowledge it at the device */

/* The kernel also provides these C library functions. */
void *memcpy(void *dst, const void *src, __SIZE_TYPE__ n);
void *memmove(void *dst, const void *src, __SIZE_TYPE__ n);
void *memset(void *dst, int c, __SIZE_TYPE__ n);
int   memcmp(const void *a, const void *b, __SIZE_TYPE__ n);

#endif
