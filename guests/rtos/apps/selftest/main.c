/*
 * selftest: exercises every service call of the kernel, including the
 * error paths, and prints one line per case:
 *     PASS <name>            or      FAIL <name>: <reason>
 * and finally "selftest: <n> passed, <m> failed".
 *
 * The main task (the initial task) runs at priority MAIN_PRI; helper
 * tasks run above it (they preempt as soon as they are started or
 * released) or below it (they only run when main waits or lowers its
 * own priority).  Timing checks use lower bounds only (the kernel
 * guarantees "at least"), so they hold under a noisy host too.
 */
#include <tk/tkernel.h>
#include <rthv_ipc.h>

#define MAIN_PRI    10
#define HI          5           /* helper above main */
#define LO          15          /* helper below main */

/* ------------------------------------------------------------------ */
/* reporting */

static INT npass, nfail;
static const char *why;         /* first failed requirement of the case */
static ER why_got, why_want;
static BOOL why_is_er;

static const char *ername(ER e)
{
	static const struct { ER e; const char *n; } t[] = {
		{ E_OK, "E_OK" }, { E_SYS, "E_SYS" }, { E_NOSPT, "E_NOSPT" },
		{ E_RSATR, "E_RSATR" }, { E_PAR, "E_PAR" }, { E_ID, "E_ID" },
		{ E_CTX, "E_CTX" }, { E_ILUSE, "E_ILUSE" }, { E_NOMEM, "E_NOMEM" },
		{ E_LIMIT, "E_LIMIT" }, { E_OBJ, "E_OBJ" }, { E_NOEXS, "E_NOEXS" },
		{ E_QOVR, "E_QOVR" }, { E_RLWAI, "E_RLWAI" }, { E_TMOUT, "E_TMOUT" },
		{ E_DLT, "E_DLT" },
	};
	UINT i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	return (e >= 0) ? "(positive)" : "(unknown error)";
}

static void req(BOOL ok, const char *expr)
{
	if (!ok && why == NULL) {
		why = expr;
		why_is_er = FALSE;
	}
}

static void req_er(ER got, ER want, const char *expr)
{
	if (got != want && why == NULL) {
		why = expr;
		why_is_er = TRUE;
		why_got = got;
		why_want = want;
	}
}

#define REQ(c)          req((c) != 0, #c)
#define REQ_ER(g, w)    req_er((g), (w), #g)

static void report(const char *name)
{
	if (why == NULL) {
		npass++;
		tm_printf("PASS %s\n", name);
	} else {
		nfail++;
		if (why_is_er)
			tm_printf("FAIL %s: %s returned %s (%d), expected %s\n", name, why,
				  ername(why_got), why_got, ername(why_want));
		else
			tm_printf("FAIL %s: requirement %s not met\n", name, why);
	}
	why = NULL;
}

/* ------------------------------------------------------------------ */
/* helpers */

static ID main_tid;
static INT evlog[32];
static INT nev;

static void log_ev(INT v)
{
	if (nev < 32)
		evlog[nev++] = v;
}

static BOOL log_is(const INT *seq, INT n)
{
	INT i;

	if (nev != n)
		return FALSE;
	for (i = 0; i < n; i++)
		if (evlog[i] != seq[i])
			return FALSE;
	return TRUE;
}

static UW now_ms(void)
{
	SYSTIM t;

	tk_get_otm(&t);
	return t.lo;
}

enum { OP_NONE, OP_SLP, OP_DLY, OP_SEM, OP_FLG, OP_MBX, OP_SMBF, OP_RMBF,
       OP_WUP_MAIN, OP_ROT };

/* what a helper task does; exinf of the task */
typedef struct {
	INT	op;
	INT	tag;            /* logged when the operation completed */
	ID	obj;
	INT	a, b;
	void	*buf;
	ER	result;
	UINT	out;
	T_MSG	*msg;
	INT	stacd;
	ID	tid;
} JOB;

static void helper(INT stacd, void *exinf)
{
	JOB *j = exinf;
	INT i;

	j->stacd = stacd;
	j->tid = tk_get_tid();
	switch (j->op) {
	case OP_SLP:
		j->result = tk_slp_tsk(j->a);
		break;
	case OP_DLY:
		j->result = tk_dly_tsk((RELTIM)j->a);
		break;
	case OP_SEM:
		j->result = tk_wai_sem(j->obj, j->a, TMO_FEVR);
		break;
	case OP_FLG:
		j->result = tk_wai_flg(j->obj, (UINT)j->a, (UINT)j->b, &j->out, TMO_FEVR);
		break;
	case OP_MBX:
		j->result = tk_rcv_mbx(j->obj, &j->msg, TMO_FEVR);
		break;
	case OP_SMBF:
		j->result = tk_snd_mbf(j->obj, j->buf, j->a, TMO_FEVR);
		break;
	case OP_RMBF:
		j->result = tk_rcv_mbf(j->obj, j->buf, TMO_FEVR);
		break;
	case OP_WUP_MAIN:
		for (i = 0; i < j->a; i++)
			j->result = tk_wup_tsk(main_tid);
		break;
	case OP_ROT:
		for (i = 0; i < j->a; i++) {
			log_ev(j->tag);
			tk_rot_rdq(TPRI_RUN);
		}
		return;                 /* returning from a task = tk_ext_tsk */
	default:
		break;
	}
	log_ev(j->tag);
	tk_ext_tsk();
}

static ID create(JOB *j, PRI pri)
{
	T_CTSK c = { .exinf = j, .tskatr = TA_HLNG, .task = (FP)helper,
		     .itskpri = pri, .stksz = 1024 };
	return tk_cre_tsk(&c);
}

/* create and start a helper: runs now if pri < MAIN_PRI */
static ID spawn(JOB *j, INT op, INT tag, ID obj, INT a, INT b, PRI pri)
{
	ID id;

	j->op = op;
	j->tag = tag;
	j->obj = obj;
	j->a = a;
	j->b = b;
	j->result = 1;          /* "not completed" */
	id = create(j, pri);
	if (id > 0)
		tk_sta_tsk(id, tag);
	return id;
}

/* start a helper again (same job, fresh result) */
static void restart(JOB *j, ID id)
{
	j->result = 1;
	tk_sta_tsk(id, j->tag);
}

/* get rid of a helper whatever its state */
static void reap(ID id)
{
	if (id > 0) {
		tk_ter_tsk(id);
		tk_del_tsk(id);
	}
}

static UINT state_of(ID id)
{
	T_RTSK r;

	return (tk_ref_tsk(id, &r) == E_OK) ? r.tskstat : 0;
}

/* ------------------------------------------------------------------ */
/* task management */

