/*
 * rthv RTOS - kernel configuration.  Every value can be overridden from
 * the command line (-DCFN_...=...), e.g. via the CONFIG variable of the
 * Makefile or an application's app.mk.
 */
#ifndef CONFIG_H
#define CONFIG_H

#ifndef CFN_MAX_TSKID
#define CFN_MAX_TSKID       32      /* task IDs 1..32 (the initial task is 1) */
#endif
#ifndef CFN_MAX_SEMID
#define CFN_MAX_SEMID       16
#endif
#ifndef CFN_MAX_FLGID
#define CFN_MAX_FLGID       16
#endif
#ifndef CFN_MAX_MBXID
#define CFN_MAX_MBXID       8
#endif
#ifndef CFN_MAX_MBFID
#define CFN_MAX_MBFID       8
#endif
#ifndef CFN_MAX_CYCID
#define CFN_MAX_CYCID       8
#endif
#ifndef CFN_MAX_ALMID
#define CFN_MAX_ALMID       8
#endif
#ifndef CFN_MAX_TSKPRI
#define CFN_MAX_TSKPRI      32      /* priorities 1 (highest) .. 32 */
#endif
#ifndef CFN_TIMER_PERIOD
#define CFN_TIMER_PERIOD    1       /* tick period in ms */
#endif
#ifndef CFN_MAX_WUPCNT
#define CFN_MAX_WUPCNT      255     /* queued wakeups before E_QOVR */
#endif
#ifndef CFN_SYSMEM_SIZE
#define CFN_SYSMEM_SIZE     (256 * 1024)  /* kernel heap: stacks, buffers */
#endif
#ifndef CFN_INIT_TSKPRI
#define CFN_INIT_TSKPRI     (CFN_MAX_TSKPRI - 2)  /* runs usermain() */
#endif
#ifndef CFN_INIT_STKSZ
#define CFN_INIT_STKSZ      (8 * 1024)
#endif
#ifndef CFN_IDLE_STKSZ
#define CFN_IDLE_STKSZ      256
#endif
#ifndef CFN_IRQ_STKSZ
#define CFN_IRQ_STKSZ       (4 * 1024) /* also the boot stack */
#endif
#ifndef CFN_INT_PRIORITY
#define CFN_INT_PRIORITY    10      /* default EnableInt level of the tick */
#endif

#if CFN_MAX_TSKPRI < 2 || CFN_MAX_TSKPRI > 255
#error "CFN_MAX_TSKPRI out of range"
#endif
#if CFN_TIMER_PERIOD < 1
#error "CFN_TIMER_PERIOD must be >= 1 ms"
#endif

#endif
