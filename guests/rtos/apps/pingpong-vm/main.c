/*
 * pingpong-vm: inter-VM ping-pong through shared memory and notify
 * hypercalls (the inter-VM experiment; guest side).  One source, two
 * images: -DPPVM_ROLE_A (pingpong-vm-a) and -DPPVM_ROLE_B (pingpong-vm-b);
 * the system layout is in layout.h.
 *
 * Two rthv_ipc rings live in the shared object, A -> B and B -> A; each
 * is formatted by its producer.  A sends message i (sequence number and
 * content derived from i, 8..32 bytes), notifies channel A -> B and waits;
 * B's handler for the virtual IRQ wakes B's task, which takes the message,
 * checks it and replies with a payload derived from i on the ring B -> A,
 * then notifies channel B -> A; A's handler wakes A, which checks the
 * reply.  PPVM_COUNT messages each way.  A waiting task sleeps on a
 * semaphore that only the vIRQ handler signals; a wakeup that finds the
 * ring empty (a stale or spurious notification) just waits again.
 *
 * Each VM prints a CRC-32 over the messages it received with the value
 * expected from generating them locally (the messages are those of
 * pingpong-local: A's checksum XOR B's equals pingpong-local's) and the
 * elapsed time on its own 1 MHz counter (A: from sending message 0 to
 * receiving the last reply; B: from connecting to sending the last
 * reply); both end with "pingpong-vm: PASS (0 errors)" or
 * "pingpong-vm: FAIL (n errors)".
 *
 * Start-up handshake (either VM may start first, and the shared object
 * may hold anything at boot): each VM picks a nonce, formats the ring it
 * sends on, then publishes {magic, nonce, seen = 0} in its own control
 * line and notifies.  Whenever it finds the peer's line valid with a
 * nonce it has not acknowledged, it copies that nonce to its `seen` and
 * notifies again.  A VM is connected when it has acknowledged the peer's
 * nonce and the peer's `seen` equals its own nonce: the peer then runs
 * this incarnation and has formatted its ring (it formats before it
 * publishes), so both rings may be used.  The vIRQ handler is installed
 * before the first look at the peer, so no notification is lost; each
 * wait has a timeout only to report a missing peer and give up.
 *
 * Each side's figure covers only its own loop: after its last reply, B
 * waits until A publishes `done` in its control line before B does its
 * own after-loop work (the expected CRC, printing), so under a policy that
 * does not preempt B (round robin) A's figure does not include that work.
 *
 * Options: -DPPVM_COUNT=n (default 1000); -DPP_TICK_WAIT (A only): wait
 * for the next 1 ms tick before each message, the tick-bound variant
 * (pingpong_tick.h, as pingpong-ring-tick).
 */
#include <tk/tkernel.h>
#include <rthv_ipc.h>
#include <pingpong_msg.h>
#include "layout.h"
#ifdef PP_TICK_WAIT
#include <pingpong_tick.h>
#endif

#if defined(PPVM_ROLE_A) == defined(PPVM_ROLE_B)
#error "build pingpong-vm with -DPPVM_ROLE_A or -DPPVM_ROLE_B"
#endif

#ifdef PPVM_ROLE_A
#define ME              "pingpong-vm-a"
#define TX_CHAN         PPVM_CHAN_A_TO_B
#define RX_VIRQ         PPVM_VIRQ_IN_A
#define MY_CTL_OFF      PPVM_CTL_A_OFF
#define PEER_CTL_OFF    PPVM_CTL_B_OFF
#define TX_RING_OFF     PPVM_RING_AB_OFF
#define RX_RING_OFF     PPVM_RING_BA_OFF
#define NONCE_SALT      0xa5a50000U
#else
#define ME              "pingpong-vm-b"
#define TX_CHAN         PPVM_CHAN_B_TO_A
#define RX_VIRQ         PPVM_VIRQ_IN_B
#define MY_CTL_OFF      PPVM_CTL_B_OFF
#define PEER_CTL_OFF    PPVM_CTL_A_OFF
#define TX_RING_OFF     PPVM_RING_BA_OFF
#define RX_RING_OFF     PPVM_RING_AB_OFF
#define NONCE_SALT      0x5b5b0000U
#endif

#ifndef PPVM_COUNT
#define PPVM_COUNT      1000
#endif
#define PPVM_CTL_MAGIC  0x4c544350U     /* "PCTL" */
#define INT_LEVEL       5               /* EnableInt level of the vIRQ */
#define WAIT_MS         1000            /* one wait for a notification */
#define HELLO_WAITS     30              /* give up on the peer after 30 s */
#define MSG_WAITS       10              /* give up on a message after 10 s */

