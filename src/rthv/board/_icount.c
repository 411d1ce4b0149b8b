/*
 * rthv native instruction counter: a Unicorn UC_HOOK_BLOCK callback.
 *
 * It runs at the start of every translation block, before the block executes.  It keeps an
 * exact count of retired instructions and stops the engine, without entering the block, when
 *   - entering the block would cross the exact budget (the next event's deadline), or
 *   - the soft limit of the run slice has been reached, or
 *   - IRQs are being watched and the guest has cleared CPSR.I.
 * Unicorn's functions are passed in as pointers, so this file needs no Unicorn headers or
 * linking.  The state layout must match IcountState in counter.py.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

typedef int (*reg_read_fn)(void *uc, int regid, void *value);
typedef int (*emu_stop_fn)(void *uc);
typedef int (*vmem_read_fn)(void *uc, uint64_t address, int prot, void *bytes, size_t size);

enum { STOP_NONE = 0, STOP_BUDGET = 1, STOP_SOFT = 2, STOP_IRQ = 3, STOP_TIMER_WRITE = 4 };
enum { CACHE_SLOTS = 4096, MAX_BLOCK_BYTES = 4096, CPSR_I = 1u << 7, CPSR_T = 1u << 5 };
enum { UC_PROT_EXEC_ = 4 };
#define THUMB_FLAG 0x80000000u
#define TIMER_WRITE_FLAG 0x40000000u /* the block writes a CP15 c14 (generic timer) register */
#define ICOUNT_MASK 0x3fffffffu

struct block_entry {
    uint64_t address;
    uint32_t size;
    uint32_t icount; /* bit 31: T32 block */
};

struct icount_state {
    uint64_t executed;     /* instructions retired, including the current block */
    uint64_t budget;       /* never enter a block that would end beyond this count */
    uint64_t soft_limit;   /* stop at the first block start at or beyond this count */
    uint64_t block_start;  /* address of the current block */
    uint64_t blocks;       /* blocks entered (statistics) */
    uint32_t block_size;   /* bytes in the current block */
    uint32_t block_icount; /* instructions in the current block */
    uint32_t block_thumb;  /* 1 if the current block is T32 code */
    uint32_t watch_irq;    /* stop as soon as CPSR.I is clear */
    uint32_t stop_reason;  /* STOP_* of the last stop this hook made */
    int32_t cpsr_reg;      /* UC_ARM_REG_CPSR */
    reg_read_fn reg_read;
    emu_stop_fn emu_stop;
    vmem_read_fn vmem_read;
    struct block_entry cache[CACHE_SLOTS];
    /* Virtual time for the engine's own clock (see "virtual clock" below). */
    void *uc;                 /* the engine this state counts for (set by the hook) */
    uint64_t cycle_base;      /* virtual time, in cycles, when ``executed`` was retired_base */
    uint64_t retired_base;
    uint64_t cpi;             /* cycles per instruction; 0: the engine keeps its host clock */
    uint64_t cpu_hz;
    uint64_t counter_hz;      /* the generic timer's counter frequency */
    uint64_t clock_reads;     /* reads of the engine's clock served in virtual time */
    uint32_t timer_sync;      /* the block just entered wrote a generic-timer register */
    int32_t pc_reg;           /* UC_ARM_REG_PC */
};

/* Count T32 instructions: a halfword whose top five bits are 0b11101, 0b11110 or 0b11111
 * starts a 32-bit encoding (ARM ARM A6.1). */
static uint32_t count_thumb(const uint8_t *code, uint32_t size)
{
    uint32_t count = 0, offset = 0;
    while (offset + 1 < size) {
        uint16_t half = (uint16_t)(code[offset] | (code[offset + 1] << 8));
        offset += ((half >> 11) >= 0x1d) ? 4 : 2;
        count++;
    }
    return count;
}

/* True if ``code`` holds an MCR/MCRR to a CP15 c14 register (generic timer): MCR with CRn = 14
 * or MCRR with CRm = 14 (ARM ARM A8.8.99/A8.8.100, encodings A1 and T1). */
static int writes_timer(const uint8_t *code, uint32_t size, int thumb)
{
    uint32_t offset = 0;
    while (offset + 3 < size) {
        uint32_t lo = (uint32_t)(code[offset] | (code[offset + 1] << 8));
        uint32_t hi = (uint32_t)(code[offset + 2] | (code[offset + 3] << 8));
        if (thumb) {
            if ((lo >> 11) < 0x1d) {
                offset += 2;
                continue;
            }
            if ((lo & 0xff10) == 0xee00 && (hi & 0x0f10) == 0x0f10 && (lo & 0xf) == 14)
                return 1; /* MCR p15, ..., c14, ... */
            if ((lo & 0xfff0) == 0xec40 && (hi & 0x0f00) == 0x0f00 && (hi & 0xf) == 14)
                return 1; /* MCRR p15, ..., c14 */
            offset += 4;
        } else {
            uint32_t word = lo | (hi << 16);
            if ((word >> 28) != 0xf && (word & 0x0f100f10) == 0x0e000f10 &&
                ((word >> 16) & 0xf) == 14)
                return 1;
            if ((word >> 28) != 0xf && (word & 0x0ff00f00) == 0x0c400f00 && (word & 0xf) == 14)
                return 1;
            offset += 4;
        }
    }
    return 0;
}

/* Instruction count of a block (bit 31 set for T32, bit 30 if it writes a generic-timer
 * register), cached by (address, size).  A block is only ever executed in one instruction
 * set, so the cache also spares reading CPSR.T. */
