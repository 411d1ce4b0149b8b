/*
 * rthv RTOS - semaphores, event flags and mailboxes
 */
#include "knl.h"

/* common prologue of the ID-based calls: look up, lock, check existence */
#define OBJ_PROLOGUE(type, tbl, id, max) \
	type *o; ER ercd = E_OK; \
	CHECK_ID(id, max); \
	o = &tbl[(id) - 1]; \
	BEGIN_CRITICAL_SECTION; \
	if (!o->exists) { ercd = E_NOEXS; } else

/* find a free control block; returns its ID or E_LIMIT */
#define OBJ_ALLOC(tbl, max, o, id) do { \
	INT i_; (id) = E_LIMIT; \
	for (i_ = 0; i_ < (max); i_++) \
		if (!tbl[i_].exists) { (o) = &tbl[i_]; (id) = i_ + 1; break; } \
	} while (0)

/* ======================== semaphores ======================== */

typedef struct semcb {
	QUEUE	wait_queue;
	BOOL	exists;
	ID	semid;
	void	*exinf;
	ATR	sematr;
	INT	semcnt;
	INT	maxsem;
} SEMCB;

static SEMCB knl_semcb[CFN_MAX_SEMID];

/* give the count to waiters: the head only (TA_FIRST) or any that fits
   in queue order (TA_CNT) */
static void sem_serve(void *obj)
{
	SEMCB *s = obj;
	QUEUE *q = s->wait_queue.next;

	while (q != &s->wait_queue) {
		TCB *t = CONTAINER(q, TCB, tskque);
		q = q->next;
		if (t->winfo.sem.cnt <= s->semcnt) {
			s->semcnt -= t->winfo.sem.cnt;
			knl_wait_release(t, E_OK);
		} else if (!(s->sematr & TA_CNT)) {
			break;
		}
	}
}

static const WSPEC wspec_sem = { TTW_SEM, sem_serve };

ID tk_cre_sem(CONST T_CSEM *pk)
{
	SEMCB *o = NULL;
	ID id;

	CHECK_RSATR(pk->sematr, TA_TPRI | TA_CNT | TA_DSNAME);
	CHECK_PAR(pk->isemcnt >= 0 && pk->maxsem > 0 && pk->isemcnt <= pk->maxsem);
	BEGIN_CRITICAL_SECTION;
	OBJ_ALLOC(knl_semcb, CFN_MAX_SEMID, o, id);
	if (o != NULL) {
		que_init(&o->wait_queue);
		o->exists = TRUE;
		o->semid = id;
		o->exinf = pk->exinf;
		o->sematr = pk->sematr;
		o->semcnt = pk->isemcnt;
		o->maxsem = pk->maxsem;
	}
	END_CRITICAL_SECTION;
	return id;
}

