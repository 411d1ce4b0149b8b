/*
 * rthv RTOS - message buffers
 *
 * Messages are kept in a byte ring as a 4-byte size header followed by
 * the data, each wrapping freely.  bufsz == 0 gives synchronous
 * (rendezvous style) transfer.  The send wait queue follows TA_TFIFO /
 * TA_TPRI; the receive wait queue is FIFO.
 */
#include "knl.h"

#define HDRSZ   ((SZ)sizeof(INT))

typedef struct mbfcb {
	QUEUE	send_queue;
	QUEUE	recv_queue;
	BOOL	exists;
	void	*exinf;
	ATR	mbfatr;
	UB	*buf;
	SZ	bufsz;
	INT	maxmsz;
	SZ	rd, wr, used;   /* ring read/write offsets, bytes in use */
} MBFCB;

static MBFCB knl_mbfcb[CFN_MAX_MBFID];

static void ring_put(MBFCB *m, const void *src, SZ n)
{
	SZ first = m->bufsz - m->wr;

	if (first > n)
		first = n;
	memcpy(m->buf + m->wr, src, (UW)first);
	memcpy(m->buf, (const UB *)src + first, (UW)(n - first));
	m->wr = (m->wr + n) % m->bufsz;
	m->used += n;
}

static void ring_get(MBFCB *m, void *dst, SZ n)
{
	SZ first = m->bufsz - m->rd;

	if (first > n)
		first = n;
	memcpy(dst, m->buf + m->rd, (UW)first);
	memcpy((UB *)dst + first, m->buf, (UW)(n - first));
	m->rd = (m->rd + n) % m->bufsz;
	m->used -= n;
}

static BOOL msg_fits(MBFCB *m, INT msgsz)
{
	return msgsz + HDRSZ <= m->bufsz - m->used;
}

static void msg_put(MBFCB *m, const void *msg, INT msgsz)
{
	ring_put(m, &msgsz, HDRSZ);
	ring_put(m, msg, msgsz);
}

/* move waiting senders' messages into the ring while they fit, in order */
static void mbf_serve_senders(void *obj)
{
	MBFCB *m = obj;

	while (!que_empty(&m->send_queue)) {
		TCB *t = WAIT_HEAD(&m->send_queue);
		if (!msg_fits(m, t->winfo.mbf.msgsz))
			break;
		msg_put(m, t->winfo.mbf.msg, t->winfo.mbf.msgsz);
		knl_wait_release(t, E_OK);
	}
}

static const WSPEC wspec_smbf = { TTW_SMBF, mbf_serve_senders };
static const WSPEC wspec_rmbf = { TTW_RMBF, NULL };

ID tk_cre_mbf(CONST T_CMBF *pk)
{
	MBFCB *m = NULL;
	void *buf = NULL;
	ID id = E_LIMIT;
	INT i;

	CHECK_RSATR(pk->mbfatr, TA_TPRI | TA_USERBUF | TA_DSNAME);
	CHECK_PAR(pk->bufsz >= 0 && pk->maxmsz > 0);
	if (pk->mbfatr & TA_USERBUF) {
		CHECK_PAR(pk->bufsz == 0 || pk->bufptr != NULL);
		buf = pk->bufptr;
	} else if (pk->bufsz > 0) {
		buf = knl_malloc(pk->bufsz);
		if (buf == NULL)
			return E_NOMEM;
	}
	BEGIN_CRITICAL_SECTION;
	for (i = 0; i < CFN_MAX_MBFID; i++) {
		if (!knl_mbfcb[i].exists) {
			m = &knl_mbfcb[i];
			id = i + 1;
			break;
		}
	}
	if (m != NULL) {
		que_init(&m->send_queue);
		que_init(&m->recv_queue);
		m->exists = TRUE;
		m->exinf = pk->exinf;
		m->mbfatr = pk->mbfatr;
		m->buf = buf;
		m->bufsz = pk->bufsz;
		m->maxmsz = pk->maxmsz;
		m->rd = m->wr = m->used = 0;
	}
	END_CRITICAL_SECTION;
	if (m == NULL && buf != NULL && !(pk->mbfatr & TA_USERBUF))
		knl_free(buf);
	return id;
}

