/*
 * rthv RTOS - service calls, constants and packet structures (tk/syscall.h)
 *
 * Names, packet layouts and constant values follow micro T-Kernel 3.0
 * (with object names enabled).  Only the subset listed in README.md is
 * implemented.
 */
#ifndef TK_SYSCALL_H
#define TK_SYSCALL_H

/* ---- tasks ---- */
#define TSK_SELF    0               /* the invoking task */
#define TPRI_INI    0               /* initial priority (tk_chg_pri) */
#define TPRI_RUN    0               /* priority of the running task (tk_rot_rdq) */

#define TA_ASM      0x00000000U     /* handler/task written in assembler */
#define TA_HLNG     0x00000001U     /* handler/task written in a high level language */
#define TA_USERBUF  0x00000020U     /* user supplied buffer (bufptr) */
#define TA_DSNAME   0x00000040U     /* object name (dsname) supplied */
#define TA_RNG0     0x00000000U     /* protection levels (all run at PL1 here) */
#define TA_RNG1     0x00000100U
#define TA_RNG2     0x00000200U
#define TA_RNG3     0x00000300U

#define TTS_RUN     0x00000001U     /* task states */
#define TTS_RDY     0x00000002U
#define TTS_WAI     0x00000004U
#define TTS_SUS     0x00000008U
#define TTS_WAS     0x0000000cU
#define TTS_DMT     0x00000010U

#define TTW_SLP     0x00000001U     /* wait factors */
#define TTW_DLY     0x00000002U
#define TTW_SEM     0x00000004U
#define TTW_FLG     0x00000008U
#define TTW_MBX     0x00000040U
#define TTW_SMBF    0x00000100U
#define TTW_RMBF    0x00000200U

/* ---- wait queue / object attributes ---- */
#define TA_TFIFO    0x00000000U     /* wait queue in FIFO order */
#define TA_TPRI     0x00000001U     /* wait queue in task priority order */
#define TA_FIRST    0x00000000U     /* semaphore: head of queue served first */
#define TA_CNT      0x00000002U     /* semaphore: smaller requests may overtake */
#define TA_WSGL     0x00000000U     /* event flag: a single waiting task */
#define TA_WMUL     0x00000008U     /* event flag: multiple waiting tasks */
#define TA_CLR      0x00000004U     /* event flag: clear all bits on release
                                       (extension, uITRON 4.0 value) */
#define TA_MFIFO    0x00000000U     /* mailbox: messages in FIFO order */
#define TA_MPRI     0x00000002U     /* mailbox: messages in priority order */
#define TA_STA      0x00000002U     /* cyclic handler: start at creation */
#define TA_PHS      0x00000004U     /* cyclic handler: keep the phase */

#define TWF_ANDW    0x00000000U     /* event flag wait modes */
#define TWF_ORW     0x00000001U
#define TWF_CLR     0x00000010U
#define TWF_BITCLR  0x00000020U

#define TCYC_STP    0x00U
#define TCYC_STA    0x01U
#define TALM_STP    0x00U
#define TALM_STA    0x01U

#define OBJECT_NAME_LENGTH 8

/* ---- packets ---- */
typedef struct t_ctsk {
	void	*exinf;         /* extended information */
	ATR	tskatr;         /* task attribute */
	FP	task;           /* start address: void task(INT stacd, void *exinf) */
	PRI	itskpri;        /* initial priority */
	SZ	stksz;          /* stack size (bytes) */
	UB	dsname[OBJECT_NAME_LENGTH];
	void	*bufptr;        /* stack area when TA_USERBUF */
} T_CTSK;

typedef struct t_rtsk {
	void	*exinf;
	PRI	tskpri;         /* current priority */
	PRI	tskbpri;        /* base priority */
	UINT	tskstat;        /* TTS_* */
	UW	tskwait;        /* TTW_* */
	ID	wid;            /* waited-for object ID */
	INT	wupcnt;         /* queued wakeup requests */
	INT	suscnt;         /* always 0 (no suspend) */
} T_RTSK;

typedef struct t_csem {
	void	*exinf;
	ATR	sematr;
	INT	isemcnt;        /* initial count */
	INT	maxsem;         /* maximum count */
	UB	dsname[OBJECT_NAME_LENGTH];
} T_CSEM;

typedef struct t_rsem {
	void	*exinf;
	ID	wtsk;           /* first waiting task, 0 if none */
	INT	semcnt;
} T_RSEM;

typedef struct t_cflg {
	void	*exinf;
	ATR	flgatr;
	UINT	iflgptn;        /* initial pattern */
	UB	dsname[OBJECT_NAME_LENGTH];
} T_CFLG;

typedef struct t_rflg {
	void	*exinf;
	ID	wtsk;
	UINT	flgptn;
} T_RFLG;

typedef struct t_cmbx {
	void	*exinf;
	ATR	mbxatr;
	UB	dsname[OBJECT_NAME_LENGTH];
} T_CMBX;

typedef struct t_msg {              /* mailbox message header (kernel owned) */
	void	*msgque[1];
} T_MSG;

typedef struct t_msg_pri {          /* header for TA_MPRI mailboxes */
	T_MSG	msgque;
	PRI	msgpri;         /* message priority, 1 is highest */
} T_MSG_PRI;

typedef struct t_rmbx {
	void	*exinf;
	ID	wtsk;
	T_MSG	*pk_msg;        /* next message to be received */
} T_RMBX;

