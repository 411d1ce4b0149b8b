/*
 * rthv native instruction counter: a Unicorn UC_HOOK_BLOCK callback, or, on rthv's engine, the
 * same counting done by each translated block's own code, which calls the hook only when a stop
 * may be due (see "Counting inside the engine's generated code" below).
 *
 * It runs at the start of every translation block, before the block executes.  It keeps an
 * exact count of retired instructions and stops the engine, without entering the block, when
 *   - entering the block would cross the exact budget (the next event's deadline), or
 *   - the soft limit of the run slice has been reached, or
 *   - IRQs are being watched and the guest has cleared CPSR.I.
 * It also keeps virtual time in units (rthv.board.timing): each block's units are the sum of
 * its instructions' class weights, computed once when the block is first seen and cached with
 * its instruction count; the budget is in units.
 * Unicorn's functions are passed in as pointers, so this file needs no Unicorn headers or
 * linking.  The state layout must match IcountState in icount_state.py.
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
typedef int (*limit_next_block_fn)(void *uc, uint32_t count);

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
    uint64_t units;  /* time units of the whole block */
    uint32_t uncached; /* units computed with data accesses uncached */
    uint32_t unused;
};

enum { WEIGHT_SLOTS = 16, W_OTHER = 0, W_LOAD, W_STORE, W_LDM, W_STM, W_MUL, W_DIV, W_SYSTEM,
       W_BARRIER, W_EXCEPTION, W_PER_REGISTER, W_UNCACHED_LOAD, W_UNCACHED_STORE };
enum { SCTLR_M = 1u << 0, SCTLR_C = 1u << 2 };

/* Unicorn's uc_arm_cp_reg, for reading SCTLR through UC_ARM_REG_CP_REG. */
struct cp_reg {
    uint32_t cp, is64, sec, crn, crm, opc1, opc2;
    uint64_t val;
};

struct icount_state {
    uint64_t executed;     /* instructions retired, including the current block */
    uint64_t budget;       /* never enter a block whose units would end beyond this */
    uint64_t soft_limit;   /* stop at the first block start at or beyond this count */
    uint64_t block_start;  /* address of the current block */
    uint64_t blocks;       /* blocks entered (statistics) */
    uint32_t block_size;   /* bytes in the current block */
    uint32_t block_icount; /* instructions in the current block */
    uint32_t timer_sync;   /* the block just entered wrote a generic-timer register */
    uint32_t watch_irq;    /* stop as soon as CPSR.I is clear (with timer_sync: one 64-bit
                              word, nonzero while a stop may be due, for inline counting) */
    uint32_t stop_reason;  /* STOP_* of the last stop this hook made */
    int32_t cpsr_reg;      /* UC_ARM_REG_CPSR */
    reg_read_fn reg_read;
    emu_stop_fn emu_stop;
    vmem_read_fn vmem_read;
    uint64_t units;        /* time units retired, including the current block */
    uint64_t block_units;  /* units of the current block */
    uint32_t weighted;     /* 0: weights[W_OTHER] each; 1: A32 code by class; 2: also charge
                              uncached data accesses while SCTLR.M or SCTLR.C is clear */
    uint32_t block_uncached; /* the current block's data accesses were charged uncached */
    int32_t cp_reg;        /* UC_ARM_REG_CP_REG */
    uint32_t weights[WEIGHT_SLOTS]; /* units per class, then per LDM/STM register after one */
    struct block_entry cache[CACHE_SLOTS];
    /* Virtual time for the engine's own clock (see "virtual clock" below). */
    void *uc;                 /* the engine this state counts for (set by the hook) */
    uint64_t cycle_base;      /* virtual time, in units, when ``units`` was retired_base */
    uint64_t retired_base;
    uint64_t units_per_cycle; /* 0: the engine keeps its host clock */
    uint64_t cpu_hz;
    uint64_t counter_hz;      /* the generic timer's counter frequency */
    uint64_t clock_reads;     /* reads of the engine's clock served in virtual time */
    uint32_t block_thumb;     /* 1 if the current block is T32 code */
    int32_t pc_reg;           /* UC_ARM_REG_PC */
    uint64_t block_tb;        /* counting inline: the translation the block_* fields are of */
    /* Finishing a budget inside the engine (see "A budget inside a block" below). */
    limit_next_block_fn limit_next_block; /* the engine's uc_rthv_limit_next_block, or NULL */
    uint64_t finish_end;      /* while finishing: where the budget's last instruction ends */
    uint32_t finishing;       /* a budget is being finished inside the engine (to the next arm) */
    uint32_t unused;
    uint64_t short_blocks;    /* budgets finished inside the engine (statistics) */
};

