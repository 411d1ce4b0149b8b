/*
 * What the C sources of rthv.board._engine_calls share: the engine functions ``bind`` was given
 * (``api``), the checks and conversions of the calls' arguments, and each source's functions
 * for the module.  Internal: the module's sources include it, nothing else does.
 *
 *   _engine_calls.c            the module, and its binding to the loaded engine
 *   _engine_calls_registers.c  registers: one, fixed batches, 32-bit CP15
 *   _engine_calls_run.c        a run slice's engine entry (run), emu_stop, translations, code
 *   _engine_calls_hooks.c      trap hooks and MMIO callbacks: C trampolines into Python
 */
#ifndef RTHV_ENGINE_CALLS_H
#define RTHV_ENGINE_CALLS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>
#include <stdint.h>

#include "_unicorn_api.h"

/* Shared between the module's sources only, not exported from the shared object. */
#define ENGINE_CALLS_INTERNAL __attribute__((visibility("hidden")))

typedef void (*claim_clock_fn)(void *state, void *uc);
typedef void (*release_clock_fn)(void);

/* The engine's functions and constants, set by ``bind`` and ``bind_clock``. */
struct engine_api {
    reg_read_fn reg_read;   /* for CP15 registers, whose value is a struct uc_arm_cp_reg */
    reg_write_fn reg_write; /* for CP15 registers, and PC (see write_word) */
    reg_read2_fn reg_read2;
    reg_write2_fn reg_write2;
    reg_batch2_fn reg_read_batch2;
    reg_batch2_fn reg_write_batch2;
    emu_start_fn emu_start;
    emu_stop_fn emu_stop;
    ctl_fn ctl;
    hook_add_fn hook_add;
    vmem_read_fn vmem_read;
    mmio_map_fn mmio_map;
    claim_clock_fn claim_clock;     /* _icount_clock.c's: the engine's clock reads a state */
    release_clock_fn release_clock;
    int cp_reg;             /* UC_ARM_REG_CP_REG */
    int pc_and_cpsr[2];     /* UC_ARM_REG_PC, UC_ARM_REG_CPSR */
    int remove_cache;       /* uc_ctl's code for UC_CTL_TB_REMOVE_CACHE, written */
    PyObject *error;        /* unicorn.UcError */
    PyObject *hook_exception; /* "_hook_exception", the bindings' slot for a callback's error */
    PyObject *kept_hooks;   /* "_rthv_hooks": a Uc's list of its hooks (_engine_calls_hooks.c) */
};

ENGINE_CALLS_INTERNAL extern struct engine_api api;

/* Raise the bindings' UcError with the engine's ``status`` (and ``context``, if not NULL):
 * NULL, for a function to return. */
ENGINE_CALLS_INTERNAL PyObject *engine_error(int status, PyObject *context);

/* The Hook type (in _engine_calls_hooks.c), made ready and added to the module there. */
ENGINE_CALLS_INTERNAL int add_hook_type(PyObject *module);

/* Each source's functions of the module. */
ENGINE_CALLS_INTERNAL extern PyMethodDef register_functions[];
ENGINE_CALLS_INTERNAL extern PyMethodDef run_functions[];
ENGINE_CALLS_INTERNAL extern PyMethodDef hook_functions[];

/* Inline below: the calls on the hot paths make them, and each source is compiled alone. */

static inline int check_args(Py_ssize_t got, Py_ssize_t want, const char *name)
{
    if (api.error == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "rthv.board._engine_calls is not bound to an engine");
        return -1;
    }
    if (got != want) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", name, want, got);
        return -1;
    }
    return 0;
}

static inline void *handle_of(PyObject *handle) { return PyLong_AsVoidPtr(handle); }

/* The arguments' count checked and the engine's handle (the first) converted: -1 on error. */
static inline int engine_args(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want,
                              const char *name, void **uc)
{
    if (check_args(nargs, want, name))
        return -1;
    *uc = handle_of(args[0]);
    return PyErr_Occurred() ? -1 : 0;
}

/* A value for a register: Python's ``value & 0xFFFFFFFF``, negative values included. */
static inline int word_of(PyObject *object, uint32_t *word)
{
    unsigned long long value = PyLong_AsUnsignedLongLongMask(object);
    if (value == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *word = (uint32_t)value;
    return 0;
}

#endif