static void test_tasks(void)
{
	T_CTSK c = { .tskatr = TA_HLNG, .task = (FP)helper, .itskpri = LO, .stksz = 1024 };
	T_CTSK bad;
	JOB j1, j2, j3;
	T_RTSK r;
	ID id, id2, ids[64];
	INT i, n;

	REQ(tk_get_tid() == main_tid);
	REQ(main_tid == 1);
	report("tk_get_tid returns the initial task (ID 1)");

	bad = c; bad.itskpri = 0;
	REQ_ER(tk_cre_tsk(&bad), E_PAR);
	bad.itskpri = rt_max_tskpri + 1;
	REQ_ER(tk_cre_tsk(&bad), E_PAR);
	report("tk_cre_tsk E_PAR for priority out of range");

	bad = c; bad.task = NULL;
	REQ_ER(tk_cre_tsk(&bad), E_PAR);
	bad = c; bad.stksz = 0;
	REQ_ER(tk_cre_tsk(&bad), E_PAR);
	bad = c; bad.tskatr = TA_USERBUF; bad.bufptr = NULL;
	REQ_ER(tk_cre_tsk(&bad), E_PAR);
	report("tk_cre_tsk E_PAR for entry, stack size, user buffer");

	bad = c; bad.tskatr = TA_HLNG | 0x00800000U;
	REQ_ER(tk_cre_tsk(&bad), E_RSATR);
	report("tk_cre_tsk E_RSATR for reserved attribute");

	bad = c; bad.stksz = 0x10000000;
	REQ_ER(tk_cre_tsk(&bad), E_NOMEM);
	report("tk_cre_tsk E_NOMEM for a huge stack");

	c.exinf = &j1;
	j1.op = OP_NONE;
	j1.tag = 1;
	id = tk_cre_tsk(&c);
	REQ(id > 1);
	REQ_ER(tk_ref_tsk(id, &r), E_OK);
	REQ(r.tskstat == TTS_DMT && r.tskpri == LO && r.exinf == &j1);
	report("tk_cre_tsk creates a DORMANT task");

	REQ_ER(tk_sta_tsk(0 - 1, 0), E_ID);
	REQ_ER(tk_sta_tsk(1000, 0), E_ID);
	REQ_ER(tk_sta_tsk(TSK_SELF, 0), E_OBJ);
	REQ_ER(tk_sta_tsk(main_tid, 0), E_OBJ);
	report("tk_sta_tsk E_ID for bad IDs, E_OBJ for itself");

	for (i = 32; i > 1 && state_of(i) != 0; i--)
		;
	REQ_ER(tk_sta_tsk(i, 0), E_NOEXS);
	REQ_ER(tk_ref_tsk(i, &r), E_NOEXS);
	report("tk_sta_tsk/tk_ref_tsk E_NOEXS for an unused ID");

	/* start a higher priority task: it runs before tk_sta_tsk returns */
	nev = 0;
	id2 = spawn(&j2, OP_NONE, 7, 0, 0, 0, HI);
	REQ(nev == 1 && evlog[0] == 7);
	REQ(j2.stacd == 7 && j2.tid == id2);
	report("tk_sta_tsk: higher priority task preempts, gets stacd and exinf");

	REQ(state_of(id2) == TTS_DMT);
	report("tk_ext_tsk: the task becomes DORMANT");

	nev = 0;
	REQ_ER(tk_sta_tsk(id2, 9), E_OK);
	REQ(nev == 1 && j2.stacd == 9);
	report("tk_sta_tsk restarts an exited task");

	REQ_ER(tk_sta_tsk(id, 3), E_OK);        /* LO: stays READY */
	REQ_ER(tk_sta_tsk(id, 3), E_OBJ);
	REQ(state_of(id) == TTS_RDY);
	REQ(state_of(TSK_SELF) == TTS_RUN);
	report("tk_sta_tsk E_OBJ for a non-DORMANT task; tk_ref_tsk RUN/READY");

	REQ_ER(tk_del_tsk(id), E_OBJ);
	REQ_ER(tk_ter_tsk(id), E_OK);
	REQ(state_of(id) == TTS_DMT);
	REQ_ER(tk_ter_tsk(id), E_OBJ);
	REQ_ER(tk_ter_tsk(main_tid), E_OBJ);
	REQ_ER(tk_ter_tsk(TSK_SELF), E_OBJ);
	report("tk_ter_tsk terminates a READY task; E_OBJ for DORMANT/self");

	REQ_ER(tk_del_tsk(id), E_OK);
	REQ_ER(tk_ref_tsk(id, &r), E_NOEXS);
	REQ_ER(tk_del_tsk(id), E_NOEXS);
	REQ_ER(tk_del_tsk(TSK_SELF), E_OBJ);
	report("tk_del_tsk deletes a DORMANT task; E_NOEXS after");
	reap(id2);

	c.exinf = &j1;
	for (n = 0; n < 64; n++) {
		ids[n] = tk_cre_tsk(&c);
		if (ids[n] < 0)
			break;
	}
	REQ(n < 64 && n > 0);
	if (n < 64)
		REQ_ER(ids[n], E_LIMIT);
	for (i = 0; i < n; i++)
		tk_del_tsk(ids[i]);
	report("tk_cre_tsk E_LIMIT when the task table is full");

	/* priorities */
	REQ_ER(tk_chg_pri(TSK_SELF, -1), E_PAR);
	REQ_ER(tk_chg_pri(TSK_SELF, rt_max_tskpri + 1), E_PAR);
	REQ_ER(tk_chg_pri(-5, 3), E_ID);
	c.itskpri = 12;
	id = tk_cre_tsk(&c);
	REQ_ER(tk_chg_pri(id, 3), E_OBJ);
	report("tk_chg_pri E_PAR/E_ID, E_OBJ for a DORMANT task");

	nev = 0;
	j1.op = OP_NONE;
	j1.tag = 21;
	tk_sta_tsk(id, 0);                      /* 12: below main */
	REQ(nev == 0);
	REQ_ER(tk_chg_pri(id, 20), E_OK);
	REQ_ER(tk_ref_tsk(id, &r), E_OK);
	REQ(r.tskpri == 20);
	REQ_ER(tk_chg_pri(id, TPRI_INI), E_OK);
	REQ_ER(tk_ref_tsk(id, &r), E_OK);
	REQ(r.tskpri == 12);
	REQ(nev == 0);
	REQ_ER(tk_chg_pri(id, HI), E_OK);       /* now above main: runs */
	REQ(nev == 1 && evlog[0] == 21);
	report("tk_chg_pri changes priority, TPRI_INI restores, raising preempts");

	nev = 0;
	tk_sta_tsk(id, 0);                      /* at 12 again */
	REQ_ER(tk_chg_pri(TSK_SELF, 13), E_OK); /* main drops below it */
	REQ(nev == 1);
	REQ_ER(tk_chg_pri(TSK_SELF, MAIN_PRI), E_OK);
	report("tk_chg_pri lowering itself lets a lower task run");
	reap(id);

	/* ready queue rotation */
	{
		static const INT want[] = { 32, 33, 31 };
		JOB jr[3];
		ID rid[3];

		nev = 0;
		for (i = 0; i < 3; i++)
			rid[i] = spawn(&jr[i], OP_NONE, 31 + i, 0, 0, 0, 12);
		REQ_ER(tk_rot_rdq(12), E_OK);
		tk_chg_pri(TSK_SELF, 13);
		tk_chg_pri(TSK_SELF, MAIN_PRI);
		REQ(log_is(want, 3));
		for (i = 0; i < 3; i++)
			reap(rid[i]);
		report("tk_rot_rdq rotates the ready queue of a priority");
	}
	{
		static const INT want[] = { 41, 42, 41, 42, 41, 42 };
		JOB ja, jb;
		ID a, b;

		nev = 0;
		a = spawn(&ja, OP_ROT, 41, 0, 3, 0, 12);
		b = spawn(&jb, OP_ROT, 42, 0, 3, 0, 12);
		tk_chg_pri(TSK_SELF, 13);
		tk_chg_pri(TSK_SELF, MAIN_PRI);
		REQ(log_is(want, 6));
		REQ_ER(tk_rot_rdq(-1), E_PAR);
		REQ_ER(tk_rot_rdq(rt_max_tskpri + 1), E_PAR);
		REQ_ER(tk_rot_rdq(TPRI_RUN), E_OK);
		reap(a);
		reap(b);
		report("tk_rot_rdq(TPRI_RUN) round robin; E_PAR");
	}

	/* dispatch disabling */
	nev = 0;
	REQ_ER(tk_dis_dsp(), E_OK);
	id = spawn(&j3, OP_NONE, 51, 0, 0, 0, HI);
	REQ(nev == 0);
	REQ_ER(tk_slp_tsk(10), E_CTX);
	REQ_ER(tk_dly_tsk(10), E_CTX);
	REQ_ER(tk_ena_dsp(), E_OK);
	REQ(nev == 1 && evlog[0] == 51);
	reap(id);
	report("tk_dis_dsp defers preemption, waits give E_CTX; tk_ena_dsp");
}