ER tk_del_sem(ID semid)
{
	OBJ_PROLOGUE(SEMCB, knl_semcb, semid, CFN_MAX_SEMID) {
		knl_wait_delete(&o->wait_queue);
		o->exists = FALSE;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_sig_sem(ID semid, INT cnt)
{
	CHECK_PAR(cnt > 0);
	{
		OBJ_PROLOGUE(SEMCB, knl_semcb, semid, CFN_MAX_SEMID) {
			if (cnt > o->maxsem - o->semcnt) {
				ercd = E_QOVR;
			} else {
				o->semcnt += cnt;
				sem_serve(o);
			}
		}
		END_CRITICAL_SECTION;
		return ercd;
	}
}

ER tk_wai_sem(ID semid, INT cnt, TMO tmout)
{
	CHECK_PAR(cnt > 0);
	CHECK_TMOUT(tmout);
	CHECK_DISPATCH_POL(tmout);
	{
		OBJ_PROLOGUE(SEMCB, knl_semcb, semid, CFN_MAX_SEMID) {
			if (cnt > o->maxsem) {
				ercd = E_PAR;
			} else if (o->semcnt >= cnt &&
				   ((o->sematr & TA_CNT) || que_empty(&o->wait_queue))) {
				o->semcnt -= cnt;
			} else if (tmout == TMO_POL) {
				ercd = E_TMOUT;
			} else {
				knl_ctxtsk->winfo.sem.cnt = cnt;
				knl_make_wait(&wspec_sem, &o->wait_queue, o->sematr & TA_TPRI,
					      o, semid, tmout, &ercd);
			}
		}
		END_CRITICAL_SECTION;
		return ercd;
	}
}

ER tk_ref_sem(ID semid, T_RSEM *pk)
{
	OBJ_PROLOGUE(SEMCB, knl_semcb, semid, CFN_MAX_SEMID) {
		pk->exinf = o->exinf;
		pk->wtsk = knl_wait_tskid(&o->wait_queue);
		pk->semcnt = o->semcnt;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

/* ======================== event flags ======================== */

typedef struct flgcb {
	QUEUE	wait_queue;
	BOOL	exists;
	void	*exinf;
	ATR	flgatr;
	UINT	flgptn;
} FLGCB;

static FLGCB knl_flgcb[CFN_MAX_FLGID];

static BOOL flg_cond(FLGCB *f, UINT waiptn, UINT wfmode)
{
	return (wfmode & TWF_ORW) ? (f->flgptn & waiptn) != 0
				  : (f->flgptn & waiptn) == waiptn;
}

/* a wait on f succeeded: report the pattern, then clear as requested */
static void flg_consume(FLGCB *f, UINT waiptn, UINT wfmode, UINT *p_flgptn)
{
	*p_flgptn = f->flgptn;
	if ((wfmode & TWF_CLR) || (f->flgatr & TA_CLR))
		f->flgptn = 0;
	else if (wfmode & TWF_BITCLR)
		f->flgptn &= ~waiptn;
}

static const WSPEC wspec_flg = { TTW_FLG, NULL };

ID tk_cre_flg(CONST T_CFLG *pk)
{
	FLGCB *o = NULL;
	ID id;

	CHECK_RSATR(pk->flgatr, TA_TPRI | TA_WMUL | TA_CLR | TA_DSNAME);
	BEGIN_CRITICAL_SECTION;
	OBJ_ALLOC(knl_flgcb, CFN_MAX_FLGID, o, id);
	if (o != NULL) {
		que_init(&o->wait_queue);
		o->exists = TRUE;
		o->exinf = pk->exinf;
		o->flgatr = pk->flgatr;
		o->flgptn = pk->iflgptn;
	}
	END_CRITICAL_SECTION;
	return id;
}

ER tk_del_flg(ID flgid)
{
	OBJ_PROLOGUE(FLGCB, knl_flgcb, flgid, CFN_MAX_FLGID) {
		knl_wait_delete(&o->wait_queue);
		o->exists = FALSE;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_set_flg(ID flgid, UINT setptn)
{
	OBJ_PROLOGUE(FLGCB, knl_flgcb, flgid, CFN_MAX_FLGID) {
		QUEUE *q = o->wait_queue.next;
		o->flgptn |= setptn;
		while (q != &o->wait_queue && o->flgptn != 0) {
			TCB *t = CONTAINER(q, TCB, tskque);
			q = q->next;
			if (flg_cond(o, t->winfo.flg.waiptn, t->winfo.flg.wfmode)) {
				flg_consume(o, t->winfo.flg.waiptn, t->winfo.flg.wfmode,
					    t->winfo.flg.p_flgptn);
				knl_wait_release(t, E_OK);
			}
		}
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_clr_flg(ID flgid, UINT clrptn)
{
	OBJ_PROLOGUE(FLGCB, knl_flgcb, flgid, CFN_MAX_FLGID) {
		o->flgptn &= clrptn;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_wai_flg(ID flgid, UINT waiptn, UINT wfmode, UINT *p_flgptn, TMO tmout)
{
	CHECK_PAR(waiptn != 0);
	CHECK_PAR((wfmode & ~(TWF_ORW | TWF_CLR | TWF_BITCLR)) == 0);
	CHECK_TMOUT(tmout);
	CHECK_DISPATCH_POL(tmout);
	{
		OBJ_PROLOGUE(FLGCB, knl_flgcb, flgid, CFN_MAX_FLGID) {
			if (!(o->flgatr & TA_WMUL) && !que_empty(&o->wait_queue)) {
				ercd = E_OBJ;
			} else if (flg_cond(o, waiptn, wfmode)) {
				flg_consume(o, waiptn, wfmode, p_flgptn);
			} else if (tmout == TMO_POL) {
				ercd = E_TMOUT;
			} else {
				knl_ctxtsk->winfo.flg.waiptn = waiptn;
				knl_ctxtsk->winfo.flg.wfmode = wfmode;
				knl_ctxtsk->winfo.flg.p_flgptn = p_flgptn;
				knl_make_wait(&wspec_flg, &o->wait_queue, o->flgatr & TA_TPRI,
					      o, flgid, tmout, &ercd);
			}
		}
		END_CRITICAL_SECTION;
		return ercd;
	}
}

ER tk_ref_flg(ID flgid, T_RFLG *pk)
{
	OBJ_PROLOGUE(FLGCB, knl_flgcb, flgid, CFN_MAX_FLGID) {
		pk->exinf = o->exinf;
		pk->wtsk = knl_wait_tskid(&o->wait_queue);
		pk->flgptn = o->flgptn;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

/* ======================== mailboxes ======================== */

typedef struct mbxcb {
	QUEUE	wait_queue;
	BOOL	exists;
	void	*exinf;
	ATR	mbxatr;
	T_MSG	*head;          /* message list linked through msgque[0] */
} MBXCB;

static MBXCB knl_mbxcb[CFN_MAX_MBXID];
static const WSPEC wspec_mbx = { TTW_MBX, NULL };

#define MSG_NEXT(m)     (*(T_MSG **)&(m)->msgque[0])
#define MSG_PRI(m)      (((T_MSG_PRI *)(void *)(m))->msgpri)

ID tk_cre_mbx(CONST T_CMBX *pk)
{
	MBXCB *o = NULL;
	ID id;

	CHECK_RSATR(pk->mbxatr, TA_TPRI | TA_MPRI | TA_DSNAME);
	BEGIN_CRITICAL_SECTION;
	OBJ_ALLOC(knl_mbxcb, CFN_MAX_MBXID, o, id);
	if (o != NULL) {
		que_init(&o->wait_queue);
		o->exists = TRUE;
		o->exinf = pk->exinf;
		o->mbxatr = pk->mbxatr;
		o->head = NULL;
	}
	END_CRITICAL_SECTION;
	return id;
}

ER tk_del_mbx(ID mbxid)
{
	OBJ_PROLOGUE(MBXCB, knl_mbxcb, mbxid, CFN_MAX_MBXID) {
		knl_wait_delete(&o->wait_queue);
		o->exists = FALSE;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_snd_mbx(ID mbxid, T_MSG *pk_msg)
{
	CHECK_PAR(pk_msg != NULL);
	{
		OBJ_PROLOGUE(MBXCB, knl_mbxcb, mbxid, CFN_MAX_MBXID) {
			if ((o->mbxatr & TA_MPRI) && MSG_PRI(pk_msg) <= 0) {
				ercd = E_PAR;
			} else if (!que_empty(&o->wait_queue)) {
				TCB *t = WAIT_HEAD(&o->wait_queue);
				*t->winfo.mbx.ppk_msg = pk_msg;
				knl_wait_release(t, E_OK);
			} else {
				/* insert: at the tail, or after messages of
				   equal or higher priority */
				T_MSG **pp = &o->head;
				while (*pp != NULL && (!(o->mbxatr & TA_MPRI) ||
						      MSG_PRI(*pp) <= MSG_PRI(pk_msg)))
					pp = &MSG_NEXT(*pp);
				MSG_NEXT(pk_msg) = *pp;
				*pp = pk_msg;
			}
		}
		END_CRITICAL_SECTION;
		return ercd;
	}
}

ER tk_rcv_mbx(ID mbxid, T_MSG **ppk_msg, TMO tmout)
{
	CHECK_TMOUT(tmout);
	CHECK_DISPATCH_POL(tmout);
	{
		OBJ_PROLOGUE(MBXCB, knl_mbxcb, mbxid, CFN_MAX_MBXID) {
			if (o->head != NULL) {
				*ppk_msg = o->head;
				o->head = MSG_NEXT(o->head);
			} else if (tmout == TMO_POL) {
				ercd = E_TMOUT;
			} else {
				knl_ctxtsk->winfo.mbx.ppk_msg = ppk_msg;
				knl_make_wait(&wspec_mbx, &o->wait_queue, o->mbxatr & TA_TPRI,
					      o, mbxid, tmout, &ercd);
			}
		}
		END_CRITICAL_SECTION;
		return ercd;
	}
}

ER tk_ref_mbx(ID mbxid, T_RMBX *pk)
{
	OBJ_PROLOGUE(MBXCB, knl_mbxcb, mbxid, CFN_MAX_MBXID) {
		pk->exinf = o->exinf;
		pk->wtsk = knl_wait_tskid(&o->wait_queue);
		pk->pk_msg = o->head;
	}
	END_CRITICAL_SECTION;
	return ercd;
}
