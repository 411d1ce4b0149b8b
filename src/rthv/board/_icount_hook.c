/*
 * rthv.board._icount: the block hook, a Unicorn UC_HOOK_BLOCK callback (on rthv's engine, the
 * slow path of the counting each translated block does itself: _icount_inline.c).
 *
 * It runs at the start of every translation block, before the block executes.  It keeps an
 * exact count of retired instructions and stops the engine, without entering the block, when
 *   - entering the block would cross the exact budget (the next event's deadline), or
 *   - the soft limit of the run slice has been reached, or
 *   - IRQs are being watched and the guest has cleared CPSR.I.
 * It also keeps virtual time in units (rthv.board.timing): a block's units come from its entry
 * in the block cache (_icount_units.c); the budget is in units.
 */
#include <string.h>

#include "_icount.h"

enum { SCTLR_M = 1u << 0, SCTLR_C = 1u << 2 };

/* Unicorn's uc_arm_cp_reg, for reading SCTLR through UC_ARM_REG_CP_REG. */
struct cp_reg {
    uint32_t cp, is64, sec, crn, crm, opc1, opc2;
    uint64_t val;
};

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
__attribute__((noinline)) void block_hook_full(void *uc, uint64_t address, uint32_t size,
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