/* ------------------------------------------------------------------ */
/* task-dependent synchronisation */

static void test_sync(void)
{
	JOB j, j2;
	T_RTSK r;
	ID id, lo;
	UW t0;
	INT n;
	ER er = E_OK;

	REQ_ER(tk_slp_tsk(-2), E_PAR);
	REQ_ER(tk_slp_tsk(TMO_POL), E_TMOUT);
	report("tk_slp_tsk E_PAR for bad timeout, E_TMOUT when polling");

	t0 = now_ms();
	REQ_ER(tk_slp_tsk(20), E_TMOUT);
	REQ(now_ms() - t0 >= 20);
	report("tk_slp_tsk times out after at least the timeout");

	id = spawn(&j, OP_WUP_MAIN, 1, 0, 2, 0, HI);    /* wakes main twice */
	REQ_ER(j.result, E_OK);
	REQ_ER(tk_slp_tsk(TMO_POL), E_OK);
	REQ_ER(tk_slp_tsk(TMO_FEVR), E_OK);
	REQ_ER(tk_slp_tsk(TMO_POL), E_TMOUT);
	report("tk_wup_tsk requests are queued and consumed by tk_slp_tsk");

	tk_sta_tsk(id, 1);
	REQ(tk_can_wup(TSK_SELF) == 2);
	REQ(tk_can_wup(TSK_SELF) == 0);
	REQ_ER(tk_slp_tsk(TMO_POL), E_TMOUT);
	REQ_ER(tk_can_wup(id), E_OBJ);
	report("tk_can_wup returns and clears the wakeup count");

	REQ_ER(tk_wup_tsk(TSK_SELF), E_OBJ);
	REQ_ER(tk_wup_tsk(main_tid), E_OBJ);
	REQ_ER(tk_wup_tsk(id), E_OBJ);          /* DORMANT */
	REQ_ER(tk_wup_tsk(0x7fff), E_ID);
	report("tk_wup_tsk E_OBJ for itself/DORMANT, E_ID");
	reap(id);

	lo = spawn(&j, OP_NONE, 1, 0, 0, 0, LO);        /* READY, never runs */
	for (n = 0; n < 100000; n++) {
		er = tk_wup_tsk(lo);
		if (er != E_OK)
			break;
	}
	REQ_ER(er, E_QOVR);
	REQ(n > 0);
	REQ_ER(tk_ref_tsk(lo, &r), E_OK);
	REQ(r.wupcnt == n);
	reap(lo);
	report("tk_wup_tsk E_QOVR when the wakeup count overflows");

	nev = 0;
	id = spawn(&j, OP_SLP, 61, 0, TMO_FEVR, 0, HI);
	REQ(state_of(id) == TTS_WAI && nev == 0);
	REQ_ER(tk_ref_tsk(id, &r), E_OK);
	REQ(r.tskwait == TTW_SLP);
	REQ_ER(tk_wup_tsk(id), E_OK);
	REQ(nev == 1);
	REQ_ER(j.result, E_OK);
	report("tk_wup_tsk releases a sleeping task (preempts)");

	tk_sta_tsk(id, 0);
	REQ_ER(tk_rel_wai(id), E_OK);
	REQ_ER(j.result, E_RLWAI);
	REQ_ER(tk_rel_wai(id), E_OBJ);
	REQ_ER(tk_rel_wai(main_tid), E_OBJ);
	REQ_ER(tk_rel_wai(TSK_SELF), E_OBJ);
	reap(id);
	report("tk_rel_wai gives E_RLWAI; E_OBJ for non-waiting tasks");

	t0 = now_ms();
	REQ_ER(tk_dly_tsk(30), E_OK);
	REQ(now_ms() - t0 >= 30);
	REQ_ER(tk_dly_tsk(0), E_OK);
	REQ_ER(tk_dly_tsk(0x80000000U), E_PAR);
	report("tk_dly_tsk delays at least the time, returns E_OK");

	id = spawn(&j2, OP_DLY, 62, 0, 10000, 0, HI);
	REQ_ER(tk_wup_tsk(id), E_OK);           /* queued, delay goes on */
	REQ_ER(tk_ref_tsk(id, &r), E_OK);
	REQ(r.tskstat == TTS_WAI && r.tskwait == TTW_DLY && r.wupcnt == 1);
	REQ_ER(tk_rel_wai(id), E_OK);
	REQ_ER(j2.result, E_RLWAI);
	reap(id);
	report("tk_dly_tsk is not ended by tk_wup_tsk, is by tk_rel_wai");

	/* termination of a waiting task */
	id = spawn(&j, OP_SLP, 63, 0, TMO_FEVR, 0, HI);
	REQ_ER(tk_ter_tsk(id), E_OK);
	REQ(state_of(id) == TTS_DMT);
	REQ(j.result == 1);
	reap(id);
	report("tk_ter_tsk terminates a waiting task");
}