static uint32_t block_icount(struct icount_state *s, void *uc, uint64_t address, uint32_t size)
{
    struct block_entry *slot = &s->cache[((address >> 1) ^ (address >> 13) ^ size) % CACHE_SLOTS];
    uint8_t code[MAX_BLOCK_BYTES];
    uint32_t cpsr = 0, icount;
    if (slot->size == size && slot->address == address)
        return slot->icount;
    s->reg_read(uc, s->cpsr_reg, &cpsr);
    if (size > MAX_BLOCK_BYTES || s->vmem_read(uc, address, UC_PROT_EXEC_, code, size) != 0)
        icount = (cpsr & CPSR_T) ? (size / 2) | THUMB_FLAG : size / 4; /* unreadable */
    else if (!(cpsr & CPSR_T))
        icount = (size / 4) | (writes_timer(code, size, 0) ? TIMER_WRITE_FLAG : 0);
    else
        icount = count_thumb(code, size) | THUMB_FLAG |
                 (writes_timer(code, size, 1) ? TIMER_WRITE_FLAG : 0);
    slot->address = address;
    slot->size = size;
    slot->icount = icount;
    return icount;
}

static struct icount_state *clock_owner; /* the state of the engine executing guest code */

void rthv_block_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct icount_state *s = (struct icount_state *)user_data;
    uint32_t cpsr = 0, entry, icount;

    clock_owner = s;
    s->uc = uc;
    if (s->timer_sync) {
        /* The previous block wrote a generic-timer register (a write ends its block): stop
         * before this one, so the board mirrors the new CTL/CVAL at that exact count. */
        s->timer_sync = 0;
        s->stop_reason = STOP_TIMER_WRITE;
        s->emu_stop(uc);
        return;
    }
    if (s->watch_irq) {
        s->reg_read(uc, s->cpsr_reg, &cpsr);
        if (!(cpsr & CPSR_I)) {
            s->stop_reason = STOP_IRQ;
            s->emu_stop(uc);
            return;
        }
    }
    if (s->executed >= s->soft_limit) {
        s->stop_reason = STOP_SOFT;
        s->emu_stop(uc);
        return;
    }
    entry = block_icount(s, uc, address, size);
    icount = entry & ICOUNT_MASK;
    if (s->executed + icount > s->budget) {
        s->stop_reason = STOP_BUDGET;
        s->emu_stop(uc);
        return;
    }
    s->executed += icount;
    s->block_start = address;
    s->block_size = size;
    s->block_icount = icount;
    s->block_thumb = (entry & THUMB_FLAG) ? 1 : 0;
    s->timer_sync = (entry & TIMER_WRITE_FLAG) ? 1 : 0;
    s->blocks++;
}

/* ---- Virtual clock ---------------------------------------------------------------------
 * The engine derives its generic-timer counter (CNTPCT/CNTVCT, hence TVAL and ISTATUS) and
 * its PMU cycle counter from clock_gettime(CLOCK_MONOTONIC), in nanoseconds, the counter being
 * ns / ENGINE_NS_PER_TICK.  rthv points the engine's import of clock_gettime at the function
 * below (engine_clock.py), so that while guest code executes these read virtual time: the
 * exact instruction count at the reading instruction (whose PC the engine has synced, since
 * every timer register has an access check), as cycles, as whole counter ticks.  A read costs
 * no exit from the engine. */
enum { ENGINE_NS_PER_TICK = 16 }; /* the engine's fixed 62.5 MHz counter */

static uint64_t retired_at(struct icount_state *s, uint64_t pc)
{
    uint8_t code[MAX_BLOCK_BYTES];
    uint64_t done;
    if (pc < s->block_start || pc >= s->block_start + s->block_size)
        return s->executed;
    if (!s->block_thumb)
        done = (pc - s->block_start) / 4;
    else if (pc - s->block_start > MAX_BLOCK_BYTES ||
             s->vmem_read(s->uc, s->block_start, UC_PROT_EXEC_, code, pc - s->block_start) != 0)
        done = (pc - s->block_start) / 2;
    else
        done = count_thumb(code, (uint32_t)(pc - s->block_start));
    return s->executed - s->block_icount + done;
}

static int virtual_clock_gettime(clockid_t id, struct timespec *ts)
{
    struct icount_state *s = clock_owner;
    uint32_t pc = 0;
    uint64_t cycles, ticks, ns;
    if (id != CLOCK_MONOTONIC || s == NULL || s->cpi == 0 || s->uc == NULL)
        return clock_gettime(id, ts);
    s->reg_read(s->uc, s->pc_reg, &pc);
    cycles = s->cycle_base + (retired_at(s, pc) - s->retired_base) * s->cpi;
    ticks = (uint64_t)(((unsigned __int128)cycles * s->counter_hz) / s->cpu_hz);
    ns = ticks * ENGINE_NS_PER_TICK;
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    s->clock_reads++;
    return 0;
}

/* No engine executes guest code: the engine's clock is host time again. */
void rthv_release_clock(void)
{
    clock_owner = NULL;
}

void rthv_forget_blocks(struct icount_state *s)
{
    memset(s->cache, 0, sizeof(s->cache));
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:n}", "block_hook",
                         (unsigned long long)(uintptr_t)&rthv_block_hook, "forget_blocks",
                         (unsigned long long)(uintptr_t)&rthv_forget_blocks, "clock_gettime",
                         (unsigned long long)(uintptr_t)&virtual_clock_gettime,
                         "release_clock", (unsigned long long)(uintptr_t)&rthv_release_clock,
                         "state_size", (Py_ssize_t)sizeof(struct icount_state));
}

static PyMethodDef methods[] = {
    {"addresses", addresses, METH_NOARGS, "Addresses of the native hook functions."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_icount", "rthv native instruction counter.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__icount(void) { return PyModule_Create(&module); }
