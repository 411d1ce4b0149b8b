/*
 * rthv RTOS - the tick-bound variants of the ping-pong benchmarks
 * (pingpong-ring-tick, pingpong-vm-a-tick): the sender waits for the next
 * 1 ms kernel tick before each message, so every round trip takes one
 * tick plus whatever the exchange costs beyond the tick's slack.
 *
 * pp_tick_start() creates a cyclic handler that signals a semaphore every
 * millisecond; pp_tick_wait() takes one signal (at most one is kept, so a
 * late sender does not catch up with a burst).
 */
#ifndef PINGPONG_TICK_H
#define PINGPONG_TICK_H

#include <tk/tkernel.h>

static ID pp_tick_sem;

static inline void pp_tick(void *exinf)
{
	(void)exinf;
	tk_sig_sem(pp_tick_sem, 1);     /* E_QOVR if the sender is late: fine */
}

static inline ER pp_tick_start(void)
{
	T_CSEM csem = { .sematr = TA_TFIFO, .isemcnt = 0, .maxsem = 1 };
	T_CCYC ccyc = { .cycatr = TA_HLNG | TA_STA, .cychdr = (FP)pp_tick, .cyctim = 1 };
	ID cyc;

	pp_tick_sem = tk_cre_sem(&csem);
	cyc = tk_cre_cyc(&ccyc);
	return (pp_tick_sem < 0 || cyc < 0) ? E_SYS : E_OK;
}

static inline void pp_tick_wait(void)
{
	tk_wai_sem(pp_tick_sem, 1, TMO_FEVR);
}

#endif