/* ------------------------------------------------------------------ */
/* semaphores */

static void test_sem(void)
{
	T_CSEM c = { .sematr = TA_TFIFO, .isemcnt = 2, .maxsem = 5 };
	T_CSEM bad;
	T_RSEM r;
	JOB j1, j2;
	ID s, a, b;
	UW t0;

	bad = c; bad.isemcnt = 6;
	REQ_ER(tk_cre_sem(&bad), E_PAR);
	bad = c; bad.maxsem = 0; bad.isemcnt = 0;
	REQ_ER(tk_cre_sem(&bad), E_PAR);
	bad = c; bad.isemcnt = -1;
	REQ_ER(tk_cre_sem(&bad), E_PAR);
	bad = c; bad.sematr = 0x100;
	REQ_ER(tk_cre_sem(&bad), E_RSATR);
	report("tk_cre_sem E_PAR for bad counts, E_RSATR");

	s = tk_cre_sem(&c);
	REQ(s > 0);
	REQ_ER(tk_ref_sem(s, &r), E_OK);
	REQ(r.semcnt == 2 && r.wtsk == 0);
	REQ_ER(tk_wai_sem(s, 1, TMO_POL), E_OK);
	REQ_ER(tk_wai_sem(s, 2, TMO_POL), E_TMOUT);
	REQ_ER(tk_wai_sem(s, 1, TMO_POL), E_OK);
	REQ_ER(tk_wai_sem(s, 1, TMO_POL), E_TMOUT);
	report("tk_cre_sem, tk_wai_sem polling takes counts");

	REQ_ER(tk_wai_sem(s, 0, TMO_POL), E_PAR);
	REQ_ER(tk_wai_sem(s, 6, TMO_POL), E_PAR);
	REQ_ER(tk_wai_sem(s, 1, -7), E_PAR);
	REQ_ER(tk_sig_sem(s, 0), E_PAR);
	REQ_ER(tk_sig_sem(s, 5), E_OK);
	REQ_ER(tk_sig_sem(s, 1), E_QOVR);
	REQ_ER(tk_ref_sem(s, &r), E_OK);
	REQ(r.semcnt == 5);
	report("tk_sig_sem E_QOVR above maxsem; E_PAR for counts");

	REQ_ER(tk_wai_sem(0, 1, TMO_POL), E_ID);
	REQ_ER(tk_sig_sem(-1, 1), E_ID);
	REQ_ER(tk_ref_sem(1000, &r), E_ID);
	report("semaphore calls E_ID for bad IDs");

	tk_wai_sem(s, 5, TMO_POL);
	t0 = now_ms();
	REQ_ER(tk_wai_sem(s, 1, 20), E_TMOUT);
	REQ(now_ms() - t0 >= 20);
	report("tk_wai_sem times out");

	nev = 0;
	a = spawn(&j1, OP_SEM, 71, s, 1, 0, HI);
	REQ(nev == 0);
	REQ_ER(tk_ref_sem(s, &r), E_OK);
	REQ(r.wtsk == a);
	REQ_ER(tk_sig_sem(s, 1), E_OK);
	REQ(nev == 1);
	REQ_ER(j1.result, E_OK);
	reap(a);
	report("tk_wai_sem blocks, tk_sig_sem releases");

	/* FIFO vs priority order */
	{
		static const INT fifo[] = { 72, 73 }, prio[] = { 73, 72 };
		ID s2;

		nev = 0;
		a = spawn(&j1, OP_SEM, 72, s, 1, 0, 7);
		b = spawn(&j2, OP_SEM, 73, s, 1, 0, 6);
		tk_sig_sem(s, 1);
		tk_sig_sem(s, 1);
		REQ(log_is(fifo, 2));
		c.sematr = TA_TPRI;
		c.isemcnt = 0;
		s2 = tk_cre_sem(&c);
		nev = 0;
		j1.obj = j2.obj = s2;
		restart(&j1, a);
		restart(&j2, b);
		REQ(nev == 0);
		tk_sig_sem(s2, 1);
		REQ(nev == 1);
		tk_sig_sem(s2, 1);
		REQ(log_is(prio, 2));
		report("semaphore wait queue TA_TFIFO and TA_TPRI order");

		/* priority change of a waiting task re-sorts the queue */
		nev = 0;
		restart(&j1, a);                /* 7 */
		restart(&j2, b);                /* 6: head */
		REQ_ER(tk_chg_pri(a, 4), E_OK); /* a overtakes b */
		tk_sig_sem(s2, 1);
		tk_sig_sem(s2, 1);
		REQ(log_is(fifo, 2));
		report("tk_chg_pri of a waiting task reorders a TA_TPRI queue");
		reap(a);
		reap(b);
		tk_del_sem(s2);
	}

	/* TA_FIRST vs TA_CNT */
	{
		ID sf, sc;

		c.sematr = TA_TFIFO | TA_FIRST;
		c.isemcnt = 0;
		sf = tk_cre_sem(&c);
		c.sematr = TA_TFIFO | TA_CNT;
		sc = tk_cre_sem(&c);
		a = spawn(&j1, OP_SEM, 74, sf, 3, 0, HI);
		b = spawn(&j2, OP_SEM, 75, sf, 1, 0, HI);
		tk_sig_sem(sf, 1);
		REQ(j1.result == 1 && j2.result == 1);  /* head needs 3 */
		tk_sig_sem(sf, 2);
		REQ_ER(j1.result, E_OK);
		REQ(j2.result == 1);
		tk_sig_sem(sf, 1);
		REQ_ER(j2.result, E_OK);
		report("TA_FIRST: only the head of the queue is served");

		j1.obj = j2.obj = sc;
		restart(&j1, a);
		restart(&j2, b);
		tk_sig_sem(sc, 1);
		REQ(j1.result == 1);
		REQ_ER(j2.result, E_OK);        /* smaller request overtakes */
		REQ_ER(tk_wai_sem(sc, 1, TMO_POL), E_TMOUT);
		tk_sig_sem(sc, 3);
		REQ_ER(j1.result, E_OK);
		report("TA_CNT: a smaller request overtakes the head");

		/* releasing the head by tk_rel_wai lets the next one in */
		j1.obj = j2.obj = sf;
		restart(&j1, a);
		restart(&j2, b);
		tk_sig_sem(sf, 1);
		REQ(j2.result == 1);
		REQ_ER(tk_rel_wai(a), E_OK);
		REQ_ER(j1.result, E_RLWAI);
		REQ_ER(j2.result, E_OK);
		report("tk_rel_wai of the head serves the next waiter (TA_FIRST)");
		reap(a);
		reap(b);
		tk_del_sem(sf);
		tk_del_sem(sc);
	}

	a = spawn(&j1, OP_SEM, 76, s, 1, 0, HI);
	REQ_ER(tk_del_sem(s), E_OK);
	REQ_ER(j1.result, E_DLT);
	REQ_ER(tk_wai_sem(s, 1, TMO_POL), E_NOEXS);
	REQ_ER(tk_sig_sem(s, 1), E_NOEXS);
	REQ_ER(tk_del_sem(s), E_NOEXS);
	reap(a);
	report("tk_del_sem releases waiters with E_DLT; E_NOEXS after");

	{
		ID ids[64];
		INT i, n;

		c.sematr = TA_TFIFO;
		c.isemcnt = 0;
		for (n = 0; n < 64; n++)
			if ((ids[n] = tk_cre_sem(&c)) < 0)
				break;
		REQ(n > 0 && n < 64);
		if (n < 64)
			REQ_ER(ids[n], E_LIMIT);
		for (i = 0; i < n; i++)
			tk_del_sem(ids[i]);
		report("tk_cre_sem E_LIMIT when all semaphore IDs are used");
	}
}

