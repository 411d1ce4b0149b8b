/*
 * rthv RTOS - system tick, timer event queue, time management, cyclic
 * handlers and alarm handlers
 *
 * Time is kept in ms and advances by CFN_TIMER_PERIOD at each tick.  A
 * timeout of t ms expires at the first tick at least t ms after the
 * call, i.e. at knl_current_time + t + CFN_TIMER_PERIOD (the call can be
 * anywhere inside the current tick).  Cyclic and alarm handlers run in
 * the tick interrupt (task-independent part, IRQs masked).
 */
#include "knl.h"

UD knl_current_time;
static D knl_time_offset;               /* tk_set_tim: system - operating */
static QUEUE knl_timer_queue;

UD knl_tmout_time(RELTIM tmout)
{
	return knl_current_time + tmout + CFN_TIMER_PERIOD;
}

void knl_timer_insert(TMEB *e, UD time, void (*cb)(void *), void *arg)
{
	QUEUE *q;

	e->time = time;
	e->cb = cb;
	e->arg = arg;
	for (q = knl_timer_queue.next; q != &knl_timer_queue; q = q->next)
		if (CONTAINER(q, TMEB, q)->time > time)
			break;
	que_insert(&e->q, q);
}

void knl_timer_delete(TMEB *e)
{
	que_remove(&e->q);
}

/*
 * The tick interrupt.  The BSP reports how many tick periods have passed
 * (more than one if the interrupt was taken late, e.g. while the
 * hypervisor ran another VM); each is processed as its own tick, so time
 * never drifts and no timeout or cyclic activation is skipped.
 */
static void knl_tick(UINT intno)
{
	UW n = bsp_tick_clear();

	(void)intno;
	while (n-- > 0) {
		knl_current_time += CFN_TIMER_PERIOD;
		while (!que_empty(&knl_timer_queue)) {
			TMEB *e = CONTAINER(knl_timer_queue.next, TMEB, q);
			if (e->time > knl_current_time)
				break;
			que_remove(&e->q);
			e->cb(e->arg);
		}
	}
}

void knl_timer_init(void)
{
	que_init(&knl_timer_queue);
	knl_int_set_handler(BSP_TICK_INTNO, (FP)knl_tick);
	EnableInt(BSP_TICK_INTNO, CFN_INT_PRIORITY);
	bsp_tick_start(CFN_TIMER_PERIOD * 1000U);
}

/* ---- system time ---- */

static void to_systim(SYSTIM *st, D v)
{
	st->hi = (W)(v >> 32);
	st->lo = (UW)v;
}

ER tk_set_tim(CONST SYSTIM *pk_tim)
{
	CHECK_PAR(pk_tim->hi >= 0);
	BEGIN_CRITICAL_SECTION;
	knl_time_offset = (D)(((UD)(UW)pk_tim->hi << 32) | pk_tim->lo) -
			  (D)knl_current_time;
	END_CRITICAL_SECTION;
	return E_OK;
}

ER tk_get_tim(SYSTIM *pk_tim)
{
	BEGIN_CRITICAL_SECTION;
	to_systim(pk_tim, (D)knl_current_time + knl_time_offset);
	END_CRITICAL_SECTION;
	return E_OK;
}

ER tk_get_otm(SYSTIM *pk_tim)
{
	BEGIN_CRITICAL_SECTION;
	to_systim(pk_tim, (D)knl_current_time);
	END_CRITICAL_SECTION;
	return E_OK;
}

/* time left until an event at tm, as tk_ref_cyc/tk_ref_alm report it */
static RELTIM left_time(UD tm)
{
	UD now = knl_current_time + CFN_TIMER_PERIOD;
	return (tm > now) ? (RELTIM)(tm - now) : 0;
}

/* call a handler from a service call, as the tick would */
static void call_handler(FP hdr, void *exinf)
{
	knl_taskindp++;
	((void (*)(void *))hdr)(exinf);
	knl_taskindp--;
}

/* ---- cyclic handlers ---- */

typedef struct cyccb {
	void	*exinf;
	ATR	cycatr;
	FP	cychdr;         /* NULL: not created */
	RELTIM	cyctim;
	UINT	cycstat;
	TMEB	tmeb;           /* tmeb.time: next activation (also when stopped) */
} CYCCB;

static CYCCB knl_cyccb[CFN_MAX_CYCID];

/* first activation time after now on the cycle grid of c */
static UD cyc_next_time(CYCCB *c)
{
	UD tm = c->tmeb.time + c->cyctim;

	if (tm <= knl_current_time)
		tm += ((knl_current_time - tm) / c->cyctim + 1) * c->cyctim;
	return tm;
}

static void cyc_fire(void *arg)
{
	CYCCB *c = arg;

	knl_timer_insert(&c->tmeb, cyc_next_time(c), cyc_fire, c);
	((void (*)(void *))c->cychdr)(c->exinf);
}

#define GET_CYC(id)     (&knl_cyccb[(id) - 1])

