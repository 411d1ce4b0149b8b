/*
 * estop: a control VM that keeps its deadlines and performs a software emergency stop when
 * the application VM beside it faults (examples/estop.toml).
 *
 * A cyclic handler releases the control job every CONTROL_PERIOD_MS; the job burns
 * CONTROL_WCET_US and checks its response against its deadline (the period), as rt-periodic
 * does. The hypervisor raises ESTOP_VIRQ in this VM each time the application VM faults (the
 * application's fault_notify channel). The supervisor task then performs the emergency stop:
 * it prints it, and tells the application VM to keep its outputs safe with a notify
 * (ESTOP_CHANNEL), which shows in the hypervisor's trace as this VM's hypercall.
 *
 * Output: "estop: EMERGENCY STOP <n> at <t> ms: application VM faulted, outputs forced safe"
 * per fault, a progress line every REPORT_MS, and after RUN_MS a summary:
 * "estop: summary: <jobs> jobs, <misses> deadline misses, <n> emergency stops".
 */
#include <rtlib.h>
#include <rthv_ipc.h>

#define CONTROL_PERIOD_MS 1
#define CONTROL_WCET_US   200
#define REPORT_MS         100
#define RUN_MS            500
#define ESTOP_VIRQ        41    /* raised by the hypervisor when the application VM faults */
#define ESTOP_CHANNEL     1     /* notify: this VM -> the application VM */
#define INT_LEVEL         5

static ID control_tid, supervisor_tid, main_tid;
static UW loops, ticks, released, jobs, misses, max_resp;
static volatile UW release_at, faults_seen, stops;

static void releaser(void *exinf)
{
	(void)exinf;
	release_at = rt_counter();
	released++;
	tk_wup_tsk(control_tid);
	if (++ticks % REPORT_MS == 0 || ticks == RUN_MS)
		tk_wup_tsk(main_tid);
}

static void control_task(INT stacd, void *exinf)
{
	(void)stacd;
	(void)exinf;
	for (;;) {
		UW resp;

		tk_slp_tsk(TMO_FEVR);
		rt_burn(loops);
		resp = rt_counter() - release_at;
		jobs++;
		if (resp > max_resp)
			max_resp = resp;
		if (resp > CONTROL_PERIOD_MS * 1000U)
			misses++;
	}
}

static void estop_handler(UINT intno)
{
	(void)intno;
	faults_seen++;
	tk_wup_tsk(supervisor_tid);
}

static void supervisor_task(INT stacd, void *exinf)
{
	(void)stacd;
	(void)exinf;
	for (;;) {
		tk_slp_tsk(TMO_FEVR);
		while (stops < faults_seen) {
			stops++;
			tm_printf("estop: EMERGENCY STOP %u at %u ms: application VM faulted, "
				  "outputs forced safe\n", stops, ticks * CONTROL_PERIOD_MS);
			rthv_notify(ESTOP_CHANNEL);
		}
	}
}

INT usermain(void)
{
	T_CTSK ctsk = { .tskatr = TA_HLNG, .stksz = 1024 };
	T_CCYC ccyc = { .cycatr = TA_HLNG, .cychdr = (FP)releaser,
			.cyctim = CONTROL_PERIOD_MS, .cycphs = CONTROL_PERIOD_MS };
	T_DINT dint = { .intatr = TA_HLNG, .inthdr = (FP)estop_handler };
	ID cyc;

	main_tid = tk_get_tid();
	tk_chg_pri(TSK_SELF, 1);
	loops = rt_loops_for_us(rt_loops_per_ms(), CONTROL_WCET_US);
	ctsk.task = (FP)control_task;
	ctsk.itskpri = 2;
	control_tid = tk_cre_tsk(&ctsk);
	tk_sta_tsk(control_tid, 0);
	ctsk.task = (FP)supervisor_task;
	ctsk.itskpri = 3;
	supervisor_tid = tk_cre_tsk(&ctsk);
	tk_sta_tsk(supervisor_tid, 0);
	tk_def_int(ESTOP_VIRQ, &dint);
	EnableInt(ESTOP_VIRQ, INT_LEVEL);
	tm_printf("estop: control job every %u ms (%u us), supervising the application VM\n",
		  (UW)CONTROL_PERIOD_MS, (UW)CONTROL_WCET_US);

	cyc = tk_cre_cyc(&ccyc);
	tk_sta_cyc(cyc);
	while (ticks < RUN_MS) {
		tk_slp_tsk(TMO_FEVR);
		tm_printf("estop: at %u ms: %u jobs, %u deadline misses, max response %u us, "
			  "%u emergency stops\n", ticks * CONTROL_PERIOD_MS, jobs, misses,
			  max_resp, (UW)stops);
	}
	tk_stp_cyc(cyc);
	tk_dly_tsk(2 * CONTROL_PERIOD_MS);      /* let the last job complete */
	tm_printf("estop: summary: %u jobs, %u deadline misses, %u emergency stops\n",
		  jobs, misses + (released - jobs), (UW)stops);
	return 0;
}