typedef struct t_cmbf {
	void	*exinf;
	ATR	mbfatr;
	SZ	bufsz;          /* ring size in bytes (0: synchronous) */
	INT	maxmsz;         /* maximum message size */
	UB	dsname[OBJECT_NAME_LENGTH];
	void	*bufptr;        /* ring area when TA_USERBUF */
} T_CMBF;

typedef struct t_rmbf {
	void	*exinf;
	ID	wtsk;           /* first receive-waiting task */
	ID	stsk;           /* first send-waiting task */
	INT	msgsz;          /* size of next message, 0 if none */
	SZ	frbufsz;        /* free bytes in ring */
	INT	maxmsz;
} T_RMBF;

typedef struct t_dint {
	ATR	intatr;         /* TA_HLNG */
	FP	inthdr;         /* void inthdr(UINT intno) */
} T_DINT;

typedef struct t_ccyc {
	void	*exinf;
	ATR	cycatr;         /* TA_HLNG | TA_STA | TA_PHS */
	FP	cychdr;         /* void cychdr(void *exinf) */
	RELTIM	cyctim;         /* period (ms), > 0 */
	RELTIM	cycphs;         /* phase (ms) */
	UB	dsname[OBJECT_NAME_LENGTH];
} T_CCYC;

typedef struct t_rcyc {
	void	*exinf;
	RELTIM	lfttim;         /* time left to next activation */
	UINT	cycstat;        /* TCYC_STA / TCYC_STP */
} T_RCYC;

typedef struct t_calm {
	void	*exinf;
	ATR	almatr;         /* TA_HLNG */
	FP	almhdr;         /* void almhdr(void *exinf) */
	UB	dsname[OBJECT_NAME_LENGTH];
} T_CALM;

typedef struct t_ralm {
	void	*exinf;
	RELTIM	lfttim;
	UINT	almstat;        /* TALM_STA / TALM_STP */
} T_RALM;

/* ---- service calls ---- */
/* task management */
ID   tk_cre_tsk(CONST T_CTSK *pk_ctsk);
ER   tk_del_tsk(ID tskid);
ER   tk_sta_tsk(ID tskid, INT stacd);
void tk_ext_tsk(void) __attribute__((noreturn));
ER   tk_ter_tsk(ID tskid);
ER   tk_chg_pri(ID tskid, PRI tskpri);
ER   tk_rot_rdq(PRI tskpri);
ID   tk_get_tid(void);
ER   tk_ref_tsk(ID tskid, T_RTSK *pk_rtsk);
ER   tk_rel_wai(ID tskid);
ER   tk_dis_dsp(void);
ER   tk_ena_dsp(void);
/* task-dependent synchronisation */
ER   tk_slp_tsk(TMO tmout);
ER   tk_wup_tsk(ID tskid);
INT  tk_can_wup(ID tskid);
ER   tk_dly_tsk(RELTIM dlytim);
/* semaphores */
ID   tk_cre_sem(CONST T_CSEM *pk_csem);
ER   tk_del_sem(ID semid);
ER   tk_sig_sem(ID semid, INT cnt);
ER   tk_wai_sem(ID semid, INT cnt, TMO tmout);
ER   tk_ref_sem(ID semid, T_RSEM *pk_rsem);
/* event flags */
ID   tk_cre_flg(CONST T_CFLG *pk_cflg);
ER   tk_del_flg(ID flgid);
ER   tk_set_flg(ID flgid, UINT setptn);
ER   tk_clr_flg(ID flgid, UINT clrptn);
ER   tk_wai_flg(ID flgid, UINT waiptn, UINT wfmode, UINT *p_flgptn, TMO tmout);
ER   tk_ref_flg(ID flgid, T_RFLG *pk_rflg);
/* mailboxes */
ID   tk_cre_mbx(CONST T_CMBX *pk_cmbx);
ER   tk_del_mbx(ID mbxid);
ER   tk_snd_mbx(ID mbxid, T_MSG *pk_msg);
ER   tk_rcv_mbx(ID mbxid, T_MSG **ppk_msg, TMO tmout);
ER   tk_ref_mbx(ID mbxid, T_RMBX *pk_rmbx);
/* message buffers */
ID   tk_cre_mbf(CONST T_CMBF *pk_cmbf);
ER   tk_del_mbf(ID mbfid);
ER   tk_snd_mbf(ID mbfid, CONST void *msg, INT msgsz, TMO tmout);
INT  tk_rcv_mbf(ID mbfid, void *msg, TMO tmout);
ER   tk_ref_mbf(ID mbfid, T_RMBF *pk_rmbf);
/* time management */
ER   tk_set_tim(CONST SYSTIM *pk_tim);
ER   tk_get_tim(SYSTIM *pk_tim);
ER   tk_get_otm(SYSTIM *pk_tim);
ID   tk_cre_cyc(CONST T_CCYC *pk_ccyc);
ER   tk_del_cyc(ID cycid);
ER   tk_sta_cyc(ID cycid);
ER   tk_stp_cyc(ID cycid);
ER   tk_ref_cyc(ID cycid, T_RCYC *pk_rcyc);
ID   tk_cre_alm(CONST T_CALM *pk_calm);
ER   tk_del_alm(ID almid);
ER   tk_sta_alm(ID almid, RELTIM almtim);
ER   tk_stp_alm(ID almid);
ER   tk_ref_alm(ID almid, T_RALM *pk_ralm);
/* interrupts */
ER   tk_def_int(UINT intno, CONST T_DINT *pk_dint);

#endif
