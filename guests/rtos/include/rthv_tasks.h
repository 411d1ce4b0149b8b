/*
 * rthv task trace: a guest reports the jobs of its periodic tasks to rthv.
 *
 * The record lives in the guest's own RAM, at the symbol rthv_task_ring.  rthv finds that
 * symbol in the VM's image and reads the record through the VM's memory when the run ends;
 * the guest never traps for it, so reporting costs only the stores below.  Times are the
 * guest's own 1 MHz counter (rt_counter), so what rthv computes is what the guest would.
 * The layout is documented in docs/task-metrics.md.
 */
#ifndef RTHV_TASKS_H
#define RTHV_TASKS_H

#include <tk/tkernel.h>

#define RTHV_TASKS_MAGIC        0x52545452U     /* "RTTR" */
#define RTHV_TASKS_VERSION      1U
#define RTHV_TASKS_MAX          8
#define RTHV_TASKS_RING         1024            /* records; older ones are overwritten */
#define RTHV_TASK_NAME          12

enum { RTHV_TASK_RELEASE = 1, RTHV_TASK_START = 2, RTHV_TASK_COMPLETE = 3 };

typedef struct {
	UW	period_us;
	UW	deadline_us;            /* relative */
	W	priority;               /* the guest's own: lower is more urgent */
	char	name[RTHV_TASK_NAME];
} RTHV_TASK_INFO;

typedef struct {
	UW	event;                  /* RTHV_TASK_RELEASE, _START or _COMPLETE */
	UW	task;                   /* index into task[] */
	UW	job;                    /* 0, 1, 2, ... per task */
	UW	time_us;                /* rt_counter() */
} RTHV_TASK_RECORD;

typedef struct {
	UW	magic;                  /* written last by rthv_task_define: the record is valid */
	UW	version;
	UW	ntasks;
	UW	capacity;               /* RTHV_TASKS_RING */
	UW	head;                   /* records written so far (free running) */
	RTHV_TASK_INFO   task[RTHV_TASKS_MAX];
	RTHV_TASK_RECORD ring[RTHV_TASKS_RING];
} RTHV_TASK_TRACE;

extern RTHV_TASK_TRACE rthv_task_ring;

/* describe task `idx` (0 .. RTHV_TASKS_MAX-1) before its first job */
void rthv_task_define(UW idx, const char *name, UW period_us, UW deadline_us, W priority);
/* one event of job `job` of task `idx`, at guest time `time_us` */
void rthv_task_event(UW event, UW idx, UW job, UW time_us);

#endif
