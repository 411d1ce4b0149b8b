/*
 * pingpong-local: two tasks exchange PP_COUNT messages each way through
 * two message buffers; every message is generated from its sequence
 * number and checked on arrival.  Prints the elapsed time (free-running
 * 1 MHz counter) and a CRC-32 over all received messages, together with
 * the CRC expected from generating the same messages locally.
 */
#include <tk/tkernel.h>
#include <pingpong_msg.h>

#ifndef PP_COUNT
#define PP_COUNT    1000
#endif

static ID mbf_ab, mbf_ba, sem_done;
static UW crc_a, crc_b, errors;

static void receive_check(ID mbf, UW seq, UW dir, UW *crc)
{
	MSG got, want;
	INT n = tk_rcv_mbf(mbf, &got, TMO_FEVR);
	INT len = make_msg(&want, seq, dir);

	if (n != len || memcmp(&got, &want, (UW)len) != 0) {
		if (errors++ < 5)
			tm_printf("pingpong: bad message dir %u seq %u (len %d)\n",
				  dir, seq, n);
	}
	if (n > 0)
		*crc = crc32(*crc, &got, (UW)n);
}

static void task_a(INT stacd, void *exinf)
{
	MSG m;
	UW i;

	(void)stacd; (void)exinf;
	for (i = 0; i < PP_COUNT; i++) {
		tk_snd_mbf(mbf_ab, &m, make_msg(&m, i, 0), TMO_FEVR);
		receive_check(mbf_ba, i, 1, &crc_a);
	}
	tk_sig_sem(sem_done, 1);
	tk_ext_tsk();
}

static void task_b(INT stacd, void *exinf)
{
	MSG m;
	UW i;

	(void)stacd; (void)exinf;
	for (i = 0; i < PP_COUNT; i++) {
		receive_check(mbf_ab, i, 0, &crc_b);
		tk_snd_mbf(mbf_ba, &m, make_msg(&m, i, 1), TMO_FEVR);
	}
	tk_sig_sem(sem_done, 1);
	tk_ext_tsk();
}

INT usermain(void)
{
	T_CMBF cmbf = { .mbfatr = TA_TFIFO, .bufsz = 128, .maxmsz = sizeof(MSG) };
	T_CSEM csem = { .sematr = TA_TFIFO, .isemcnt = 0, .maxsem = 2 };
	T_CTSK ctsk = { .tskatr = TA_HLNG, .stksz = 2048 };
	ID ta, tb;
	UW t0, t1, i, want_a = 0, want_b = 0;
	MSG m;

	mbf_ab = tk_cre_mbf(&cmbf);
	mbf_ba = tk_cre_mbf(&cmbf);
	sem_done = tk_cre_sem(&csem);
	ctsk.task = (FP)task_a;
	ctsk.itskpri = 10;
	ta = tk_cre_tsk(&ctsk);
	ctsk.task = (FP)task_b;
	ctsk.itskpri = 11;
	tb = tk_cre_tsk(&ctsk);
	if (mbf_ab < 0 || mbf_ba < 0 || sem_done < 0 || ta < 0 || tb < 0) {
		tm_printf("pingpong: setup failed\n");
		return 1;
	}
	tm_printf("pingpong: %u messages each way\n", (UW)PP_COUNT);

	t0 = rt_counter();
	tk_sta_tsk(tb, 0);
	tk_sta_tsk(ta, 0);
	tk_wai_sem(sem_done, 2, TMO_FEVR);
	t1 = rt_counter();

	for (i = 0; i < PP_COUNT; i++) {
		want_b = crc32(want_b, &m, (UW)make_msg(&m, i, 0));
		want_a = crc32(want_a, &m, (UW)make_msg(&m, i, 1));
	}
	tm_printf("pingpong: elapsed %u us\n", t1 - t0);
	tm_printf("pingpong: checksum 0x%08x (expected 0x%08x)\n", crc_a ^ crc_b,
		  want_a ^ want_b);
	tm_printf("pingpong: %s (%u errors)\n",
		  (errors == 0 && crc_a == want_a && crc_b == want_b) ? "PASS" : "FAIL",
		  errors);
	return 0;
}