/* a control line, written only by its owner */
typedef struct {
	volatile UW magic;              /* PPVM_CTL_MAGIC: nonce and seen valid */
	volatile UW nonce;              /* the owner's incarnation, never 0 */
	volatile UW seen;               /* the peer nonce the owner acknowledged */
	volatile UW done;               /* A: its loop has ended (B waits for it) */
	UW _pad[12];
} PPVM_CTL;

#define SHM(off)        ((UW)PPVM_SHM_IPA + (off))

static PPVM_CTL *const me = (PPVM_CTL *)SHM(MY_CTL_OFF);
static PPVM_CTL *const peer = (PPVM_CTL *)SHM(PEER_CTL_OFF);
static rthv_ring_t *const tx = (rthv_ring_t *)SHM(TX_RING_OFF);
static rthv_ring_t *const rx = (rthv_ring_t *)SHM(RX_RING_OFF);

extern char __image_end[];              /* link.ld: end of the image */

static ID sem;
static volatile UW virqs;               /* vIRQs taken */
static UW wakeups, spurious;            /* wakeups; those for nothing */
static UW bad_msgs, hvc_errors, lost_notifies, ring_errors, timeouts;

static inline void barrier(void)
{
	__asm__ volatile("dmb sy" : : : "memory");
}

static void virq_handler(UINT intno)
{
	(void)intno;
	virqs++;
	tk_sig_sem(sem, 1);             /* E_QOVR if already signalled: fine */
}

static void notify_peer(void)
{
	ER er = rthv_notify(TX_CHAN);

	if (er < 0 && hvc_errors++ < 5)
		tm_printf(ME ": rthv_notify(%d) failed: %d\n", TX_CHAN, er);
}

/* sleep until the vIRQ handler signals; E_OK or E_TMOUT after WAIT_MS */
static ER wait_notify(void)
{
	ER er = tk_wai_sem(sem, 1, WAIT_MS);

	if (er == E_OK)
		wakeups++;
	return er;
}

static BOOL connected(void)
{
	UW pn;

	if (peer->magic != PPVM_CTL_MAGIC)
		return FALSE;
	barrier();
	pn = peer->nonce;
	if (pn == 0)
		return FALSE;
	if (me->seen != pn) {           /* a new peer incarnation: acknowledge */
		me->seen = pn;
		barrier();
		notify_peer();
	}
	return peer->seen == me->nonce;
}

static ER handshake(void)
{
	UW n = 0;

	while (!connected()) {
		if (hvc_errors != 0)
			return E_SYS;
		if (wait_notify() == E_TMOUT && ++n % 5 == 0) {
			tm_printf(ME ": waiting for the peer (%u s)\n", n);
			if (n >= HELLO_WAITS)
				return E_TMOUT;
		}
	}
	barrier();
	return rthv_ring_attach(rx) == E_OK ? E_OK : E_OBJ;
}

/* the next message from the peer into m: its length, or < 0 (give up) */
static INT receive(MSG *m)
{
	UW idle = 0;
	INT n;

	for (;;) {
		n = rthv_ring_recv(rx, m, sizeof(*m));
		if (n != E_TMOUT) {
			if (n < 0)
				ring_errors++;  /* E_PAR: bigger than any message */
			return n;
		}
		if (wait_notify() == E_OK) {
			idle = 0;
			if (rthv_ring_count(rx) == 0)
				spurious++;
			continue;
		}
		if (rthv_ring_count(rx) != 0) {
			lost_notifies++;        /* a message, no vIRQ within WAIT_MS */
			continue;
		}
		if (++idle >= MSG_WAITS) {
			timeouts++;
			return E_TMOUT;
		}
	}
}

static BOOL check(const MSG *got, INT n, UW seq, UW dir, UW *crc)
{
	MSG want;
	INT len = make_msg(&want, seq, dir);

	*crc = crc32(*crc, got, (UW)n);
	if (n == len && memcmp(got, &want, (UW)len) == 0)
		return TRUE;
	if (bad_msgs++ < 5)
		tm_printf(ME ": bad message dir %u seq %u: length %d, seq %u dir %u\n",
			  dir, seq, n, got->seq, got->dir);
	return FALSE;
}

static ER send(UW seq, UW dir)
{
	MSG m;
	ER er = rthv_ring_send(tx, &m, (UW)make_msg(&m, seq, dir));

	if (er != E_OK) {               /* full: the peer fell out of step */
		ring_errors++;
		return er;
	}
	notify_peer();
	return hvc_errors == 0 ? E_OK : E_SYS;
}

/* the exchange: A sends i and checks reply i, B checks i and replies;
   returns the number of messages completed */