/* Bytes of the T32 instruction whose first halfword is at ``code``: a halfword whose top five
 * bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit encoding (ARM ARM A6.1). */
static inline uint32_t thumb_length(const uint8_t *code)
{
    return (code[1] >> 3) >= 0x1d ? 4 : 2;
}

/* Count T32 instructions. */
static uint32_t count_thumb(const uint8_t *code, uint32_t size)
{
    uint32_t count = 0, offset = 0;
    while (offset + 1 < size) {
        offset += thumb_length(code + offset);
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
            if (thumb_length(code + offset) == 2) {
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

static uint32_t popcount16(uint32_t v)
{
    uint32_t n = 0;
    for (v &= 0xffff; v; v &= v - 1)
        n++;
    return n;
}

/* Units of one A32 instruction: its class weight (the same decoding as classify_arm in
 * timing.py, which the tests hold this to). */
static uint64_t arm_units(const struct icount_state *s, uint32_t w, int uncached)
{
    uint32_t cond = w >> 28, op = (w >> 25) & 7, low = (w >> 4) & 0xf, n;
    const uint32_t *k = s->weights;
    uint64_t ld = uncached ? k[W_UNCACHED_LOAD] : 0, st = uncached ? k[W_UNCACHED_STORE] : 0;
    if (cond == 0xf) {
        if ((w & 0xffffff00u) == 0xf57ff000u && low >= 4 && low <= 6)
            return k[W_BARRIER];
        if (op == 4)
            return ((w & (1u << 20)) && !(w & (1u << 22))) ? k[W_EXCEPTION] : (k[W_STORE] + st);
        return k[W_OTHER];
    }
    if (op == 0) {
        if ((w & 0x0ff000f0u) == 0x01400070u || (w & 0x0ff000f0u) == 0x01600070u ||
            (w & 0x0fffffffu) == 0x0160006eu)
            return k[W_EXCEPTION];
        if (low == 9 && ((w >> 24) & 0xf) == 0)
            return k[W_MUL];
        if (low == 9 && ((w >> 23) & 0x1f) == 2)
            return (k[W_LOAD] + ld);
        if (low == 9 && ((w >> 23) & 0x1f) == 3)
            return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
        if ((low & 9) == 9 && low != 9) {
            if (!(w & (1u << 20)) && ((low >> 1) & 3) == 2)
                return (k[W_LOAD] + ld);
            return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
        }
        if (((w >> 23) & 0x1f) == 2 && !(w & (1u << 20)) && (low & 9) == 8)
            return k[W_MUL];
    }
    if (op <= 1 && !(op == 0 && ((w >> 23) & 3) == 2 && !(w & (1u << 20))))
        return ((w & (1u << 20)) && ((w >> 12) & 0xf) == 15) ? k[W_EXCEPTION] : k[W_OTHER];
    if (op == 3 && (w & 0x10))
        return ((w & 0x0fd000f0u) == 0x07100010u) ? k[W_DIV] : k[W_OTHER];
    if (op == 2 || op == 3)
        return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
    if (op == 4) {
        n = popcount16(w);
        if (w & (1u << 20)) {
            if ((w & (1u << 22)) && (w & (1u << 15)))
                return k[W_EXCEPTION];
            return k[W_LDM] + (n > 1 ? (uint64_t)(n - 1) * k[W_PER_REGISTER] : 0) + n * ld;
        }
        return k[W_STM] + (n > 1 ? (uint64_t)(n - 1) * k[W_PER_REGISTER] : 0) + n * st;
    }
    if (op == 6) {
        if (((w >> 21) & 0x7f) == 0x62 && ((w >> 9) & 7) == 7)
            return k[W_SYSTEM];
        return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
    }
    if (op == 7) {
        if (w & (1u << 24))
            return k[W_EXCEPTION];
        if ((w & 0x10) && ((w >> 9) & 7) == 7)
            return k[W_SYSTEM];
    }
    return k[W_OTHER];
}

/* Units of a run of A32 code under the state's weights (tests hold timing.py to this). */
uint64_t rthv_arm_units(const struct icount_state *s, const uint8_t *code, uint32_t size,
                        int uncached)
{
    uint64_t units = 0;
    uint32_t offset, word;
    for (offset = 0; offset + 3 < size; offset += 4) {
        memcpy(&word, code + offset, 4);
        units += arm_units(s, word, uncached);
    }
    return units;
}

/* Units of a block of ``icount`` instructions whose code is ``code`` (NULL: unreadable). */
static uint64_t code_units(const struct icount_state *s, const uint8_t *code, uint32_t size,
                           uint32_t icount, int thumb, int uncached)
{
    if (!s->weighted || thumb || code == NULL)
        return (uint64_t)icount * s->weights[W_OTHER];
    return rthv_arm_units(s, code, size, uncached);
}

/* True when data accesses are uncached now: weighted == 2 and SCTLR.M or SCTLR.C clear (with
 * the MMU off, data accesses are Strongly-ordered; with C clear, Normal memory is
 * Non-cacheable).  A write to SCTLR ends its translation block, so reading it at every block
 * start sees every change. */
static int data_uncached(struct icount_state *s, void *uc)
{
    if (s->weighted != 2)
        return 0;
    struct cp_reg sctlr = {15, 0, 0, 1, 0, 0, 0, 0};
    s->reg_read(uc, s->cp_reg, &sctlr);
    return (sctlr.val & (SCTLR_M | SCTLR_C)) != (SCTLR_M | SCTLR_C);
}

/* The cache slot of a block, by (address, size). */
static inline struct block_entry *block_slot(struct icount_state *s, uint64_t address,
                                             uint32_t size)
{
    return &s->cache[((address >> 1) ^ (address >> 13) ^ size) % CACHE_SLOTS];
}

/* Fill ``slot`` for a block not in the cache: its instruction count (bit 31 set for T32, bit
 * 30 if it writes a generic-timer register) and its units.  A block is only ever executed in
 * one instruction set, so the cache also spares reading CPSR.T.  Kept out of line: the hit
 * path in rthv_block_hook runs at every block and needs none of this stack frame. */
static __attribute__((noinline)) struct block_entry *
fill_block_entry(struct icount_state *s, void *uc, struct block_entry *slot, uint64_t address,
                 uint32_t size, int uncached)
{
    uint8_t code[MAX_BLOCK_BYTES];
    uint32_t cpsr = 0, icount;
    int readable;
    s->reg_read(uc, s->cpsr_reg, &cpsr);
    readable = size <= MAX_BLOCK_BYTES &&
               s->vmem_read(uc, address, UC_PROT_EXEC_, code, size) == 0;
    if (!readable)
        icount = (cpsr & CPSR_T) ? (size / 2) | THUMB_FLAG : size / 4; /* unreadable */
    else if (!(cpsr & CPSR_T))
        icount = (size / 4) | (writes_timer(code, size, 0) ? TIMER_WRITE_FLAG : 0);
    else
        icount = count_thumb(code, size) | THUMB_FLAG |
                 (writes_timer(code, size, 1) ? TIMER_WRITE_FLAG : 0);
    slot->address = address;
    slot->size = size;
    slot->icount = icount;
    slot->uncached = (uint32_t)uncached;
    slot->units = code_units(s, readable ? code : NULL, size, icount & ICOUNT_MASK,
                             (cpsr & CPSR_T) != 0, uncached);
    return slot;
}

static struct icount_state *clock_owner; /* the state of the engine executing guest code */

/* ---- A budget inside a block ---------------------------------------------------------------
 * The budget (the next event's deadline) falls inside the block about to be entered.  Without
 * help from the engine the hook stops before the block, and CpuCore._finish_budget drops the
 * block's translation and runs a short one, ending at the exact instruction, through the
 * engine's exit address.  On rthv's engine ("rthv3" onwards) the hook does the same here: it
 * asks the engine for the next block limited to the fewest instructions whose units reach the
 * budget (uc_rthv_limit_next_block, cached by the engine apart from the full block), raises the
 * budget to where the last of them ends, as _finish_budget does, and lets the engine go on.  At
 * the next block start, ``finish_end``, it stops with STOP_BUDGET before any other check, as the
 * exit address stops _finish_budget's run there.  Until the run is armed again (``finishing``)
 * any other block is checked as _finish_budget's run checks it: a block that starts before
 * ``finish_end`` (a run resumed inside the short block) goes on only if its instructions up to
 * ``finish_end`` fit the budget exactly, and any other crossing stops with STOP_BUDGET, after
 * which _finish_budget runs nothing more.  Nothing is finished here while a stop is already
 * pending (the engine leaves the block and ends the run; _finish_budget then finishes).  The
 * counts, units and stops are those of _finish_budget, which stays for the stock engine and the
 * block hook. */
enum { FINISH_STOP = -1, FINISH_LIMITED = 0, FINISH_WHOLE = 1 };

/* Stop the run at this block start: the budget is reached (STOP_BUDGET). */
static void stop_at_budget(struct icount_state *s, void *uc)
{
    s->stop_reason = STOP_BUDGET;
    s->emu_stop(uc);
}

/* The block at ``address`` (``size`` bytes, ``icount`` instructions) would cross the budget:
 * FINISH_LIMITED when the engine runs its first instructions that reach the budget as a block
 * of their own, FINISH_WHOLE when those are the whole block (count it: the budget is raised to
 * its end), FINISH_STOP when the run stops here. */
static int finish_budget(struct icount_state *s, void *uc, uint64_t address, uint32_t size,
                         uint32_t icount, int thumb, int uncached)
{
    uint8_t code[MAX_BLOCK_BYTES];
    uint64_t remaining, spent = 0;
    uint32_t count = 0, offset = 0, word;

    if (s->budget <= s->units || size > MAX_BLOCK_BYTES ||
        s->vmem_read(uc, address, UC_PROT_EXEC_, code, size) != 0)
        return FINISH_STOP;
    remaining = s->budget - s->units;
    while (spent < remaining && count < icount) {
        if (thumb) {
            offset += thumb_length(code + offset);
            spent += s->weights[W_OTHER];
        } else {
            memcpy(&word, code + offset, 4);
            offset += 4;
            spent += s->weighted ? arm_units(s, word, uncached) : s->weights[W_OTHER];
        }
        count++;
    }
    if (spent < remaining) /* not reached within the block: cannot be, it crosses */
        return FINISH_STOP;
    if (s->finishing && (address + offset != s->finish_end || spent != remaining))
        return FINISH_STOP; /* _finish_budget's run would not have entered it */
    if (s->limit_next_block(uc, count < icount ? count : 0) != 0)
        return FINISH_STOP; /* a stop is pending: the engine leaves this block */
    s->budget = s->units + spent; /* the last instruction may end beyond the budget */
    s->finish_end = address + offset;
    s->finishing = 1;
    s->short_blocks++;
    return count < icount ? FINISH_LIMITED : FINISH_WHOLE;
}

/* The whole hook: every check, every stop.  rthv_block_hook below takes its common case itself. */
static __attribute__((noinline)) void block_hook_full(void *uc, uint64_t address, uint32_t size,
                                                    void *user_data)
{
    struct icount_state *s = (struct icount_state *)user_data;
    struct block_entry *entry;
    uint32_t cpsr = 0, icount;
    int uncached;

    clock_owner = s;
    s->uc = uc;
    if (s->finishing && address == s->finish_end) {
        /* the budget's last instruction ran (see "A budget inside a block") */
        stop_at_budget(s, uc);
        return;
    }
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
    uncached = data_uncached(s, uc);
    entry = block_slot(s, address, size);
    if (entry->size != size || entry->address != address ||
        entry->uncached != (uint32_t)uncached)
        entry = fill_block_entry(s, uc, entry, address, size, uncached);
    icount = entry->icount & ICOUNT_MASK;
    if (s->units + entry->units > s->budget) {
        int finish = s->limit_next_block == NULL
                         ? FINISH_STOP
                         : finish_budget(s, uc, address, size, icount,
                                         (entry->icount & THUMB_FLAG) != 0, uncached);
        if (finish == FINISH_LIMITED)
            return; /* the engine leaves this block and enters the limited one */
        if (finish == FINISH_STOP) {
            stop_at_budget(s, uc);
            return;
        }
    }
    s->executed += icount;
    s->units += entry->units;
    s->block_start = address;
    s->block_size = size;
    s->block_icount = icount;
    s->block_units = entry->units;
    s->block_uncached = (uint32_t)uncached;
    s->block_thumb = (entry->icount & THUMB_FLAG) ? 1 : 0;
    s->timer_sync = (entry->icount & TIMER_WRITE_FLAG) ? 1 : 0;
    s->block_tb = 0;
    s->blocks++;
}

/* The hook Unicorn calls at every block.  Its common case (no pending stop or watch, data
 * accesses not charged uncached, the block already in the cache, the budget not crossed) does
 * exactly what block_hook_full does there, in a leaf function with no stack frame: with blocks
 * of two instructions (a busy loop) this hook is most of the host time.  Anything else goes
 * to block_hook_full. */
void rthv_block_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct icount_state *s = (struct icount_state *)user_data;
    struct block_entry *entry = block_slot(s, address, size);
    uint32_t icount = entry->icount;
    uint64_t units = s->units + entry->units;

    if ((s->timer_sync | s->watch_irq) != 0 || s->executed >= s->soft_limit ||
        s->weighted == 2 || entry->size != size || entry->address != address ||
        entry->uncached != 0 || units > s->budget) {
        block_hook_full(uc, address, size, user_data);
        return;
    }
    clock_owner = s;
    s->uc = uc;
    s->executed += icount & ICOUNT_MASK;
    s->units = units;
    s->blocks++;
    /* The same block again (a loop of one block): its block_* fields already hold this entry,
     * since an entry only changes through block_hook_full or rthv_forget_blocks, after which
     * this block goes through block_hook_full once more. */
    if (address == s->block_start && size == s->block_size && !(icount & TIMER_WRITE_FLAG))
        return;
    s->block_start = address;
    s->block_size = size;
    s->block_icount = icount & ICOUNT_MASK;
    s->block_units = entry->units;
    s->block_uncached = 0;
    s->block_thumb = (icount & THUMB_FLAG) ? 1 : 0;
    s->timer_sync = (icount & TIMER_WRITE_FLAG) ? 1 : 0;
}

/* ---- Counting inside the engine's generated code -------------------------------------------
 * rthv's engine (engine/, "rthv2" onwards) can do the common case of rthv_block_hook in each
 * block's own translated code (uc_rthv_inline_counter): when a block's translation ends, the
 * engine asks rthv_block_cost what the block costs and puts that into the block's code as
 * constants; before the block executes, that code checks the budget, the soft limit, a pending
 * timer write and the IRQ watch, and either counts the block and records it as the current one,
 * exactly as rthv_block_hook does, or calls block_hook_full.  The engine reads and writes these
 * fields of the state at the offsets below.  When the current block is entered again (a loop of
 * one block), its code finds its own translation in block_tb and leaves the block_* fields as
 * they are; whatever else writes them (block_hook_full, rewind_to) clears block_tb. */
struct counter_layout {
    uint32_t executed, units, budget, soft_limit, blocks, block_start, block_units, block_tb;
    uint32_t pending; /* 64 bits: timer_sync and watch_irq */
    uint32_t block_size, block_icount, block_thumb, block_uncached, timer_sync;
};

static const struct counter_layout inline_layout = {
    offsetof(struct icount_state, executed),     offsetof(struct icount_state, units),
    offsetof(struct icount_state, budget),       offsetof(struct icount_state, soft_limit),
    offsetof(struct icount_state, blocks),       offsetof(struct icount_state, block_start),
    offsetof(struct icount_state, block_units),  offsetof(struct icount_state, block_tb),
    offsetof(struct icount_state, timer_sync),   offsetof(struct icount_state, block_size),
    offsetof(struct icount_state, block_icount), offsetof(struct icount_state, block_thumb),
    offsetof(struct icount_state, block_uncached), offsetof(struct icount_state, timer_sync),
};
_Static_assert(offsetof(struct icount_state, timer_sync) % 8 == 0 &&
                   offsetof(struct icount_state, watch_irq) ==
                       offsetof(struct icount_state, timer_sync) + 4,
               "timer_sync and watch_irq make one aligned 64-bit word");

struct block_cost {
    uint64_t units;
    uint32_t icount;
    uint32_t flags;
};
enum { COST_THUMB = 1, COST_TIMER_WRITE = 2, COST_SLOW = 4 };

/* What the block at ``address`` just translated costs: the same entry block_hook_full uses, filled
 * from the code the engine translated (so both paths agree).  With uncached charging (weighted
 * == 2) a block's units depend on SCTLR when it is entered: such blocks always take the slow
 * path. */
void rthv_block_cost(void *user_data, void *uc, uint64_t address, uint32_t size,
                     struct block_cost *cost)
{
    struct icount_state *s = (struct icount_state *)user_data;
    struct block_entry *entry = fill_block_entry(s, uc, block_slot(s, address, size), address,
                                                 size, 0);
    cost->units = entry->units;
    cost->icount = entry->icount & ICOUNT_MASK;
    cost->flags = ((entry->icount & THUMB_FLAG) ? COST_THUMB : 0) |
                  ((entry->icount & TIMER_WRITE_FLAG) ? COST_TIMER_WRITE : 0) |
                  (s->weighted == 2 ? COST_SLOW : 0);
}

/* The engine ``uc`` is about to execute guest code counted by ``s``: its clock reads ``s``.  (The
 * block hook does this at every block; counting inline, no hook runs in the common case.) */
void rthv_claim_clock(struct icount_state *s, void *uc)
{
    clock_owner = s;
    s->uc = uc;
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

static int virtual_clock_gettime(clockid_t id, struct timespec *ts)
{
    struct icount_state *s = clock_owner;
    uint32_t pc = 0;
    uint64_t cycles, ticks, ns;
    if (id != CLOCK_MONOTONIC || s == NULL || s->units_per_cycle == 0 || s->uc == NULL)
        return clock_gettime(id, ts);
    s->reg_read(s->uc, s->pc_reg, &pc);
    cycles = (s->cycle_base + units_at(s, pc) - s->retired_base) / s->units_per_cycle;
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
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:n,s:K,s:K,s:K,s:K,s:K}", "block_hook",
                         (unsigned long long)(uintptr_t)&rthv_block_hook, "forget_blocks",
                         (unsigned long long)(uintptr_t)&rthv_forget_blocks, "arm_units",
                         (unsigned long long)(uintptr_t)&rthv_arm_units, "clock_gettime",
                         (unsigned long long)(uintptr_t)&virtual_clock_gettime,
                         "state_size", (Py_ssize_t)sizeof(struct icount_state), "block_hook_full",
                         (unsigned long long)(uintptr_t)&block_hook_full, "block_cost",
                         (unsigned long long)(uintptr_t)&rthv_block_cost, "inline_layout",
                         (unsigned long long)(uintptr_t)&inline_layout, "claim_clock",
                         (unsigned long long)(uintptr_t)&rthv_claim_clock, "release_clock",
                         (unsigned long long)(uintptr_t)&rthv_release_clock);
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
