/*
 * rthv RTOS - start-up, the initial and idle tasks, fatal exceptions,
 * rthv extension calls
 */
#include "knl.h"

UW knl_reset_count;                     /* written by start.S: raw counter */
UW knl_reset_count_hi;                  /* at reset (low, high word) */
UW knl_reset_cpsr;                      /* and CPSR at the first instruction */
const INT rt_max_tskpri = CFN_MAX_TSKPRI;
const INT rt_timer_period = CFN_TIMER_PERIOD;

static TCB knl_idle_tcb;

void rt_halt(void)
{
	knl_disint();
	bsp_tick_stop();
	knl_int_halt();                 /* nothing reaches the CPU: wfi sleeps */
	for (;;)
		__asm__ volatile("wfi");
}

static void idle_task(INT stacd, void *exinf)
{
	(void)stacd;
	(void)exinf;
	for (;;)
		__asm__ volatile("wfi");
}

/* initial task: run the application, then stop the system */
static void init_task(INT stacd, void *exinf)
{
	(void)stacd;
	(void)exinf;
	usermain();
	rt_halt();
}

void knl_main(void) __attribute__((noreturn));
void knl_main(void)
{
	T_CTSK ctsk;

	knl_taskindp = 1;               /* no dispatching until the first task */
	bsp_init();
	knl_mem_init();
	knl_task_init();
	knl_int_init();

	memset(&ctsk, 0, sizeof(ctsk));
	ctsk.tskatr = TA_HLNG;
	ctsk.task = (FP)idle_task;
	ctsk.stksz = CFN_IDLE_STKSZ;
	knl_create_task(&ctsk, TRUE, &knl_idle_tcb);
	knl_start_task(&knl_idle_tcb, 0);

	ctsk.task = (FP)init_task;
	ctsk.itskpri = CFN_INIT_TSKPRI;
	ctsk.stksz = CFN_INIT_STKSZ;
	knl_start_task(&knl_tcb_table[knl_create_task(&ctsk, FALSE, NULL) - 1], 0);

	knl_timer_init();               /* tick starts; taken once a task runs */
	knl_taskindp = 0;
	knl_dispatch_nosave();          /* IRQs are enabled by the first frame */
}

void knl_fault(UW type, UW lr, UW spsr) __attribute__((noreturn));
void knl_fault(UW type, UW lr, UW spsr)
{
	static const char *const name[] = {
		"?", "undefined instruction", "svc", "prefetch abort",
		"data abort", "reserved", "fiq"
	};

	tm_printf("\nrtos: FATAL %s: lr=0x%08x spsr=0x%08x task=%d\n",
		  name[type < NELEM(name) ? type : 0], lr, spsr,
		  knl_ctxtsk ? knl_ctxtsk->tskid : -1);
	rt_halt();
}

UW rt_counter(void)
{
	return bsp_counter();
}

UW rt_reset_count(void)
{
	return bsp_reset_us(knl_reset_count, knl_reset_count_hi);
}

UW rt_intno_test(void)
{
	return BSP_TEST_INTNO;
}

void rt_test_int_raise(UW us)
{
	bsp_test_int_raise(us);
}

void rt_test_int_clear(void)
{
	bsp_test_int_clear();
}