static UW run(UW *crc)
{
	MSG got;
	UW i;
	INT n;

	for (i = 0; i < PPVM_COUNT; i++) {
#ifdef PPVM_ROLE_A
#ifdef PP_TICK_WAIT
		pp_tick_wait();
#endif
		if (send(i, 0) != E_OK || (n = receive(&got)) < 0)
			break;
		check(&got, n, i, 1, crc);
#else
		if ((n = receive(&got)) < 0)
			break;
		check(&got, n, i, 0, crc);
		if (send(i, 1) != E_OK)
			break;
#endif
	}
	return i;
}

/* A: publish the end of its loop; B: wait for it before any after-loop work */
static void finish(void)
{
#ifdef PPVM_ROLE_A
	me->done = 1;
	barrier();
	notify_peer();
#else
	UW waits = 0;

	while (peer->done == 0 && waits < MSG_WAITS)
		if (wait_notify() != E_OK)
			waits++;
#endif
}

INT usermain(void)
{
	T_CSEM csem = { .sematr = TA_TFIFO, .isemcnt = 0, .maxsem = 1 };
	T_DINT dint = { .intatr = TA_HLNG, .inthdr = (FP)virq_handler };
	INT version = rthv_hvc_version(), vmid = rthv_vm_id();
	UW i, t0 = 0, t1 = 0, crc = 0, want = 0, done = 0, errors;
	ER er;
	MSG m;

	tm_printf(ME ": rthv ABI 0x%08x, vm %d, %u messages each way\n",
		  (UW)version, vmid, (UW)PPVM_COUNT);
	if (version < 0 || (version >> 16) != (RTHV_ABI_VERSION >> 16)) {
		tm_printf(ME ": needs rthv ABI 0x%08x\n", (UW)RTHV_ABI_VERSION);
		tm_printf("pingpong-vm: FAIL (1 errors)\n");
		return 1;
	}
	if ((UW)__image_end > PPVM_RAM_IPA + PPVM_RAM_SIZE) {
		tm_printf(ME ": image ends at 0x%08x, beyond the VM's RAM\n",
			  (UW)__image_end);
		tm_printf("pingpong-vm: FAIL (1 errors)\n");
		return 1;
	}

	/* the vIRQ first, so that no notification from the peer is missed */
	sem = tk_cre_sem(&csem);
	er = tk_def_int(RX_VIRQ, &dint);
	if (sem < 0 || er != E_OK) {
		tm_printf(ME ": setup failed (%d, %d)\n", sem, er);
		tm_printf("pingpong-vm: FAIL (1 errors)\n");
		return 1;
	}
	EnableInt(RX_VIRQ, INT_LEVEL);
#ifdef PP_TICK_WAIT
	if (pp_tick_start() != E_OK) {
		tm_printf(ME ": tick setup failed\n");
		tm_printf("pingpong-vm: FAIL (1 errors)\n");
		return 1;
	}
#endif

	/* format the ring this VM sends on, then publish this incarnation */
	rthv_ring_init(tx, PPVM_RING_SIZE, PPVM_SLOT_SIZE);
	me->magic = 0;
	barrier();
	me->nonce = NONCE_SALT | (rt_counter() & 0xffffU);     /* never 0 */
	me->seen = 0;
	me->done = 0;
	barrier();
	me->magic = PPVM_CTL_MAGIC;
	barrier();
	notify_peer();

	er = handshake();
	if (er != E_OK) {
		tm_printf(ME ": no connection to the peer (error %d)\n", er);
	} else {
		tm_printf(ME ": connected\n");
		t0 = rt_counter();
		done = run(&crc);
		t1 = rt_counter();
		finish();
	}

	for (i = 0; i < done; i++)
#ifdef PPVM_ROLE_A
		want = crc32(want, &m, (UW)make_msg(&m, i, 1));
#else
		want = crc32(want, &m, (UW)make_msg(&m, i, 0));
#endif
	errors = bad_msgs + hvc_errors + lost_notifies + ring_errors + timeouts +
		 (done != PPVM_COUNT) + (crc != want);
	tm_printf(ME ": elapsed %u us for %u round trips\n", t1 - t0, done);
	tm_printf(ME ": checksum 0x%08x (expected 0x%08x)\n", crc, want);
	tm_printf(ME ": %u vIRQs, %u wakeups (%u without a message)\n",
		  virqs, wakeups, spurious);
	if (errors != 0)
		tm_printf(ME ": %u of %u messages; errors: content %u, hypercall %u, "
			  "lost notify %u, ring %u, timeout %u\n", done, (UW)PPVM_COUNT,
			  bad_msgs, hvc_errors, lost_notifies, ring_errors, timeouts);
	tm_printf("pingpong-vm: %s (%u errors)\n", errors == 0 ? "PASS" : "FAIL",
		  errors);
	return 0;
}
