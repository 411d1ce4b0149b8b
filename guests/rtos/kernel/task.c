/*
 * rthv RTOS - scheduler, wait queues, task management and task-dependent
 * synchronisation
 *
 * Scheduling is preemptive by fixed priority, FIFO within a priority.
 * The running task stays at the head of its ready queue; a task that
 * becomes ready (or changes priority) goes to the tail.
 */
#include "knl.h"

TCB *knl_ctxtsk;
TCB *knl_schedtsk;
UW knl_taskindp;
UW knl_dsp_disabled;
TCB knl_tcb_table[CFN_MAX_TSKID];

/* internal priorities 0..MAX-1 for tasks, MAX for the idle task */
#define NUM_RDQ     (CFN_MAX_TSKPRI + 1)
static QUEUE knl_rdq[NUM_RDQ];
static UW knl_rdq_map[(NUM_RDQ + 31) / 32];

static void update_schedtsk(void)
{
	UINT i;

	for (i = 0; i < NELEM(knl_rdq_map); i++) {
		if (knl_rdq_map[i] != 0) {
			INT pri = (INT)(i * 32 + (UINT)__builtin_ctz(knl_rdq_map[i]));
			knl_schedtsk = CONTAINER(knl_rdq[pri].next, TCB, tskque);
			return;
		}
	}
	knl_schedtsk = NULL;            /* not reached: idle is always ready */
}

static void rdq_insert(TCB *t)
{
	que_insert(&t->tskque, &knl_rdq[t->priority]);
	knl_rdq_map[t->priority / 32] |= 1U << (t->priority % 32);
}

static void rdq_remove(TCB *t)
{
	que_remove(&t->tskque);
	if (que_empty(&knl_rdq[t->priority]))
		knl_rdq_map[t->priority / 32] &= ~(1U << (t->priority % 32));
}

void knl_make_ready(TCB *t)
{
	t->state = TS_READY;
	rdq_insert(t);
	update_schedtsk();
}

void knl_make_non_ready(TCB *t)
{
	rdq_remove(t);
	update_schedtsk();
}

/* insert a waiting task into wq: FIFO, or by priority (FIFO among equals) */
static void wait_queue_insert(TCB *t, QUEUE *wq)
{
	QUEUE *q = wq->next;

	if (t->wtpri) {
		while (q != wq && CONTAINER(q, TCB, tskque)->priority <= t->priority)
			q = q->next;
	} else {
		q = wq;
	}
	que_insert(&t->tskque, q);
}

void knl_change_priority(TCB *t, INT pri)
{
	if (t->state == TS_READY) {
		rdq_remove(t);
		t->priority = pri;
		rdq_insert(t);
		update_schedtsk();
	} else {
		t->priority = pri;
		if (t->state == TS_WAIT && t->wtpri) {
			que_remove(&t->tskque);
			wait_queue_insert(t, t->wqueue);
			if (t->wspec->recheck != NULL)
				t->wspec->recheck(t->wobj);
		}
	}
}

/* ---- waiting ---- */

static void wait_timeout(void *arg)
{
	TCB *t = arg;
	const WSPEC *spec = t->wspec;

	que_remove(&t->tskque);
	*t->wercd = (spec->ttw == TTW_DLY) ? E_OK : E_TMOUT;
	knl_make_ready(t);
	if (spec->recheck != NULL)
		spec->recheck(t->wobj);
}

/*
 * Put the running task into the wait state on wq (NULL: no queue).
 * The result is written to *p_ercd when the wait ends; the caller
 * dispatches at END_CRITICAL_SECTION and then returns *p_ercd.
 */
void knl_make_wait(const WSPEC *spec, QUEUE *wq, BOOL tpri, void *obj, ID wid,
		   TMO tmout, ER *p_ercd)
{
	TCB *t = knl_ctxtsk;

	knl_make_non_ready(t);
	t->state = TS_WAIT;
	t->wspec = spec;
	t->wobj = obj;
	t->wid = wid;
	t->wercd = p_ercd;
	t->wtpri = (UB)tpri;
	t->wqueue = wq;
	if (wq != NULL)
		wait_queue_insert(t, wq);
	if (tmout != TMO_FEVR)
		knl_timer_insert(&t->wtmeb, knl_tmout_time((RELTIM)tmout), wait_timeout, t);
}

