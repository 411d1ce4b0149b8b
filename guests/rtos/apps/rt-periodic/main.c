/*
 * rt-periodic: periodic tasks with response time and deadline-miss
 * accounting.
 *
 * One cyclic handler runs every base period (the GCD of the task
 * periods) and releases the jobs that are due, so all tasks share one
 * phase.  A release records the counter value in the task's release
 * ring and wakes the task (tk_wup_tsk; releases queue up while a task
 * is still busy).  A job burns its execution time as a fixed number of
 * calibrated loop iterations (see rtlib.h), then records
 * response = completion - release.  Each release, start and completion
 * is also reported to rthv (include/rthv_tasks.h), which computes the
 * same figures per task from outside.  A job misses when its response
 * exceeds the relative deadline; a release that finds the ring full and
 * a job still pending when the run ends (after its deadline has passed)
 * also count as misses.
 *
 * The run releases jobs for RT_HYPERPERIODS hyperperiods, then waits
 * one more largest deadline before printing the summary.  With
 * -DRT_REPORT_MS=<n>, a progress line (jobs, misses so far, largest
 * response) is printed every n ms of the run as well.  With
 * -DRT_IDEAL_RELEASE, a job's release time is when its tick was due,
 * counting from power-on (call k at k + 2 base periods: the handler's
 * phase is one base period, plus the kernel's one-tick rounding of a
 * timeout), not when the
 * tick was handled: a start delayed by another VM, or a tick handled
 * late or lost, counts against the job.
 */
#include <rtlib.h>
#include <rthv_tasks.h>
#include "taskset.h"

typedef struct {
	const char *name;
	UW	period_ms;
	UW	wcet_us;
	UW	deadline_ms;
	PRI	pri;
} RT_TASK_DEF;

#define RING    64

typedef struct {
	ID	tskid;
	UW	loops;                  /* execution time in rt_burn loops */
	UW	release[RING];          /* counter values of pending releases */
	UW	job[RING];              /* and their job numbers (0, 1, ...) */
	UW	rd, wr;                 /* ring indices (free running) */
	UW	released, jobs, misses, dropped;
	UW	max_resp;               /* response times in us */
	UD	sum_resp;
} RT_TASK;

static const RT_TASK_DEF defs[] = RT_TASKSET;
#define NTASK   ((INT)(sizeof(defs) / sizeof(defs[0])))

static RT_TASK tasks[NTASK];
static ID main_tid;
static UW base_ms, ticks, release_ticks, end_ticks;
#ifdef RT_REPORT_MS
static UW report_ticks;
#endif

