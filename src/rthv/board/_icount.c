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

typedef int (*reg_read_fn)(void *uc, int regid, void *value);
typedef int (*emu_stop_fn)(void *uc);
typedef int (*vmem_read_fn)(void *uc, uint64_t address, int prot, void *bytes, size_t size);

enum { STOP_NONE = 0, STOP_BUDGET = 1, STOP_SOFT = 2, STOP_IRQ = 3 };
enum { CACHE_SLOTS = 4096, MAX_BLOCK_BYTES = 4096, CPSR_I = 1u << 7, CPSR_T = 1u << 5 };
enum { UC_PROT_EXEC_ = 4 };
#define THUMB_FLAG 0x80000000u

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

/* Instruction count of a block (bit 31 set for T32), cached by (address, size).  A block is
 * only ever executed in one instruction set, so the cache also spares reading CPSR.T. */
static uint32_t block_icount(struct icount_state *s, void *uc, uint64_t address, uint32_t size)
{
    struct block_entry *slot = &s->cache[((address >> 1) ^ (address >> 13) ^ size) % CACHE_SLOTS];
    uint8_t code[MAX_BLOCK_BYTES];
    uint32_t cpsr = 0, icount;
    if (slot->size == size && slot->address == address)
        return slot->icount;
    s->reg_read(uc, s->cpsr_reg, &cpsr);
    if (!(cpsr & CPSR_T))
        icount = size / 4;
    else if (size > MAX_BLOCK_BYTES || s->vmem_read(uc, address, UC_PROT_EXEC_, code, size) != 0)
        icount = (size / 2) | THUMB_FLAG; /* unreadable: not for code that is executing */
    else
        icount = count_thumb(code, size) | THUMB_FLAG;
    slot->address = address;
    slot->size = size;
    slot->icount = icount;
    return icount;
}

void rthv_block_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct icount_state *s = (struct icount_state *)user_data;
    uint32_t cpsr = 0, entry, icount;

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
    icount = entry & ~THUMB_FLAG;
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
    s->blocks++;
}

void rthv_forget_blocks(struct icount_state *s)
{
    memset(s->cache, 0, sizeof(s->cache));
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return Py_BuildValue("{s:K,s:K,s:n}", "block_hook", (unsigned long long)(uintptr_t)&rthv_block_hook,
                         "forget_blocks",
                         (unsigned long long)(uintptr_t)&rthv_forget_blocks, "state_size",
                         (Py_ssize_t)sizeof(struct icount_state));
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