/* end a wait with result ercd; the task becomes ready */
void knl_wait_release(TCB *t, ER ercd)
{
	que_remove(&t->tskque);
	knl_timer_delete(&t->wtmeb);
	*t->wercd = ercd;
	knl_make_ready(t);
}

/* end a wait abnormally: ercd < 0 releases the task with that result,
   ercd == E_OK just takes it out (it is being terminated); then the
   object may serve the remaining waiters */
static void wait_abort(TCB *t, ER ercd)
{
	const WSPEC *spec = t->wspec;

	if (ercd < E_OK) {
		knl_wait_release(t, ercd);
	} else {
		que_remove(&t->tskque);
		knl_timer_delete(&t->wtmeb);
	}
	if (spec->recheck != NULL)
		spec->recheck(t->wobj);
}

void knl_wait_delete(QUEUE *wq)
{
	while (!que_empty(wq))
		knl_wait_release(WAIT_HEAD(wq), E_DLT);
}

ID knl_wait_tskid(QUEUE *wq)
{
	return que_empty(wq) ? 0 : WAIT_HEAD(wq)->tskid;
}

/* ---- task management ---- */

static void task_exit_trampoline(void)
{
	tk_ext_tsk();
}

static void make_dormant(TCB *t)
{
	t->state = TS_DORMANT;
	t->priority = t->ipriority;
	t->wupcnt = 0;
	que_init(&t->tskque);
	que_init(&t->wtmeb.q);
}

/* build the initial frame (r0..r12 lr pc cpsr) at the top of the stack;
   done at start time, as an exiting task still runs on that stack */
static void setup_frame(TCB *t, INT stacd)
{
	UW *sp = (UW *)(((UW)t->stack + (UW)t->stksz) & ~7U) - 16;
	INT i;

	for (i = 0; i < 13; i++)
		sp[i] = 0;
	sp[0] = (UW)stacd;
	sp[1] = (UW)t->exinf;
	sp[13] = (UW)task_exit_trampoline;
	sp[14] = (UW)t->task & ~1U;
	sp[15] = 0x13 | 0x40 | (((UW)t->task & 1U) ? 0x20 : 0); /* SVC, FIQ off */
	t->sp = sp;
}

ID knl_create_task(CONST T_CTSK *pk, BOOL internal, TCB *itcb)
{
	TCB *t = itcb;
	void *stack;
	ID id = 0;
	INT i;

	CHECK_RSATR(pk->tskatr, TA_HLNG | TA_RNG3 | TA_USERBUF | TA_DSNAME);
	CHECK_PAR(pk->task != NULL);
	if (!internal)
		CHECK_PRI(pk->itskpri);
	CHECK_PAR(pk->stksz >= 128);
	if (pk->tskatr & TA_USERBUF) {
		CHECK_PAR(pk->bufptr != NULL);
		stack = pk->bufptr;
	} else {
		stack = knl_malloc(pk->stksz);
		if (stack == NULL)
			return E_NOMEM;
	}

	BEGIN_CRITICAL_SECTION;
	if (t == NULL) {
		for (i = 0; i < CFN_MAX_TSKID; i++) {
			if (knl_tcb_table[i].state == TS_NONEXIST) {
				t = &knl_tcb_table[i];
				id = i + 1;
				break;
			}
		}
	}
	if (t == NULL) {
		id = E_LIMIT;
	} else {
		t->tskid = id;
		t->tskatr = pk->tskatr;
		t->task = pk->task;
		t->exinf = pk->exinf;
		t->ipriority = internal ? CFN_MAX_TSKPRI : INT_PRI(pk->itskpri);
		t->stack = stack;
		t->stksz = pk->stksz;
		make_dormant(t);
	}
	END_CRITICAL_SECTION;
	if (id < E_OK && !(pk->tskatr & TA_USERBUF))
		knl_free(stack);
	return id;
}

ID tk_cre_tsk(CONST T_CTSK *pk_ctsk)
{
	CHECK_INTSK();
	return knl_create_task(pk_ctsk, FALSE, NULL);
}