/* ------------------------------------------------------------------ */
/* event flags */

static void test_flg(void)
{
	T_CFLG c = { .flgatr = TA_TFIFO | TA_WSGL, .iflgptn = 0x3 };
	T_RFLG r;
	JOB j1, j2;
	UINT p = 0;
	ID f, a, b;
	UW t0;

	c.flgatr = 0x200;
	REQ_ER(tk_cre_flg(&c), E_RSATR);
	c.flgatr = TA_TFIFO | TA_WSGL;
	f = tk_cre_flg(&c);
	REQ(f > 0);
	REQ_ER(tk_wai_flg(f, 0, TWF_ANDW, &p, TMO_POL), E_PAR);
	REQ_ER(tk_wai_flg(f, 1, 0x100, &p, TMO_POL), E_PAR);
	REQ_ER(tk_wai_flg(f, 1, TWF_ANDW, &p, -3), E_PAR);
	REQ_ER(tk_wai_flg(0, 1, TWF_ANDW, &p, TMO_POL), E_ID);
	report("tk_cre_flg E_RSATR; tk_wai_flg E_PAR, E_ID");

	REQ_ER(tk_wai_flg(f, 0x5, TWF_ANDW, &p, TMO_POL), E_TMOUT);
	REQ_ER(tk_wai_flg(f, 0x5, TWF_ORW, &p, TMO_POL), E_OK);
	REQ(p == 0x3);
	REQ_ER(tk_wai_flg(f, 0x3, TWF_ANDW, &p, TMO_POL), E_OK);
	report("tk_wai_flg TWF_ANDW / TWF_ORW conditions");

	REQ_ER(tk_wai_flg(f, 0x1, TWF_ORW | TWF_BITCLR, &p, TMO_POL), E_OK);
	REQ(p == 0x3);
	REQ_ER(tk_ref_flg(f, &r), E_OK);
	REQ(r.flgptn == 0x2);
	REQ_ER(tk_wai_flg(f, 0x2, TWF_ANDW | TWF_CLR, &p, TMO_POL), E_OK);
	REQ_ER(tk_ref_flg(f, &r), E_OK);
	REQ(r.flgptn == 0);
	report("tk_wai_flg TWF_BITCLR and TWF_CLR");

	REQ_ER(tk_set_flg(f, 0xf0), E_OK);
	REQ_ER(tk_clr_flg(f, 0x3f), E_OK);
	REQ_ER(tk_ref_flg(f, &r), E_OK);
	REQ(r.flgptn == 0x30);
	REQ_ER(tk_clr_flg(f, 0), E_OK);
	REQ_ER(tk_set_flg(-1, 1), E_ID);
	report("tk_set_flg ORs, tk_clr_flg ANDs the pattern");

	t0 = now_ms();
	REQ_ER(tk_wai_flg(f, 1, TWF_ORW, &p, 15), E_TMOUT);
	REQ(now_ms() - t0 >= 15);
	report("tk_wai_flg times out");

	a = spawn(&j1, OP_FLG, 81, f, 0x3, TWF_ANDW, HI);
	tk_set_flg(f, 0x1);
	REQ(j1.result == 1);
	REQ_ER(tk_wai_flg(f, 0x1, TWF_ORW, &p, TMO_POL), E_OBJ);  /* TA_WSGL */
	tk_set_flg(f, 0x2);
	REQ_ER(j1.result, E_OK);
	REQ(j1.out == 0x3);
	report("tk_wai_flg blocks until the AND condition holds; TA_WSGL E_OBJ");
	tk_del_flg(f);

	c.flgatr = TA_WMUL;
	c.iflgptn = 0;
	f = tk_cre_flg(&c);
	j1.obj = f;
	j1.a = 0x1;
	j1.b = TWF_ORW;
	restart(&j1, a);
	b = spawn(&j2, OP_FLG, 82, f, 0x1, TWF_ORW, HI);
	REQ(j2.result == 1);
	tk_set_flg(f, 0x1);
	REQ_ER(j1.result, E_OK);
	REQ_ER(j2.result, E_OK);
	report("TA_WMUL: several tasks wait and are released together");

	tk_clr_flg(f, 0);
	restart(&j1, a);
	REQ_ER(tk_del_flg(f), E_OK);
	REQ_ER(j1.result, E_DLT);
	REQ_ER(tk_set_flg(f, 1), E_NOEXS);
	report("tk_del_flg releases waiters with E_DLT; E_NOEXS after");

	c.flgatr = TA_WMUL | TA_CLR;
	f = tk_cre_flg(&c);
	tk_set_flg(f, 0x6);
	REQ_ER(tk_wai_flg(f, 0x2, TWF_ORW, &p, TMO_POL), E_OK);
	REQ(p == 0x6);
	REQ_ER(tk_ref_flg(f, &r), E_OK);
	REQ(r.flgptn == 0);
	tk_del_flg(f);
	report("TA_CLR (extension) clears the pattern on release");
	reap(a);
	reap(b);
}

/* ------------------------------------------------------------------ */
/* mailboxes */

typedef struct {
	T_MSG_PRI hdr;
	INT value;
} PMSG;

