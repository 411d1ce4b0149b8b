/*
 * rthv.board._icount: counting inside the engine's generated code.
 *
 * rthv's engine (engine/, "rthv2" onwards) can do the common case of rthv_block_hook in each
 * block's own translated code (uc_rthv_inline_counter): when a block's translation ends, the
 * engine asks rthv_block_cost what the block costs and puts that into the block's code as
 * constants; before the block executes, that code checks the budget, the soft limit, a pending
 * timer write and the IRQ watch, and either counts the block and records it as the current one,
 * exactly as rthv_block_hook does, or calls block_hook_full.  The engine reads and writes these
 * fields of the state at the offsets below.  When the current block is entered again (a loop of
 * one block), its code finds its own translation in block_tb and leaves the block_* fields as
 * they are; whatever else writes them (block_hook_full, rewind_to) clears block_tb.
 */
#include "_icount.h"

struct counter_layout {
    uint32_t executed, units, budget, soft_limit, blocks, block_start, block_units, block_tb;
    uint32_t pending; /* 64 bits: timer_sync and watch_irq */
    uint32_t block_size, block_icount, block_thumb, block_uncached, timer_sync;
};

const struct counter_layout inline_layout = {
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
