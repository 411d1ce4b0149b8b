/*
 * rthv.board._icount: the engine's clock in virtual time.
 *
 * The engine derives its generic-timer counter (CNTPCT/CNTVCT, hence TVAL and ISTATUS) and
 * its PMU cycle counter from clock_gettime(CLOCK_MONOTONIC), in nanoseconds, the counter being
 * ns / ENGINE_NS_PER_TICK.  rthv points the engine's import of clock_gettime at
 * virtual_clock_gettime below (engine_clock.py), so that while guest code executes these read
 * virtual time: the exact instruction count at the reading instruction (whose PC the engine has
 * synced, since every timer register has an access check), as cycles, as whole counter ticks.
 * A read costs no exit from the engine.  It reads the state of the engine executing guest
 * code, ``clock_owner``, which the block hook claims at every block and ``run``
 * (_engine_calls_run.c) claims before it enters the engine and releases after.  The owner is
 * per thread: ``run`` releases the GIL, so engines of machines run from several threads execute
 * at once, and each must read its own virtual time, never another's (or host time once another
 * run released the clock).
 */
#include "_icount.h"

enum { ENGINE_NS_PER_TICK = 16 }; /* the engine's fixed 62.5 MHz counter */

_Thread_local struct icount_state *clock_owner;

/* The engine ``uc`` is about to execute guest code counted by ``s``: its clock reads ``s``.  (The
 * block hook does this at every block; counting inline, no hook runs in the common case.) */
void rthv_claim_clock(struct icount_state *s, void *uc)
{
    clock_owner = s;
    s->uc = uc;
}

/* No engine executes guest code in this thread: the engine's clock is host time again. */
void rthv_release_clock(void)
{
    clock_owner = NULL;
}

/* Time units retired before the instruction at ``pc`` (as units_before in counter.py). */
static uint64_t units_at(struct icount_state *s, uint64_t pc)
{
    uint8_t code[MAX_BLOCK_BYTES];
    uint64_t done;
    uint32_t length = (uint32_t)(pc - s->block_start);
    int readable;
    if (pc < s->block_start || pc >= s->block_start + s->block_size)
        return s->units;
    readable = length <= MAX_BLOCK_BYTES &&
               s->vmem_read(s->uc, s->block_start, UC_PROT_EXEC_, code, length) == 0;
    if (!s->block_thumb)
        done = code_units(s, readable ? code : NULL, length, length / 4, 0,
                          (int)s->block_uncached);
    else
        done = (uint64_t)(readable ? count_thumb(code, length) : length / 2) *
               s->weights[W_OTHER];
    return s->units - s->block_units + done;
}

int virtual_clock_gettime(clockid_t id, struct timespec *ts)
{
    struct icount_state *s = clock_owner;
    uint32_t pc = 0;
    uint64_t cycles, ticks, ns;
    if (id != CLOCK_MONOTONIC || s == NULL || s->units_per_cycle == 0 || s->cpu_hz == 0 ||
        s->uc == NULL)
        return clock_gettime(id, ts); /* (keep_time refuses a zero frequency: never divide by 0) */
    s->reg_read(s->uc, s->pc_reg, &pc);
    cycles = (s->cycle_base + units_at(s, pc) - s->retired_base) / s->units_per_cycle;
    ticks = (uint64_t)(((unsigned __int128)cycles * s->counter_hz) / s->cpu_hz);
    ns = ticks * ENGINE_NS_PER_TICK;
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    s->clock_reads++;
    return 0;
}