#define MBF_PROLOGUE(mbfid) \
	MBFCB *m; ER ercd = E_OK; \
	CHECK_ID(mbfid, CFN_MAX_MBFID); \
	m = &knl_mbfcb[(mbfid) - 1]; \
	BEGIN_CRITICAL_SECTION; \
	if (!m->exists) { ercd = E_NOEXS; } else

ER tk_del_mbf(ID mbfid)
{
	void *buf = NULL;
	{
		MBF_PROLOGUE(mbfid) {
			knl_wait_delete(&m->send_queue);
			knl_wait_delete(&m->recv_queue);
			m->exists = FALSE;
			if (!(m->mbfatr & TA_USERBUF))
				buf = m->buf;
		}
		END_CRITICAL_SECTION;
		if (buf != NULL)
			knl_free(buf);
		return ercd;
	}
}

ER tk_snd_mbf(ID mbfid, CONST void *msg, INT msgsz, TMO tmout)
{
	CHECK_PAR(msgsz > 0);
	CHECK_TMOUT(tmout);
	CHECK_DISPATCH_POL(tmout);
	{
		MBF_PROLOGUE(mbfid) {
			if (msgsz > m->maxmsz) {
				ercd = E_PAR;
			} else if (!que_empty(&m->recv_queue)) {
				/* a receiver waits: the ring is empty, hand over */
				TCB *t = WAIT_HEAD(&m->recv_queue);
				memcpy(t->winfo.mbf.msg, msg, (UW)msgsz);
				*t->winfo.mbf.p_msgsz = msgsz;
				knl_wait_release(t, E_OK);
			} else if (que_empty(&m->send_queue) && msg_fits(m, msgsz)) {
				msg_put(m, msg, msgsz);
			} else if (tmout == TMO_POL) {
				ercd = E_TMOUT;
			} else {
				knl_ctxtsk->winfo.mbf.msg = (void *)msg;
				knl_ctxtsk->winfo.mbf.msgsz = msgsz;
				knl_make_wait(&wspec_smbf, &m->send_queue, m->mbfatr & TA_TPRI,
					      m, mbfid, tmout, &ercd);
			}
		}
		END_CRITICAL_SECTION;
		return ercd;
	}
}

INT tk_rcv_mbf(ID mbfid, void *msg, TMO tmout)
{
	INT msgsz = 0;

	CHECK_TMOUT(tmout);
	CHECK_DISPATCH_POL(tmout);
	{
		MBF_PROLOGUE(mbfid) {
			if (m->used > 0) {
				ring_get(m, &msgsz, HDRSZ);
				ring_get(m, msg, msgsz);
				mbf_serve_senders(m);
			} else if (!que_empty(&m->send_queue)) {
				/* synchronous buffer (or oversized message) */
				TCB *t = WAIT_HEAD(&m->send_queue);
				msgsz = t->winfo.mbf.msgsz;
				memcpy(msg, t->winfo.mbf.msg, (UW)msgsz);
				knl_wait_release(t, E_OK);
			} else if (tmout == TMO_POL) {
				ercd = E_TMOUT;
			} else {
				knl_ctxtsk->winfo.mbf.msg = msg;
				knl_ctxtsk->winfo.mbf.p_msgsz = &msgsz;
				knl_make_wait(&wspec_rmbf, &m->recv_queue, FALSE,
					      m, mbfid, tmout, &ercd);
			}
		}
		END_CRITICAL_SECTION;
		return (ercd < E_OK) ? ercd : msgsz;
	}
}

ER tk_ref_mbf(ID mbfid, T_RMBF *pk)
{
	MBF_PROLOGUE(mbfid) {
		pk->exinf = m->exinf;
		pk->wtsk = knl_wait_tskid(&m->recv_queue);
		pk->stsk = knl_wait_tskid(&m->send_queue);
		pk->msgsz = 0;
		if (m->used > 0) {
			SZ rd = m->rd, used = m->used;
			ring_get(m, &pk->msgsz, HDRSZ);
			m->rd = rd;             /* peek only */
			m->used = used;
		} else if (!que_empty(&m->send_queue)) {
			pk->msgsz = WAIT_HEAD(&m->send_queue)->winfo.mbf.msgsz;
		}
		pk->frbufsz = m->bufsz - m->used;
		pk->maxmsz = m->maxmsz;
	}
	END_CRITICAL_SECTION;
	return ercd;
}
