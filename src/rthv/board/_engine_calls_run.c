/*
 * rthv.board._engine_calls: running the engine.  ``run`` is what a run slice does around the
 * engine, in one call: read where the guest is, claim the engine's clock, start the engine
 * without the GIL, release the clock, raise what a callback kept, read where it stopped.  Also
 * ``emu_stop`` (from a callback or another thread), dropping the translations of a range, and
 * fetching code through the guest's MMU.
 */
#include "_engine_calls.h"

enum { PROT_EXEC = 4, CPSR_T = 1 << 5 };

/* Raise the exception a callback kept in ``uc._hook_exception``, if any (0: none kept). */
static int raise_kept(PyObject *uc)
{
    PyObject *kept = PyObject_GetAttr(uc, api.hook_exception);
    if (kept == NULL)
        return -1;
    if (kept == Py_None) {
        Py_DECREF(kept);
        return 0;
    }
    if (PyExceptionInstance_Check(kept))
        PyErr_SetObject((PyObject *)Py_TYPE(kept), kept);
    else
        PyErr_SetString(PyExc_TypeError, "a callback kept something that is not an exception");
    Py_DECREF(kept);
    return -1;
}

/* The engine from ``begin`` to ``until`` without the GIL (callbacks take it again; other
 * threads run meanwhile), with the engine's clock claimed on the counter state at ``clock``
 * (NULL: none); then a callback's kept exception, or the engine's error: -1 with it raised. */
static int start_engine(PyObject *uc_object, void *uc, uint64_t begin, uint64_t until,
                        void *clock)
{
    if (PyObject_SetAttr(uc_object, api.hook_exception, Py_None))
        return -1;
    if (clock != NULL)
        api.claim_clock(clock, uc);
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = api.emu_start(uc, begin, until, 0, 0);
    Py_END_ALLOW_THREADS
    if (clock != NULL)
        api.release_clock();
    if (raise_kept(uc_object)) /* a callback's own error first: it says why the run failed */
        return -1;
    if (status) {
        engine_error(status, NULL);
        return -1;
    }
    return 0;
}

/* PC and CPSR in one call of the engine. */
static int read_pc_and_cpsr(void *uc, uint32_t values[2])
{
    void *pointers[2] = {&values[0], &values[1]};
    size_t sizes[2] = {sizeof(values[0]), sizeof(values[1])};
    values[0] = values[1] = 0;
    return api.reg_read_batch2(uc, api.pc_and_cpsr, pointers, sizes, 2);
}

/* run(uc, handle, until, clock) -> (pc, cpsr): emu_start from the current PC, in the state
 * CPSR.T selects, with the engine's clock reading the counter state at address ``clock``
 * meanwhile (0: no clock to claim), then PC and CPSR where the engine stopped.  One call for
 * what a run slice does around the engine: read where it is, claim the clock, start, release
 * the clock, raise a callback's kept exception, read where it stopped. */
static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (check_args(nargs, 4, "run"))
        return NULL;
    PyObject *uc_object = args[0];
    void *uc = handle_of(args[1]);
    if (PyErr_Occurred())
        return NULL;
    uint64_t until = PyLong_AsUnsignedLongLongMask(args[2]);
    void *clock = PyLong_AsVoidPtr(args[3]);
    if (PyErr_Occurred())
        return NULL;
    if (clock != NULL && api.claim_clock == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "run: no engine clock bound (bind_clock)");
        return NULL;
    }
    uint32_t where[2];
    int status = read_pc_and_cpsr(uc, where);
    if (status)
        return engine_error(status, NULL);
    uint64_t begin = where[0] | (where[1] & CPSR_T ? 1 : 0);
    if (start_engine(uc_object, uc, begin, until, clock))
        return NULL;
    status = read_pc_and_cpsr(uc, where);
    if (status)
        return engine_error(status, NULL);
    return Py_BuildValue("(kk)", (unsigned long)where[0], (unsigned long)where[1]);
}

static PyObject *emu_stop(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 1, "emu_stop", &uc))
        return NULL;
    int status = api.emu_stop(uc);
    if (status)
        return engine_error(status, NULL);
    Py_RETURN_NONE;
}

static PyObject *remove_cache(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 3, "remove_cache", &uc))
        return NULL;
    uint64_t begin = PyLong_AsUnsignedLongLongMask(args[1]);
    uint64_t end = PyLong_AsUnsignedLongLongMask(args[2]);
    if (PyErr_Occurred())
        return NULL;
    int status = api.ctl(uc, api.remove_cache, begin, end);
    if (status)
        return engine_error(status, NULL);
    Py_RETURN_NONE;
}

/* fetch_code(handle, address, size): code bytes at a virtual address through the guest's MMU,
 * as an instruction fetch reads them, or None if they are not all translated and mapped. */
static PyObject *fetch_code(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 3, "fetch_code", &uc))
        return NULL;
    uint64_t address = PyLong_AsUnsignedLongLongMask(args[1]);
    Py_ssize_t size = PyLong_AsSsize_t(args[2]);
    if (PyErr_Occurred())
        return NULL;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "fetch_code: a negative size");
        return NULL;
    }
    PyObject *code = PyBytes_FromStringAndSize(NULL, size);
    if (code == NULL)
        return NULL;
    if (api.vmem_read(uc, address, PROT_EXEC, PyBytes_AS_STRING(code), (size_t)size)) {
        Py_DECREF(code);
        Py_RETURN_NONE;
    }
    return code;
}
PyMethodDef run_functions[] = {
    {"run", (PyCFunction)(void (*)(void))run, METH_FASTCALL,
     "Run from the current PC with the clock claimed; PC and CPSR where it stopped."},
    {"emu_stop", (PyCFunction)(void (*)(void))emu_stop, METH_FASTCALL, "Stop the engine."},
    {"remove_cache", (PyCFunction)(void (*)(void))remove_cache, METH_FASTCALL,
     "Drop the translations of [begin, end)."},
    {"fetch_code", (PyCFunction)(void (*)(void))fetch_code, METH_FASTCALL,
     "Code bytes at a virtual address through the guest's MMU, or None."},
    {NULL, NULL, 0, NULL},
};