ID tk_cre_cyc(CONST T_CCYC *pk)
{
	CYCCB *c = NULL;
	ID id = E_LIMIT;
	INT i;
	UD tm;

	CHECK_RSATR(pk->cycatr, TA_HLNG | TA_STA | TA_PHS | TA_DSNAME);
	CHECK_PAR(pk->cychdr != NULL);
	CHECK_PAR(pk->cyctim > 0);
	CHECK_RELTIM(pk->cyctim);
	CHECK_RELTIM(pk->cycphs);
	BEGIN_CRITICAL_SECTION;
	for (i = 0; i < CFN_MAX_CYCID && c == NULL; i++) {
		if (knl_cyccb[i].cychdr == NULL) {
			c = &knl_cyccb[i];
			id = i + 1;
		}
	}
	if (c != NULL) {
		c->exinf = pk->exinf;
		c->cycatr = pk->cycatr;
		c->cychdr = pk->cychdr;
		c->cyctim = pk->cyctim;
		que_init(&c->tmeb.q);
		tm = knl_tmout_time(pk->cycphs);
		c->tmeb.time = tm;
		c->cycstat = (pk->cycatr & TA_STA) ? TCYC_STA : TCYC_STP;
		if (pk->cycatr & TA_STA) {
			if (pk->cycphs == 0) {  /* phase 0: first call right now */
				knl_timer_insert(&c->tmeb, cyc_next_time(c), cyc_fire, c);
				call_handler(c->cychdr, c->exinf);
			} else {
				knl_timer_insert(&c->tmeb, tm, cyc_fire, c);
			}
		}
	}
	END_CRITICAL_SECTION;
	return id;
}

#define CYC_PROLOGUE(cycid) \
	CYCCB *c; ER ercd = E_OK; \
	CHECK_ID(cycid, CFN_MAX_CYCID); \
	c = GET_CYC(cycid); \
	BEGIN_CRITICAL_SECTION; \
	if (c->cychdr == NULL) { ercd = E_NOEXS; } else

ER tk_del_cyc(ID cycid)
{
	CYC_PROLOGUE(cycid) {
		knl_timer_delete(&c->tmeb);
		c->cychdr = NULL;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_sta_cyc(ID cycid)
{
	CYC_PROLOGUE(cycid) {
		if (c->cycatr & TA_PHS) {
			if (c->cycstat == TCYC_STP) {   /* resume on the old grid */
				UD tm = c->tmeb.time;
				if (tm <= knl_current_time)
					tm = cyc_next_time(c);
				knl_timer_insert(&c->tmeb, tm, cyc_fire, c);
			}
		} else {                                /* restart the cycle now */
			knl_timer_delete(&c->tmeb);
			knl_timer_insert(&c->tmeb, knl_tmout_time(c->cyctim), cyc_fire, c);
		}
		c->cycstat = TCYC_STA;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_stp_cyc(ID cycid)
{
	CYC_PROLOGUE(cycid) {
		knl_timer_delete(&c->tmeb);
		c->cycstat = TCYC_STP;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_ref_cyc(ID cycid, T_RCYC *pk)
{
	CYC_PROLOGUE(cycid) {
		UD tm = c->tmeb.time;
		if (c->cycstat == TCYC_STP && tm <= knl_current_time)
			tm = cyc_next_time(c);
		pk->exinf = c->exinf;
		pk->lfttim = left_time(tm);
		pk->cycstat = c->cycstat;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

/* ---- alarm handlers ---- */

typedef struct almcb {
	void	*exinf;
	FP	almhdr;         /* NULL: not created */
	UINT	almstat;
	TMEB	tmeb;
} ALMCB;

static ALMCB knl_almcb[CFN_MAX_ALMID];

static void alm_fire(void *arg)
{
	ALMCB *a = arg;

	a->almstat = TALM_STP;
	((void (*)(void *))a->almhdr)(a->exinf);
}

ID tk_cre_alm(CONST T_CALM *pk)
{
	ID id = E_LIMIT;
	INT i;

	CHECK_RSATR(pk->almatr, TA_HLNG | TA_DSNAME);
	CHECK_PAR(pk->almhdr != NULL);
	BEGIN_CRITICAL_SECTION;
	for (i = 0; i < CFN_MAX_ALMID; i++) {
		ALMCB *a = &knl_almcb[i];
		if (a->almhdr == NULL) {
			a->exinf = pk->exinf;
			a->almhdr = pk->almhdr;
			a->almstat = TALM_STP;
			que_init(&a->tmeb.q);
			id = i + 1;
			break;
		}
	}
	END_CRITICAL_SECTION;
	return id;
}

#define ALM_PROLOGUE(almid) \
	ALMCB *a; ER ercd = E_OK; \
	CHECK_ID(almid, CFN_MAX_ALMID); \
	a = &knl_almcb[(almid) - 1]; \
	BEGIN_CRITICAL_SECTION; \
	if (a->almhdr == NULL) { ercd = E_NOEXS; } else

ER tk_del_alm(ID almid)
{
	ALM_PROLOGUE(almid) {
		knl_timer_delete(&a->tmeb);
		a->almhdr = NULL;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_sta_alm(ID almid, RELTIM almtim)
{
	CHECK_RELTIM(almtim);
	{
		ALM_PROLOGUE(almid) {
			knl_timer_delete(&a->tmeb);
			if (almtim > 0) {
				knl_timer_insert(&a->tmeb, knl_tmout_time(almtim), alm_fire, a);
				a->almstat = TALM_STA;
			} else {
				a->almstat = TALM_STP;
				call_handler(a->almhdr, a->exinf);
			}
		}
		END_CRITICAL_SECTION;
		return ercd;
	}
}

ER tk_stp_alm(ID almid)
{
	ALM_PROLOGUE(almid) {
		knl_timer_delete(&a->tmeb);
		a->almstat = TALM_STP;
	}
	END_CRITICAL_SECTION;
	return ercd;
}

ER tk_ref_alm(ID almid, T_RALM *pk)
{
	ALM_PROLOGUE(almid) {
		pk->exinf = a->exinf;
		pk->lfttim = (a->almstat == TALM_STA) ? left_time(a->tmeb.time) : 0;
		pk->almstat = a->almstat;
	}
	END_CRITICAL_SECTION;
	return ercd;
}
