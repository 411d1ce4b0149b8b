/*
 * What the C sources of rthv.board._icount share: the counter's state (its layout must match
 * IcountState in icount_state.py), the block cache, the stop codes (StopReason), the class
 * weights' slots, and the functions one source gives the others.  Internal: the module's
 * sources include it, nothing else does.
 *
 *   _icount.c         the module: the addresses of the functions below, for Python
 *   _icount_units.c   what a block holds: its instructions, whether it writes the generic timer,
 *                     its units (class weights); filling its entry of the block cache
 *   _icount_hook.c    the block hook: counting, the stops, a budget finished inside a block
 *   _icount_inline.c  counting inside the engine's generated code: the fields it uses, a
 *                     translated block's cost
 *   _icount_clock.c   the engine's clock in virtual time, claimed by the engine running guest code
 *
 * Only _icount.c uses Python's API; the others are plain C.  Unicorn's functions are passed in
 * as pointers (the state's fields), so no source needs Unicorn headers or linking.
 */
#ifndef RTHV_ICOUNT_H
#define RTHV_ICOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "_unicorn_api.h"

/* Shared between the module's sources only, not exported from the shared object. */
#define ICOUNT_INTERNAL __attribute__((visibility("hidden")))


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
    /* Virtual time for the engine's own clock (_icount_clock.c). */
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
    /* Finishing a budget inside the engine ("A budget inside a block", _icount_hook.c). */
    limit_next_block_fn limit_next_block; /* the engine's uc_rthv_limit_next_block, or NULL */
    uint64_t finish_end;      /* while finishing: where the budget's last instruction ends */
    uint32_t finishing;       /* a budget is being finished inside the engine (to the next arm) */
    uint32_t unused;
    uint64_t short_blocks;    /* budgets finished inside the engine (statistics) */
};

/* Inline here (and code_units below): the block hook's paths and the clock use them, and each
 * source is compiled alone. */

/* Bytes of the T32 instruction whose first halfword is at ``code``: a halfword whose top five
 * bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit encoding (ARM ARM A6.1). */
static inline uint32_t thumb_length(const uint8_t *code)
{
    return (code[1] >> 3) >= 0x1d ? 4 : 2;
}

/* The cache slot of a block, by (address, size). */
static inline struct block_entry *block_slot(struct icount_state *s, uint64_t address,
                                             uint32_t size)
{
    return &s->cache[((address >> 1) ^ (address >> 13) ^ size) % CACHE_SLOTS];
}

/* _icount_units.c */
ICOUNT_INTERNAL uint32_t count_thumb(const uint8_t *code, uint32_t size);
ICOUNT_INTERNAL uint64_t arm_units(const struct icount_state *s, uint32_t word, int uncached);
ICOUNT_INTERNAL uint64_t rthv_arm_units(const struct icount_state *s, const uint8_t *code,
                                        uint32_t size, int uncached);
ICOUNT_INTERNAL struct block_entry *fill_block_entry(struct icount_state *s, void *uc,
                                                     struct block_entry *slot, uint64_t address,
                                                     uint32_t size, int uncached);
ICOUNT_INTERNAL void rthv_forget_blocks(struct icount_state *s);

/* Units of a block of ``icount`` instructions whose code is ``code`` (NULL: unreadable). */
static inline uint64_t code_units(const struct icount_state *s, const uint8_t *code,
                                  uint32_t size, uint32_t icount, int thumb, int uncached)
{
    if (!s->weighted || thumb || code == NULL)
        return (uint64_t)icount * s->weights[W_OTHER];
    return rthv_arm_units(s, code, size, uncached);
}

/* _icount_hook.c */
ICOUNT_INTERNAL void rthv_block_hook(void *uc, uint64_t address, uint32_t size,
                                     void *user_data);
ICOUNT_INTERNAL void block_hook_full(void *uc, uint64_t address, uint32_t size,
                                     void *user_data);

/* _icount_inline.c */
struct counter_layout;
struct block_cost;
ICOUNT_INTERNAL extern const struct counter_layout inline_layout;
ICOUNT_INTERNAL void rthv_block_cost(void *user_data, void *uc, uint64_t address, uint32_t size,
                                     struct block_cost *cost);

/* _icount_clock.c */
/* the state of the engine executing guest code in this thread (engines run in several threads
 * at once: ``run`` releases the GIL) */
ICOUNT_INTERNAL extern _Thread_local struct icount_state *clock_owner;
ICOUNT_INTERNAL int virtual_clock_gettime(clockid_t id, struct timespec *ts);
ICOUNT_INTERNAL void rthv_claim_clock(struct icount_state *s, void *uc);
ICOUNT_INTERNAL void rthv_release_clock(void);

#endif