/* look up a task: E_ID for a bad number, self handling per call */
#define GET_TCB(tskid)  (&knl_tcb_table[(tskid) - 1])
#define CHECK_TSKID(id) do { \
	if (!IN_INDP() && (id) == TSK_SELF) return E_OBJ; \
	CHECK_ID(id, CFN_MAX_TSKID); } while (0)
#define CHECK_TSKID_SELF(id) do { \
	if (!((id) == TSK_SELF && !IN_INDP())) CHECK_ID(id, CFN_MAX_TSKID); } while (0)
#define CHECK_NONSELF(id) do { \
	if (!IN_INDP() && (id) == knl_ctxtsk->tskid) return E_OBJ; } while (0)
#define SELF_TCB(id)    (((id) == TSK_SELF) ? knl_ctxtsk : GET_TCB(id))

ER tk_del_tsk(ID tskid)
{
	TCB *t;
	void *stack = NULL;
	ER ercd = E_OK;

	CHECK_INTSK();
	CHECK_TSKID(tskid);
	CHECK_NONSELF(tskid);
	t = GET_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state != TS_DORMANT) {
		ercd = (t->state == TS_NONEXIST) ? E_NOEXS : E_OBJ;
	} else {
		if (!(t->tskatr & TA_USERBUF))
			stack = t->stack;
		t->state = TS_NONEXIST;
	}
	END_CRITICAL_SECTION;
	knl_free(stack);
	return ercd;
}

ER tk_sta_tsk(ID tskid, INT stacd)
{
	TCB *t;
	ER ercd = E_OK;

	CHECK_TSKID(tskid);
	CHECK_NONSELF(tskid);
	t = GET_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state != TS_DORMANT) {
		ercd = (t->state == TS_NONEXIST) ? E_NOEXS : E_OBJ;
	} else {
		setup_frame(t, stacd);
		knl_make_ready(t);
	}
	END_CRITICAL_SECTION;
	return ercd;
}

/* stop a living task (ready or waiting) and make it dormant */
static void terminate(TCB *t)
{
	if (t->state == TS_READY)
		knl_make_non_ready(t);
	else if (t->state == TS_WAIT)
		wait_abort(t, E_OK);
	make_dormant(t);
}

void tk_ext_tsk(void)
{
	knl_disint();
	if (IN_INDP()) {
		tm_printf("rtos: FATAL tk_ext_tsk called from a handler\n");
		rt_halt();
	}
	knl_dsp_disabled = 0;           /* the exiting task's state */
	terminate(knl_ctxtsk);
	knl_dispatch_nosave();
}

