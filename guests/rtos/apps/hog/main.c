/*
 * hog: CPU-bound, mostly non-real-time load.
 *
 * Burns 100 ms worth of calibrated CPU work (see rtlib.h) between
 * heartbeat lines "hog heartbeat N".  Runs forever unless built with
 * -DHOG_COUNT=<n>; the period of the heartbeat is its own progress, not
 * wall-clock time, so under contention the lines come slower.
 * Options: -DHOG_WORK_MS=<ms per heartbeat> (default 100),
 *          -DHOG_SLEEP_MS=<ms> to sleep after each heartbeat (default 0: a
 *          pure CPU hog; otherwise a bursty load with that duty cycle),
 *          -DRT_LOOPS_PER_MS=<n> to skip calibration.
 */
#include <rtlib.h>

#ifndef HOG_COUNT
#define HOG_COUNT       0               /* 0: forever */
#endif
#ifndef HOG_WORK_MS
#define HOG_WORK_MS     100
#endif
#ifndef HOG_SLEEP_MS
#define HOG_SLEEP_MS    0
#endif

INT usermain(void)
{
	UW lpms = rt_loops_per_ms();
	UW n;

	tm_printf("hog: %u loops/ms, heartbeat every %u ms of work\n", lpms,
		  (UW)HOG_WORK_MS);
	for (n = 1; HOG_COUNT == 0 || n <= HOG_COUNT; n++) {
		rt_burn(lpms * HOG_WORK_MS);
		tm_printf("hog heartbeat %u\n", n);
		if (HOG_SLEEP_MS > 0)
			tk_dly_tsk(HOG_SLEEP_MS);
	}
	tm_printf("hog: done\n");
	return 0;
}