static void test_mbx(void)
{
	T_CMBX c = { .mbxatr = TA_MFIFO };
	PMSG m[3];
	T_MSG *got = NULL;
	T_RMBX r;
	JOB j;
	ID x, a;
	INT i;
	UW t0;
	BOOL ok = TRUE;

	c.mbxatr = 0x400;
	REQ_ER(tk_cre_mbx(&c), E_RSATR);
	c.mbxatr = TA_MFIFO;
	x = tk_cre_mbx(&c);
	REQ(x > 0);
	for (i = 0; i < 3; i++) {
		m[i].value = i;
		REQ_ER(tk_snd_mbx(x, (T_MSG *)&m[i]), E_OK);
	}
	REQ_ER(tk_ref_mbx(x, &r), E_OK);
	REQ(r.pk_msg == (T_MSG *)&m[0]);
	for (i = 0; i < 3; i++) {
		REQ_ER(tk_rcv_mbx(x, &got, TMO_POL), E_OK);
		ok = ok && got == (T_MSG *)&m[i];
	}
	REQ(ok);
	REQ_ER(tk_rcv_mbx(x, &got, TMO_POL), E_TMOUT);
	report("tk_snd_mbx / tk_rcv_mbx in FIFO order; E_TMOUT when empty");

	t0 = now_ms();
	REQ_ER(tk_rcv_mbx(x, &got, 10), E_TMOUT);
	REQ(now_ms() - t0 >= 10);
	report("tk_rcv_mbx times out");

	a = spawn(&j, OP_MBX, 91, x, 0, 0, HI);
	REQ(j.result == 1);
	REQ_ER(tk_snd_mbx(x, (T_MSG *)&m[1]), E_OK);
	REQ_ER(j.result, E_OK);
	REQ(j.msg == (T_MSG *)&m[1]);
	report("tk_rcv_mbx blocks, tk_snd_mbx hands the message over");

	restart(&j, a);
	REQ_ER(tk_del_mbx(x), E_OK);
	REQ_ER(j.result, E_DLT);
	REQ_ER(tk_snd_mbx(x, (T_MSG *)&m[0]), E_NOEXS);
	REQ_ER(tk_snd_mbx(0, (T_MSG *)&m[0]), E_ID);
	reap(a);
	report("tk_del_mbx E_DLT; E_NOEXS/E_ID");

	c.mbxatr = TA_MPRI;
	x = tk_cre_mbx(&c);
	m[0].hdr.msgpri = 3;
	m[1].hdr.msgpri = 1;
	m[2].hdr.msgpri = 2;
	for (i = 0; i < 3; i++)
		tk_snd_mbx(x, (T_MSG *)&m[i]);
	ok = TRUE;
	for (i = 0; i < 3; i++) {
		tk_rcv_mbx(x, &got, TMO_POL);
		ok = ok && ((PMSG *)(void *)got)->hdr.msgpri == i + 1;
	}
	REQ(ok);
	m[0].hdr.msgpri = 0;
	REQ_ER(tk_snd_mbx(x, (T_MSG *)&m[0]), E_PAR);
	tk_del_mbx(x);
	report("TA_MPRI delivers by message priority; E_PAR for msgpri 0");
}

/* ------------------------------------------------------------------ */
/* message buffers */

/* message k of the wrap-around test: 1..27 bytes */
static INT gen_msg(UB *p, INT k)
{
	INT i, n = 1 + (k * 7) % 27;

	for (i = 0; i < n; i++)
		p[i] = (UB)(k + i * 3);
	return n;
}

static void test_mbf(void)
{
	T_CMBF c = { .mbfatr = TA_TFIFO, .bufsz = 32, .maxmsz = 16 };
	T_CMBF bad;
	T_RMBF r;
	UB buf[64], buf2[64], big[40];
	static UB ubuf[64];
	JOB j;
	ID f, a;
	INT i, n, k;
	UW t0;
	BOOL ok;

	(void)r;

	bad = c; bad.bufsz = -1;
	REQ_ER(tk_cre_mbf(&bad), E_PAR);
	bad = c; bad.maxmsz = 0;
	REQ_ER(tk_cre_mbf(&bad), E_PAR);
	bad = c; bad.mbfatr = 0x1000;
	REQ_ER(tk_cre_mbf(&bad), E_RSATR);
	bad = c; bad.bufsz = 0x10000000;
	REQ_ER(tk_cre_mbf(&bad), E_NOMEM);
	report("tk_cre_mbf E_PAR for sizes, E_RSATR, E_NOMEM");

	f = tk_cre_mbf(&c);
	REQ(f > 0);
	REQ_ER(tk_snd_mbf(f, "x", 0, TMO_POL), E_PAR);
	REQ_ER(tk_snd_mbf(f, big, 17, TMO_POL), E_PAR);
	REQ_ER(tk_snd_mbf(f, "x", 1, -9), E_PAR);
	REQ_ER(tk_snd_mbf(9999, "x", 1, TMO_POL), E_ID);
	report("tk_snd_mbf E_PAR for size/timeout, E_ID");

	REQ_ER(tk_snd_mbf(f, "hello", 5, TMO_POL), E_OK);
	REQ_ER(tk_ref_mbf(f, &r), E_OK);
	REQ(r.msgsz == 5 && r.maxmsz == 16);
	memset(buf, 0, sizeof(buf));
	REQ(tk_rcv_mbf(f, buf, TMO_POL) == 5);
	REQ(memcmp(buf, "hello", 5) == 0);
	REQ_ER(tk_rcv_mbf(f, buf, TMO_POL), E_TMOUT);
	report("tk_snd_mbf / tk_rcv_mbf copy the message; E_TMOUT when empty");

	for (i = 0; i < 12; i++)
		big[i] = (UB)(0xa0 + i);
	REQ_ER(tk_snd_mbf(f, big, 12, TMO_POL), E_OK);
	REQ_ER(tk_snd_mbf(f, big, 12, TMO_POL), E_OK);
	REQ_ER(tk_snd_mbf(f, big, 12, TMO_POL), E_TMOUT);       /* full */
	REQ_ER(tk_ref_mbf(f, &r), E_OK);
	REQ(r.frbufsz == 0);
	t0 = now_ms();
	REQ_ER(tk_snd_mbf(f, big, 12, 10), E_TMOUT);
	REQ(now_ms() - t0 >= 10);
	report("tk_snd_mbf E_TMOUT when full (poll and timeout)");

	memcpy(buf2, "waiting!", 8);
	j.buf = buf2;
	a = spawn(&j, OP_SMBF, 101, f, 8, 0, HI);
	REQ(j.result == 1);
	REQ_ER(tk_ref_mbf(f, &r), E_OK);
	REQ(r.stsk == a);
	REQ(tk_rcv_mbf(f, buf, TMO_POL) == 12);
	REQ_ER(j.result, E_OK);                 /* moved into the ring */
	REQ(tk_rcv_mbf(f, buf, TMO_POL) == 12);
	REQ(tk_rcv_mbf(f, buf, TMO_POL) == 8 && memcmp(buf, "waiting!", 8) == 0);
	report("blocked tk_snd_mbf completes when tk_rcv_mbf makes room");

	j.op = OP_RMBF;
	memset(buf2, 0, sizeof(buf2));
	restart(&j, a);                         /* a receiver on an empty ring */
	REQ(j.result == 1);
	REQ_ER(tk_ref_mbf(f, &r), E_OK);
	REQ(r.wtsk == a);
	REQ_ER(tk_snd_mbf(f, "abc", 3, TMO_POL), E_OK);
	REQ(j.result == 3 && memcmp(buf2, "abc", 3) == 0);
	report("blocked tk_rcv_mbf gets the message from tk_snd_mbf");

	restart(&j, a);
	REQ_ER(tk_del_mbf(f), E_OK);
	REQ_ER(j.result, E_DLT);
	REQ_ER(tk_rcv_mbf(f, buf, TMO_POL), E_NOEXS);
	report("tk_del_mbf E_DLT; E_NOEXS after");

	/* synchronous buffer */
	c.bufsz = 0;
	f = tk_cre_mbf(&c);
	REQ_ER(tk_snd_mbf(f, "s", 1, TMO_POL), E_TMOUT);
	j.op = OP_SMBF;
	j.obj = f;
	j.a = 4;
	memcpy(buf2, "sync", 4);
	restart(&j, a);
	REQ(j.result == 1);
	REQ(tk_rcv_mbf(f, buf, TMO_POL) == 4 && memcmp(buf, "sync", 4) == 0);
	REQ_ER(j.result, E_OK);
	tk_del_mbf(f);
	report("bufsz 0: sender waits for a receiver");

	/* ring wrap-around with many sizes, user buffer */
	c.mbfatr = TA_USERBUF;
	c.bufsz = sizeof(ubuf) - 1;
	c.maxmsz = 40;
	c.bufptr = ubuf;
	f = tk_cre_mbf(&c);
	REQ(f > 0);
	ok = TRUE;
	for (k = 0; k <= 300 && ok; k++) {     /* one or two in flight */
		if (k < 300) {
			n = gen_msg(big, k);
			ok = tk_snd_mbf(f, big, n, TMO_POL) == E_OK;
		}
		if (ok && k > 0) {
			n = gen_msg(buf2, k - 1);
			ok = tk_rcv_mbf(f, buf, TMO_POL) == n && memcmp(buf, buf2, (UW)n) == 0;
		}
	}
	REQ(ok);
	tk_del_mbf(f);
	report("message buffer ring wrap-around with variable sizes (TA_USERBUF)");
	reap(a);
}

