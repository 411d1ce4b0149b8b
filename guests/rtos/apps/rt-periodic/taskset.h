/*
 * rt-periodic task sets.  Select one at build time:
 *   (default)                 U = 0.50, expect zero deadline misses
 *   -DRT_TASKSET_OVERLOAD     U = 1.20, expect misses (apps/rt-overload)
 *   -DRT_TASKSET_LIGHT        U = 0.10, short jobs (beside a Linux VM)
 *   -DRT_TASKSET_HEADER='"my.h"'  your own table (same format)
 *
 * Each entry: { name, period ms, execution time us, relative deadline ms,
 * priority }.  Priorities are rate monotonic here (1 = highest; 1 is
 * reserved for the measuring main task).  Periods must be multiples of
 * the kernel tick.  The run lasts RT_HYPERPERIODS hyperperiods.
 */
#if defined(RT_TASKSET_HEADER)
#include RT_TASKSET_HEADER
#elif defined(RT_TASKSET_OVERLOAD)
#define RT_PROG         "rt-overload"
#define RT_TASKSET_NAME "overload"
#define RT_TASKSET { \
	{ "tau1", 20, 10000, 20, 2 },   /* 0.50 */ \
	{ "tau2", 40, 16000, 40, 3 },   /* 0.40 */ \
	{ "tau3", 80, 24000, 80, 4 },   /* 0.30 */ \
}
#elif defined(RT_TASKSET_LIGHT)
#define RT_TASKSET_NAME "light"
#define RT_TASKSET { \
	{ "tau1", 10,   500, 10, 2 },   /* 0.05 */ \
	{ "tau2", 20,   600, 20, 3 },   /* 0.03 */ \
	{ "tau3", 40,   800, 40, 4 },   /* 0.02 */ \
}
#else
#define RT_TASKSET_NAME "half load"
#define RT_TASKSET { \
	{ "tau1", 20,  4000, 20, 2 },   /* 0.20 */ \
	{ "tau2", 40,  6000, 40, 3 },   /* 0.15 */ \
	{ "tau3", 80, 12000, 80, 4 },   /* 0.15 */ \
}
#endif

#ifndef RT_PROG
#define RT_PROG         "rt-periodic"
#endif
#ifndef RT_HYPERPERIODS
#define RT_HYPERPERIODS 12             /* 12 x 80 ms = 0.96 s */
#endif
