/*
 * rthv.board._icount: rthv's native instruction counter.  This source is the module itself,
 * which gives Python the addresses of the counter's functions; they are in the sources that
 * _icount.h lists (what a block holds, the block hook, counting inline, the virtual clock).
 *
 * The counter is a Unicorn UC_HOOK_BLOCK callback, or, on rthv's engine, the same counting done
 * by each translated block's own code, which calls the hook only when a stop may be due.  It
 * keeps an exact count of retired instructions and of virtual time in units
 * (rthv.board.timing), and stops the engine before a block at the exact budget (the next
 * event's deadline), at the run slice's soft limit, or when the guest clears CPSR.I while IRQs
 * are watched.  While guest code executes, the engine's clock reads that virtual time.  Python
 * shares the counter's state (IcountState in icount_state.py) and hands the engine these
 * functions by address.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_icount.h"

/* The functions Python hands the engine (or calls), the inline layout, the state's size; and
 * arm_units, the A32 classifier alone, which the tests hold timing.py's twin to word by word (the
 * Python counter weighs part of a block with the twin where the hook weighed all of it). */
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