/* ------------------------------------------------------------------ */
/* cyclic and alarm handlers, time */

static volatile INT cyc_count, alm_count;
static volatile ER hdr_slp, hdr_dly, hdr_wai;
static volatile ID hdr_tid;
static ID hdr_sem;

static void cyc_handler(void *exinf)
{
	(void)exinf;
	if (cyc_count++ == 0) {
		hdr_slp = tk_slp_tsk(TMO_FEVR);
		hdr_dly = tk_dly_tsk(1);
		hdr_wai = tk_wai_sem(hdr_sem, 1, 10);
		hdr_tid = tk_get_tid();
	}
}

static void alm_handler(void *exinf)
{
	alm_count++;
	if (exinf != NULL)
		tk_wup_tsk(main_tid);
}

static void test_time(void)
{
	T_CCYC c = { .cycatr = TA_HLNG | TA_STA, .cychdr = (FP)cyc_handler,
		     .cyctim = 10, .cycphs = 10 };
	T_CCYC bad;
	T_CALM ca = { .almatr = TA_HLNG, .almhdr = (FP)alm_handler };
	T_CSEM cs = { .isemcnt = 0, .maxsem = 1 };
	T_RCYC rc;
	T_RALM ra;
	SYSTIM st, st2;
	ID cyc, alm;
	INT n;
	UW t0, c0;

	REQ_ER(tk_get_otm(&st), E_OK);
	t0 = rt_counter();
	tk_dly_tsk(50);
	REQ_ER(tk_get_otm(&st2), E_OK);
	REQ(st2.lo - st.lo >= 50);
	REQ(rt_counter() - t0 >= 45000);
	report("tk_get_otm advances with the tick, consistent with the counter");

	st.hi = 1;
	st.lo = 5;
	REQ_ER(tk_set_tim(&st), E_OK);
	REQ_ER(tk_get_tim(&st2), E_OK);
	REQ(st2.hi == 1 && st2.lo >= 5 && st2.lo < 1000);
	st.hi = -1;
	REQ_ER(tk_set_tim(&st), E_PAR);
	report("tk_set_tim / tk_get_tim");

	bad = c; bad.cyctim = 0;
	REQ_ER(tk_cre_cyc(&bad), E_PAR);
	bad = c; bad.cychdr = NULL;
	REQ_ER(tk_cre_cyc(&bad), E_PAR);
	bad = c; bad.cycatr = 0x8;
	REQ_ER(tk_cre_cyc(&bad), E_RSATR);
	report("tk_cre_cyc E_PAR, E_RSATR");

	hdr_sem = tk_cre_sem(&cs);
	cyc_count = 0;
	cyc = tk_cre_cyc(&c);
	REQ(cyc > 0);
	tk_dly_tsk(105);
	n = cyc_count;
	REQ(n >= 9 && n <= 12);
	REQ_ER(tk_ref_cyc(cyc, &rc), E_OK);
	REQ(rc.cycstat == TCYC_STA && rc.lfttim <= 10);
	report("cyclic handler (TA_STA) runs every cyctim");

	REQ_ER(hdr_slp, E_CTX);
	REQ_ER(hdr_dly, E_CTX);
	REQ_ER(hdr_wai, E_CTX);
	REQ(hdr_tid == 0);                      /* idle was running */
	report("handlers get E_CTX for waiting calls; tk_get_tid in a handler");

	REQ_ER(tk_stp_cyc(cyc), E_OK);
	n = cyc_count;
	tk_dly_tsk(35);
	REQ(cyc_count == n);
	REQ_ER(tk_ref_cyc(cyc, &rc), E_OK);
	REQ(rc.cycstat == TCYC_STP);
	report("tk_stp_cyc stops the cyclic handler");

	REQ_ER(tk_sta_cyc(cyc), E_OK);
	tk_dly_tsk(35);
	REQ(cyc_count >= n + 2);
	REQ_ER(tk_del_cyc(cyc), E_OK);
	REQ_ER(tk_sta_cyc(cyc), E_NOEXS);
	REQ_ER(tk_stp_cyc(cyc), E_NOEXS);
	REQ_ER(tk_sta_cyc(0), E_ID);
	report("tk_sta_cyc restarts it; tk_del_cyc; E_NOEXS/E_ID");

	c.cycphs = 0;
	c.cycatr = TA_HLNG | TA_STA;
	cyc_count = 5;                          /* skip the E_CTX probes */
	cyc = tk_cre_cyc(&c);
	REQ(cyc_count == 6);                    /* phase 0: called at once */
	tk_del_cyc(cyc);
	c.cycatr = TA_HLNG | TA_PHS;            /* created stopped */
	c.cycphs = 10;
	cyc_count = 5;
	cyc = tk_cre_cyc(&c);
	tk_dly_tsk(25);
	REQ(cyc_count == 5);
	tk_sta_cyc(cyc);
	tk_dly_tsk(25);
	REQ(cyc_count >= 6);
	tk_del_cyc(cyc);
	report("cycphs 0 calls at creation; without TA_STA it waits for tk_sta_cyc");

	ca.almhdr = NULL;
	REQ_ER(tk_cre_alm(&ca), E_PAR);
	ca.almhdr = (FP)alm_handler;
	ca.almatr = 0x2;
	REQ_ER(tk_cre_alm(&ca), E_RSATR);
	ca.almatr = TA_HLNG;
	report("tk_cre_alm E_PAR, E_RSATR");

	alm_count = 0;
	alm = tk_cre_alm(&ca);
	REQ(alm > 0);
	REQ_ER(tk_sta_alm(alm, 30), E_OK);
	REQ_ER(tk_ref_alm(alm, &ra), E_OK);
	REQ(ra.almstat == TALM_STA && ra.lfttim <= 30);
	tk_dly_tsk(10);
	REQ(alm_count == 0);
	tk_dly_tsk(30);
	REQ(alm_count == 1);
	REQ_ER(tk_ref_alm(alm, &ra), E_OK);
	REQ(ra.almstat == TALM_STP);
	report("tk_sta_alm: the alarm handler runs once after the time");

	REQ_ER(tk_sta_alm(alm, 20), E_OK);
	REQ_ER(tk_stp_alm(alm), E_OK);
	tk_dly_tsk(30);
	REQ(alm_count == 1);
	REQ_ER(tk_sta_alm(alm, 0), E_OK);       /* immediate */
	REQ(alm_count == 2);
	report("tk_stp_alm cancels; tk_sta_alm(0) calls immediately");

	REQ_ER(tk_del_alm(alm), E_OK);
	REQ_ER(tk_sta_alm(alm, 10), E_NOEXS);
	REQ_ER(tk_stp_alm(-3), E_ID);
	ca.exinf = &main_tid;                   /* handler wakes main */
	alm = tk_cre_alm(&ca);
	c0 = rt_counter();
	tk_sta_alm(alm, 20);
	REQ_ER(tk_slp_tsk(1000), E_OK);
	REQ(rt_counter() - c0 >= 15000);
	tk_del_alm(alm);
	tk_del_sem(hdr_sem);
	report("tk_del_alm; E_NOEXS/E_ID; an alarm handler wakes a task");
}

