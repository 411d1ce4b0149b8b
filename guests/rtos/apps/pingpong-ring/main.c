/*
 * pingpong-ring: the bare-metal baseline of the inter-VM ping-pong, over
 * the same path.  Two tasks on one kernel exchange PP_COUNT messages each
 * way through two rthv_ipc rings, exactly as the two VMs of pingpong-vm
 * do; where a VM issues the notify hypercall (and the peer's vIRQ handler
 * signals its semaphore), a task here signals the peer task's semaphore
 * with tk_sig_sem.  Ring, semaphore and message code are the same, so the
 * hypervisor is the only difference between this and pingpong-vm.
 *
 * -DPP_TICK_WAIT: task A waits for the next 1 ms tick before each message,
 * the tick-bound variant (pingpong_tick.h, as pingpong-vm-a-tick).
 *
 * Prints the elapsed time of A's loop (from sending message 0 to receiving
 * the last reply, on the free-running 1 MHz counter), as pingpong-vm-a does, the CRC-32 of each
 * direction with the value expected, and PASS or FAIL.
 */
#include <tk/tkernel.h>
#include <rthv_ipc.h>
#include <pingpong_msg.h>
#ifdef PP_TICK_WAIT
#include <pingpong_tick.h>
#endif

#ifndef PP_COUNT
#define PP_COUNT        1000
#endif
#define RING_SIZE       0x4000          /* as pingpong-vm: 16 KiB, 64-byte slots */
#define SLOT_SIZE       64
#define WAIT_MS         1000

typedef struct {
	rthv_ring_t *tx, *rx;
	ID my_sem, peer_sem;
	UW dir_in, crc, errors, done;
} SIDE;

static UW ring_ab_mem[RING_SIZE / 4] __attribute__((aligned(64)));
static UW ring_ba_mem[RING_SIZE / 4] __attribute__((aligned(64)));
static SIDE side_a, side_b;
static ID sem_done;
static UW a_t0, a_t1;                   /* A's loop, as pingpong-vm-a measures it */

static void notify_peer(SIDE *s)
{
	tk_sig_sem(s->peer_sem, 1);     /* E_QOVR if already signalled: fine */
}

static INT receive(SIDE *s, MSG *m)
{
	INT n;

	for (;;) {
		n = rthv_ring_recv(s->rx, m, sizeof(*m));
		if (n != E_TMOUT)
			return n;
		if (tk_wai_sem(s->my_sem, 1, WAIT_MS) != E_OK)
			return E_TMOUT;
	}
}

static void check(SIDE *s, const MSG *got, INT n, UW seq)
{
	MSG want;
	INT len = make_msg(&want, seq, s->dir_in);

	if (n < 0) {
		s->errors++;
		return;
	}
	s->crc = crc32(s->crc, got, (UW)n);
	if (n != len || memcmp(got, &want, (UW)len) != 0)
		s->errors++;
}

static BOOL send(SIDE *s, UW seq)
{
	MSG m;

	if (rthv_ring_send(s->tx, &m, (UW)make_msg(&m, seq, 1 - s->dir_in)) != E_OK) {
		s->errors++;
		return FALSE;
	}
	notify_peer(s);
	return TRUE;
}

static void task_a(INT stacd, void *exinf)
{
	SIDE *s = &side_a;
	MSG got;
	UW i;

	(void)stacd; (void)exinf;
	a_t0 = rt_counter();
	for (i = 0; i < PP_COUNT; i++) {
#ifdef PP_TICK_WAIT
		pp_tick_wait();
#endif
		if (!send(s, i))
			break;
		check(s, &got, receive(s, &got), i);
	}
	a_t1 = rt_counter();
	s->done = i;
	tk_sig_sem(sem_done, 1);
	tk_ext_tsk();
}

static void task_b(INT stacd, void *exinf)
{
	SIDE *s = &side_b;
	MSG got;
	UW i;

	(void)stacd; (void)exinf;
	for (i = 0; i < PP_COUNT; i++) {
		check(s, &got, receive(s, &got), i);
		if (!send(s, i))
			break;
	}
	s->done = i;
	tk_sig_sem(sem_done, 1);
	tk_ext_tsk();
}

INT usermain(void)
{
	T_CSEM csem = { .sematr = TA_TFIFO, .isemcnt = 0, .maxsem = 1 };
	T_CSEM cdone = { .sematr = TA_TFIFO, .isemcnt = 0, .maxsem = 2 };
	T_CTSK ctsk = { .tskatr = TA_HLNG, .stksz = 2048 };
	rthv_ring_t *ab = (rthv_ring_t *)ring_ab_mem, *ba = (rthv_ring_t *)ring_ba_mem;
	UW i, want_a = 0, want_b = 0, errors;
	ID ta, tb;
	MSG m;

	rthv_ring_init(ab, RING_SIZE, SLOT_SIZE);
	rthv_ring_init(ba, RING_SIZE, SLOT_SIZE);
	side_a = (SIDE){ .tx = ab, .rx = ba, .my_sem = tk_cre_sem(&csem), .dir_in = 1 };
	side_b = (SIDE){ .tx = ba, .rx = ab, .my_sem = tk_cre_sem(&csem), .dir_in = 0 };
	side_a.peer_sem = side_b.my_sem;
	side_b.peer_sem = side_a.my_sem;
	sem_done = tk_cre_sem(&cdone);
#ifdef PP_TICK_WAIT
	if (pp_tick_start() != E_OK) {
		tm_printf("pingpong-ring: setup failed\n");
		return 1;
	}
#endif
	ctsk.task = (FP)task_a;
	ctsk.itskpri = 10;
	ta = tk_cre_tsk(&ctsk);
	ctsk.task = (FP)task_b;
	ctsk.itskpri = 11;
	tb = tk_cre_tsk(&ctsk);
	if (side_a.my_sem < 0 || side_b.my_sem < 0 || sem_done < 0 || ta < 0 || tb < 0) {
		tm_printf("pingpong-ring: setup failed\n");
		return 1;
	}
	tm_printf("pingpong-ring: %u messages each way\n", (UW)PP_COUNT);

	tk_sta_tsk(tb, 0);
	tk_sta_tsk(ta, 0);
	tk_wai_sem(sem_done, 2, TMO_FEVR);

	for (i = 0; i < PP_COUNT; i++) {
		want_b = crc32(want_b, &m, (UW)make_msg(&m, i, 0));
		want_a = crc32(want_a, &m, (UW)make_msg(&m, i, 1));
	}
	errors = side_a.errors + side_b.errors + (side_a.done != PP_COUNT) +
		 (side_b.done != PP_COUNT) + (side_a.crc != want_a) + (side_b.crc != want_b);
	tm_printf("pingpong-ring: elapsed %u us\n", a_t1 - a_t0);
	tm_printf("pingpong-ring: checksum 0x%08x (expected 0x%08x)\n",
		  side_a.crc ^ side_b.crc, want_a ^ want_b);
	tm_printf("pingpong-ring: %s (%u errors)\n", errors == 0 ? "PASS" : "FAIL", errors);
	return 0;
}
