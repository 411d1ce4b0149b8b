/*
 * rthv task trace: the record rthv reads at the end of a run (include/rthv_tasks.h).
 */
#include <rthv_tasks.h>

RTHV_TASK_TRACE rthv_task_ring;

void rthv_task_define(UW idx, const char *name, UW period_us, UW deadline_us, W priority)
{
	RTHV_TASK_INFO *info;
	INT i;

	if (idx >= RTHV_TASKS_MAX)
		return;
	info = &rthv_task_ring.task[idx];
	info->period_us = period_us;
	info->deadline_us = deadline_us;
	info->priority = priority;
	for (i = 0; i < RTHV_TASK_NAME - 1 && name[i] != '\0'; i++)
		info->name[i] = name[i];
	info->name[i] = '\0';
	if (idx >= rthv_task_ring.ntasks)
		rthv_task_ring.ntasks = idx + 1;
	rthv_task_ring.version = RTHV_TASKS_VERSION;
	rthv_task_ring.capacity = RTHV_TASKS_RING;
	rthv_task_ring.magic = RTHV_TASKS_MAGIC;
}

void rthv_task_event(UW event, UW idx, UW job, UW time_us)
{
	UW cpsr;
	RTHV_TASK_RECORD *r;

	/* a release (in a cyclic handler) may interrupt a task reporting its own job */
	__asm__ volatile("mrs %0, cpsr\n\tcpsid i" : "=r"(cpsr) : : "memory");
	r = &rthv_task_ring.ring[rthv_task_ring.head % RTHV_TASKS_RING];
	r->event = event;
	r->task = idx;
	r->job = job;
	r->time_us = time_us;
	rthv_task_ring.head++;
	__asm__ volatile("msr cpsr_c, %0" : : "r"(cpsr) : "memory");
}