static UW gcd(UW a, UW b)
{
	while (b != 0) {
		UW t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* cyclic handler, every base_ms */
static void releaser(void *exinf)
{
	UW now = rt_counter();
	UW t_ms = ticks * base_ms;
	INT i;

	(void)exinf;
#ifdef RT_IDEAL_RELEASE
	now = (t_ms + 2U * base_ms) * 1000U;    /* the counter runs from power-on */
#endif
	if (ticks < release_ticks) {
		for (i = 0; i < NTASK; i++) {
			RT_TASK *t = &tasks[i];
			if (t_ms % defs[i].period_ms != 0)
				continue;
			rthv_task_event(RTHV_TASK_RELEASE, (UW)i, t->released, now);
			t->released++;
			if (t->wr - t->rd >= RING) {
				t->dropped++;
				continue;
			}
			t->release[t->wr % RING] = now;
			t->job[t->wr % RING] = t->released - 1;
			t->wr++;
			tk_wup_tsk(t->tskid);
		}
	}
	if (++ticks == end_ticks)
		tk_wup_tsk(main_tid);
#ifdef RT_REPORT_MS
	else if (ticks % report_ticks == 0)
		tk_wup_tsk(main_tid);
#endif
}

#ifdef RT_REPORT_MS
/* jobs completed, misses so far (late completions and dropped releases), largest response */
static void report_progress(void)
{
	UW jobs = 0, misses = 0, max_resp = 0;
	INT i;

	for (i = 0; i < NTASK; i++) {
		jobs += tasks[i].jobs;
		misses += tasks[i].misses + tasks[i].dropped;
		if (tasks[i].max_resp > max_resp)
			max_resp = tasks[i].max_resp;
	}
	tm_printf(RT_PROG ": at %u ms: %u jobs, %u deadline misses, max response %u us\n",
		  ticks * base_ms, jobs, misses, max_resp);
}
#endif

static void periodic_task(INT idx, void *exinf)
{
	RT_TASK *t = &tasks[idx];
	UW deadline_us = defs[idx].deadline_ms * 1000U;

	(void)exinf;
	for (;;) {
		UW rel, job, end, resp;

		tk_slp_tsk(TMO_FEVR);
		rel = t->release[t->rd % RING];
		job = t->job[t->rd % RING];
		rthv_task_event(RTHV_TASK_START, (UW)idx, job, rt_counter());
		rt_burn(t->loops);
		end = rt_counter();
		rthv_task_event(RTHV_TASK_COMPLETE, (UW)idx, job, end);
		resp = end - rel;
		t->rd++;
		t->jobs++;
		t->sum_resp += resp;
		if (resp > t->max_resp)
			t->max_resp = resp;
		if (resp > deadline_us)
			t->misses++;
	}
}

INT usermain(void)
{
	T_CTSK ctsk = { .tskatr = TA_HLNG, .stksz = 1024, .task = (FP)periodic_task };
	T_CCYC ccyc = { .cycatr = TA_HLNG, .cychdr = (FP)releaser };
	UW lpms, hyper = 1, max_d = 0, total_jobs = 0, total_miss = 0, u = 0;
	ID cyc;
	INT i;

	main_tid = tk_get_tid();
	tk_chg_pri(TSK_SELF, 1);
	lpms = rt_loops_per_ms();
	base_ms = defs[0].period_ms;
	for (i = 0; i < NTASK; i++) {
		base_ms = gcd(base_ms, defs[i].period_ms);
		hyper = hyper / gcd(hyper, defs[i].period_ms) * defs[i].period_ms;
		if (defs[i].deadline_ms > max_d)
			max_d = defs[i].deadline_ms;
		u += defs[i].wcet_us / defs[i].period_ms;       /* permille */
		tasks[i].loops = rt_loops_for_us(lpms, defs[i].wcet_us);
		rthv_task_define((UW)i, defs[i].name, defs[i].period_ms * 1000U,
				 defs[i].deadline_ms * 1000U, defs[i].pri);
		ctsk.itskpri = defs[i].pri;
		tasks[i].tskid = tk_cre_tsk(&ctsk);
		tk_sta_tsk(tasks[i].tskid, i);
	}
	release_ticks = RT_HYPERPERIODS * hyper / base_ms;
	end_ticks = release_ticks + (max_d + base_ms - 1) / base_ms;

	tm_printf(RT_PROG ": task set \"%s\", %d tasks, U=%u.%03u, hyperperiod %u ms x %u\n",
		  RT_TASKSET_NAME, NTASK, u / 1000, u % 1000, hyper, (UW)RT_HYPERPERIODS);
	tm_printf(RT_PROG ": %u loops/ms, tick %d ms, base period %u ms\n",
		  lpms, rt_timer_period, base_ms);

	ccyc.cyctim = base_ms;
	ccyc.cycphs = base_ms;
	cyc = tk_cre_cyc(&ccyc);
	tk_sta_cyc(cyc);
#ifdef RT_REPORT_MS
	report_ticks = RT_REPORT_MS / base_ms;
	for (;;) {                              /* woken each report period */
		tk_slp_tsk(TMO_FEVR);
		if (ticks >= end_ticks)
			break;
		report_progress();
	}
#else
	tk_slp_tsk(TMO_FEVR);                   /* woken after end_ticks */
#endif
	tk_stp_cyc(cyc);

	for (i = 0; i < NTASK; i++) {
		RT_TASK *t = &tasks[i];
		UW pending = t->wr - t->rd;
		UW miss = t->misses + t->dropped + pending;

		tm_printf(RT_PROG ": %s T=%u ms C=%u us D=%u ms prio %d: released %u jobs %u "
			  "max_response %u us avg_response %u us misses %u\n",
			  defs[i].name, defs[i].period_ms, defs[i].wcet_us, defs[i].deadline_ms,
			  defs[i].pri, t->released, t->jobs, t->max_resp,
			  t->jobs ? (UW)(t->sum_resp / t->jobs) : 0, miss);
		total_jobs += t->jobs;
		total_miss += miss;
	}
	tm_printf(RT_PROG ": summary: %u jobs completed, %u deadline misses\n",
		  total_jobs, total_miss);
	return 0;
}