/* ------------------------------------------------------------------ */
/* interrupts */

static volatile UINT int_no, int_count;
static volatile ID int_tid;

static void int_handler(UINT intno)
{
	rt_test_int_clear();
	int_no = intno;
	int_count++;
	int_tid = tk_get_tid();
	tk_wup_tsk(main_tid);
}

static void test_int(void)
{
	T_DINT d = { .intatr = TA_HLNG, .inthdr = (FP)int_handler };
	UINT intno = rt_intno_test();

	REQ_ER(tk_def_int(100000, &d), E_PAR);
	d.intatr = 0x10;
	REQ_ER(tk_def_int(intno, &d), E_RSATR);
	d.intatr = TA_HLNG;
	d.inthdr = NULL;
	REQ_ER(tk_def_int(intno, &d), E_PAR);
	d.inthdr = (FP)int_handler;
	report("tk_def_int E_PAR, E_RSATR");

	REQ_ER(tk_def_int(intno, &d), E_OK);
	EnableInt(intno, 5);
	int_count = 0;
	rt_test_int_raise(2000);
	REQ_ER(tk_slp_tsk(500), E_OK);
	REQ(int_count == 1 && int_no == intno);
	REQ(int_tid == 0);
	report("tk_def_int: a device interrupt runs the handler");

	rt_test_int_raise(2000);
	REQ_ER(tk_slp_tsk(500), E_OK);
	REQ(int_count == 2);
	REQ_ER(tk_def_int(intno, NULL), E_OK);
	DisableInt(intno);
	rt_test_int_raise(1000);
	REQ_ER(tk_slp_tsk(30), E_TMOUT);
	REQ(int_count == 2);
	rt_test_int_clear();
	ClearInt(intno);
	report("second interrupt; tk_def_int(NULL) and DisableInt stop it");
}

/* ------------------------------------------------------------------ */
/* inter-VM ring, used locally (no notification) */

static void test_ipc(void)
{
	static UW shm[(RTHV_IPC_HDR_SIZE + 4 * 32) / 4];
	rthv_ring_t *r = (rthv_ring_t *)(void *)shm;
	UB msg[32], got[32];
	INT i, k, n;
	BOOL ok = TRUE;

	REQ_ER(rthv_ring_attach(r), E_OBJ);
	REQ_ER(rthv_ring_init(r, 100, 32), E_PAR);
	REQ(rthv_ring_init(r, sizeof(shm), 32) == 4);
	REQ_ER(rthv_ring_attach(r), E_OK);
	REQ(rthv_ring_max_msg(r) == 28);
	REQ_ER(rthv_ring_send(r, msg, 29), E_PAR);
	REQ_ER(rthv_ring_recv(r, got, sizeof(got)), E_TMOUT);
	for (k = 0; k < 4; k++)
		REQ_ER(rthv_ring_send(r, msg, 1), E_OK);
	REQ_ER(rthv_ring_send(r, msg, 1), E_TMOUT);
	REQ(rthv_ring_count(r) == 4);
	while (rthv_ring_recv(r, got, sizeof(got)) > 0)
		;
	for (k = 0; k < 50 && ok; k++) {        /* wraps the indices */
		n = 1 + k % 28;
		for (i = 0; i < n; i++)
			msg[i] = (UB)(k ^ i);
		ok = rthv_ring_send(r, msg, (UW)n) == E_OK &&
		     rthv_ring_recv(r, got, sizeof(got)) == n &&
		     memcmp(msg, got, (UW)n) == 0;
	}
	REQ(ok);
	REQ(rthv_ring_count(r) == 0);
	report("rthv_ipc ring: init/attach, full/empty, wrap-around (local)");
}

/* ------------------------------------------------------------------ */

INT usermain(void)
{
	main_tid = tk_get_tid();
	tk_chg_pri(TSK_SELF, MAIN_PRI);
	tm_printf("selftest: start (max priority %d, tick %d ms)\n", rt_max_tskpri,
		  rt_timer_period);

	test_tasks();
	test_sync();
	test_sem();
	test_flg();
	test_mbx();
	test_mbf();
	test_time();
	test_int();
	test_ipc();

	tm_printf("selftest: %d passed, %d failed\n", npass, nfail);
	return 0;
}