ER tk_ter_tsk(ID tskid)
{
	TCB *t;
	ER ercd = E_OK;

	CHECK_TSKID(tskid);
	CHECK_NONSELF(tskid);
	t = GET_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state == TS_NONEXIST)
		ercd = E_NOEXS;
	else if (t->state == TS_DORMANT)
		ercd = E_OBJ;
	else
		terminate(t);
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_chg_pri(ID tskid, PRI tskpri)
{
	TCB *t;
	ER ercd = E_OK;

	CHECK_TSKID_SELF(tskid);
	if (tskpri != TPRI_INI)
		CHECK_PRI(tskpri);
	t = SELF_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state == TS_NONEXIST) {
		ercd = E_NOEXS;
	} else if (t->state == TS_DORMANT) {
		ercd = E_OBJ;
	} else {
		knl_change_priority(t, (tskpri == TPRI_INI) ? t->ipriority
							    : INT_PRI(tskpri));
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_rot_rdq(PRI tskpri)
{
	INT pri;

	if (tskpri != TPRI_RUN)
		CHECK_PRI(tskpri);
	BEGIN_CRITICAL_SECTION;
	pri = (tskpri == TPRI_RUN) ? knl_ctxtsk->priority : INT_PRI(tskpri);
	if (pri < CFN_MAX_TSKPRI && !que_empty(&knl_rdq[pri])) {
		QUEUE *head = knl_rdq[pri].next;
		que_remove(head);
		que_insert(head, &knl_rdq[pri]);
		update_schedtsk();
	}
	END_CRITICAL_SECTION;
	return E_OK;
}

ID tk_get_tid(void)
{
	return (knl_ctxtsk == NULL) ? 0 : knl_ctxtsk->tskid;
}

ER tk_ref_tsk(ID tskid, T_RTSK *pk)
{
	TCB *t;
	ER ercd = E_OK;

	CHECK_TSKID_SELF(tskid);
	t = SELF_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state == TS_NONEXIST) {
		ercd = E_NOEXS;
	} else {
		memset(pk, 0, sizeof(*pk));
		pk->exinf = t->exinf;
		pk->tskpri = pk->tskbpri = EXT_PRI(t->priority);
		pk->wupcnt = t->wupcnt;
		if (t->state == TS_READY)
			pk->tskstat = (t == knl_ctxtsk) ? TTS_RUN : TTS_RDY;
		else if (t->state == TS_WAIT) {
			pk->tskstat = TTS_WAI;
			pk->tskwait = t->wspec->ttw;
			pk->wid = t->wid;
		} else
			pk->tskstat = TTS_DMT;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_rel_wai(ID tskid)
{
	TCB *t;
	ER ercd = E_OK;

	CHECK_TSKID(tskid);
	t = GET_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state != TS_WAIT)
		ercd = (t->state == TS_NONEXIST) ? E_NOEXS : E_OBJ;
	else
		wait_abort(t, E_RLWAI);
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_dis_dsp(void)
{
	CHECK_INTSK();
	knl_dsp_disabled = 1;
	return E_OK;
}

ER tk_ena_dsp(void)
{
	CHECK_INTSK();
	BEGIN_CRITICAL_SECTION;
	knl_dsp_disabled = 0;
	END_CRITICAL_SECTION;
	return E_OK;
}

/* ---- task-dependent synchronisation ---- */

static const WSPEC wspec_slp = { TTW_SLP, NULL };
static const WSPEC wspec_dly = { TTW_DLY, NULL };

ER tk_slp_tsk(TMO tmout)
{
	ER ercd = E_OK;

	CHECK_TMOUT(tmout);
	CHECK_DISPATCH();
	BEGIN_CRITICAL_SECTION;
	if (knl_ctxtsk->wupcnt > 0)
		knl_ctxtsk->wupcnt--;
	else if (tmout == TMO_POL)
		ercd = E_TMOUT;
	else
		knl_make_wait(&wspec_slp, NULL, FALSE, NULL, 0, tmout, &ercd);
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_wup_tsk(ID tskid)
{
	TCB *t;
	ER ercd = E_OK;

	CHECK_TSKID(tskid);
	CHECK_NONSELF(tskid);
	t = GET_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state == TS_NONEXIST)
		ercd = E_NOEXS;
	else if (t->state == TS_DORMANT)
		ercd = E_OBJ;
	else if (t->state == TS_WAIT && t->wspec == &wspec_slp)
		knl_wait_release(t, E_OK);
	else if (t->wupcnt >= CFN_MAX_WUPCNT)
		ercd = E_QOVR;
	else
		t->wupcnt++;
	END_CRITICAL_SECTION;
	return ercd;
}

INT tk_can_wup(ID tskid)
{
	TCB *t;
	INT ercd;

	CHECK_TSKID_SELF(tskid);
	t = SELF_TCB(tskid);
	BEGIN_CRITICAL_SECTION;
	if (t->state == TS_NONEXIST) {
		ercd = E_NOEXS;
	} else if (t->state == TS_DORMANT) {
		ercd = E_OBJ;
	} else {
		ercd = t->wupcnt;
		t->wupcnt = 0;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_dly_tsk(RELTIM dlytim)
{
	ER ercd = E_OK;

	CHECK_RELTIM(dlytim);
	CHECK_DISPATCH();
	if (dlytim == 0)
		return E_OK;
	BEGIN_CRITICAL_SECTION;
	knl_make_wait(&wspec_dly, NULL, FALSE, NULL, 0, (TMO)dlytim, &ercd);
	END_CRITICAL_SECTION;
	return ercd;
}

void knl_start_task(TCB *t, INT stacd)
{
	setup_frame(t, stacd);
	knl_make_ready(t);
}

void knl_task_init(void)
{
	UINT i;

	for (i = 0; i < NUM_RDQ; i++)
		que_init(&knl_rdq[i]);
}
