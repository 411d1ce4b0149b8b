/*
 * rthv RTOS - kernel internal definitions
 */
#ifndef KNL_H
#define KNL_H

#include <tk/tkernel.h>
#include "config.h"
#include "bsp.h"

#define OFFSETOF(t, m)          __builtin_offsetof(t, m)
#define CONTAINER(p, t, m)      ((t *)(void *)((char *)(p) - OFFSETOF(t, m)))
#define NELEM(a)                (sizeof(a) / sizeof((a)[0]))

/* ---- doubly linked circular queues ---- */
typedef struct queue {
	struct queue *next, *prev;
} QUEUE;

static inline void que_init(QUEUE *q) { q->next = q->prev = q; }
static inline BOOL que_empty(const QUEUE *q) { return q->next == q; }
/* insert e just before q (at the tail when q is a queue head) */
static inline void que_insert(QUEUE *e, QUEUE *q)
{
	e->prev = q->prev;
	e->next = q;
	q->prev->next = e;
	q->prev = e;
}
/* remove e; harmless on a self-linked (detached) entry */
static inline void que_remove(QUEUE *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->next = e->prev = e;
}

/* ---- CPU status ---- */
static inline UW knl_disint(void)
{
	UW cpsr;
	__asm__ volatile("mrs %0, cpsr\n\tcpsid i" : "=r"(cpsr) : : "memory");
	return cpsr;
}
static inline void knl_setint(UW cpsr)
{
	__asm__ volatile("msr cpsr_c, %0" : : "r"(cpsr) : "memory");
}

/* ---- timer events (kernel/timer.c) ---- */
typedef struct tmeb {
	QUEUE	q;              /* timer queue link, self-linked when idle */
	UD	time;           /* expiry, absolute ms of knl_current_time */
	void	(*cb)(void *);  /* called in the tick interrupt */
	void	*arg;
} TMEB;

extern UD knl_current_time;     /* ms since start, advanced by the tick */
void knl_timer_init(void);
void knl_timer_insert(TMEB *e, UD time, void (*cb)(void *), void *arg);
void knl_timer_delete(TMEB *e);
UD   knl_tmout_time(RELTIM tmout); /* expiry for "at least tmout ms" */

/* ---- tasks ---- */
enum { TS_NONEXIST = 0, TS_READY = 1, TS_WAIT = 2, TS_DORMANT = 4 };

typedef struct wspec {
	UW	ttw;                    /* TTW_* wait factor */
	void	(*recheck)(void *obj);  /* a waiter left/moved: serve others */
} WSPEC;

typedef union winfo {
	struct { INT cnt; } sem;
	struct { UINT waiptn, wfmode; UINT *p_flgptn; } flg;
	struct { T_MSG **ppk_msg; } mbx;
	struct { void *msg; INT msgsz; INT *p_msgsz; } mbf;
} WINFO;

typedef struct tcb {
	void	*sp;            /* saved context; offset 0 is used by start.S */
	QUEUE	tskque;         /* ready queue or wait queue link */
	ID	tskid;
	UB	state;          /* TS_* */
	UB	wtpri;          /* waiting in a priority-ordered queue */
	INT	priority;       /* current priority, internal (0 = highest) */
	INT	ipriority;      /* initial priority, internal */
	ATR	tskatr;
	FP	task;
	void	*exinf;
	void	*stack;         /* stack area and its size */
	SZ	stksz;
	INT	wupcnt;         /* queued wakeup requests */
	const WSPEC *wspec;     /* valid while waiting */
	void	*wobj;          /* waited-for control block */
	QUEUE	*wqueue;        /* its wait queue (NULL: none) */
	ID	wid;            /* its ID */
	ER	*wercd;         /* where the wait result goes */
	TMEB	wtmeb;          /* timeout */
	WINFO	winfo;
} TCB;

extern TCB *knl_ctxtsk;         /* running task (context on the CPU) */
extern TCB *knl_schedtsk;       /* task that should run */
extern UW knl_taskindp;         /* > 0 inside interrupt/timer handlers */
extern UW knl_dsp_disabled;     /* tk_dis_dsp */
extern TCB knl_tcb_table[CFN_MAX_TSKID];

#define IN_INDP()       (knl_taskindp != 0)
#define INT_PRI(p)      ((p) - 1)       /* external <-> internal priority */
#define EXT_PRI(p)      ((p) + 1)

void knl_dispatch(void);                        /* start.S */
void knl_dispatch_nosave(void) __attribute__((noreturn));

#define BEGIN_CRITICAL_SECTION  { UW cpsr_ = knl_disint();
#define END_CRITICAL_SECTION \
	if (knl_ctxtsk != knl_schedtsk && !IN_INDP() && !knl_dsp_disabled) \
		knl_dispatch(); \
	knl_setint(cpsr_); }

/* scheduler (kernel/task.c) */
void knl_task_init(void);
void knl_make_ready(TCB *t);
void knl_make_non_ready(TCB *t);
void knl_change_priority(TCB *t, INT pri);
ID   knl_create_task(CONST T_CTSK *pk, BOOL internal, TCB *itcb);
void knl_start_task(TCB *t, INT stacd);

/* waiting (kernel/task.c) */
void knl_make_wait(const WSPEC *spec, QUEUE *wq, BOOL tpri, void *obj, ID wid,
		   TMO tmout, ER *p_ercd);
void knl_wait_release(TCB *t, ER ercd);
void knl_wait_delete(QUEUE *wq);
ID   knl_wait_tskid(QUEUE *wq);
#define WAIT_HEAD(wq)   CONTAINER((wq)->next, TCB, tskque)

/* interrupts (kernel/int.c) */
void knl_int_init(void);
void knl_int_set_handler(UINT intno, FP hdr);
void knl_int_halt(void);

/* memory (kernel/memory.c) */
void knl_mem_init(void);
void *knl_malloc(SZ size);
void knl_free(void *p);

/* object initialisation */
void knl_sem_init(void);
void knl_flg_init(void);
void knl_mbx_init(void);
void knl_mbf_init(void);
void knl_cyc_alm_init(void);

/* parameter checks, returning the error from the calling service call */
#define CHECK_PAR(e)            do { if (!(e)) return E_PAR; } while (0)
#define CHECK_RSATR(a, ok)      do { if ((a) & ~(ATR)(ok)) return E_RSATR; } while (0)
#define CHECK_PRI(p)            CHECK_PAR((p) >= 1 && (p) <= CFN_MAX_TSKPRI)
#define CHECK_TMOUT(t)          CHECK_PAR((t) >= TMO_FEVR)
#define CHECK_RELTIM(t)         CHECK_PAR((UW)(t) <= 0x7fffffffU)
#define CHECK_ID(id, max)       do { if ((id) < 1 || (id) > (max)) return E_ID; } while (0)
#define CHECK_INTSK()           do { if (IN_INDP()) return E_CTX; } while (0)
#define CHECK_DISPATCH()        do { if (IN_INDP() || knl_dsp_disabled) return E_CTX; } while (0)
#define CHECK_DISPATCH_POL(t) \
	do { if ((t) != TMO_POL && (IN_INDP() || knl_dsp_disabled)) return E_CTX; } while (0)

#endif
