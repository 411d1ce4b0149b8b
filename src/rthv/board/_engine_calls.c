/*
 * rthv's calls of the engine's C API on the hot paths: register reads and writes, fixed
 * batches, 32-bit CP15 registers, a run slice's engine entry (run), emu_stop, dropping
 * translations, and the trap hooks (UC_HOOK_INTR, UC_HOOK_INSN_INVALID) and MMIO callbacks with
 * C trampolines into Python callables.
 *
 * A call through ctypes costs about 0.25-1 us (argument conversion, libffi); these are
 * METH_FASTCALL functions that call the engine directly.  As in _icount.c, no Unicorn header
 * or library is linked: ``bind`` is given the addresses of the functions of the libunicorn the
 * bindings loaded, so the stock wheel and rthv's engine work alike.  Engine errors raise the
 * bindings' UcError with the engine's status.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdbool.h>
#include <stdint.h>

typedef int (*reg_read_fn)(void *uc, int regid, void *value);
typedef int (*reg_write_fn)(void *uc, int regid, const void *value);
typedef int (*reg_batch_fn)(void *uc, const int *regids, void *const *values, int count);
typedef int (*emu_start_fn)(void *uc, uint64_t begin, uint64_t until, uint64_t timeout,
                            size_t count);
typedef int (*emu_stop_fn)(void *uc);
typedef int (*ctl_fn)(void *uc, int control, ...);
typedef int (*hook_add_fn)(void *uc, size_t *hook, int type, void *callback, void *user_data,
                           uint64_t begin, uint64_t end, ...);
typedef uint64_t (*mmio_read_cb)(void *uc, uint64_t offset, unsigned size, void *data);
typedef void (*mmio_write_cb)(void *uc, uint64_t offset, unsigned size, uint64_t value,
                              void *data);
typedef int (*mmio_map_fn)(void *uc, uint64_t address, uint64_t size, mmio_read_cb read,
                           void *read_data, mmio_write_cb write, void *write_data);
typedef int (*vmem_read_fn)(void *uc, uint64_t address, int prot, void *bytes, size_t size);
typedef void (*claim_clock_fn)(void *state, void *uc);
typedef void (*release_clock_fn)(void);

enum { MAX_BATCH = 8, HOOK_INTR = 1 << 0, HOOK_INSN_INVALID = 1 << 14, PROT_EXEC = 4,
       CPSR_T = 1 << 5 };

/* Unicorn's uc_arm_cp_reg. */
struct cp_reg {
    uint32_t cp, is64, sec, crn, crm, opc1, opc2;
    uint64_t val;
};

static struct {
    reg_read_fn reg_read;
    reg_write_fn reg_write;
    reg_batch_fn reg_read_batch;
    reg_batch_fn reg_write_batch;
    emu_start_fn emu_start;
    emu_stop_fn emu_stop;
    ctl_fn ctl;
    hook_add_fn hook_add;
    vmem_read_fn vmem_read;
    mmio_map_fn mmio_map;
    claim_clock_fn claim_clock;     /* _icount.c's: the engine's clock reads a counter state */
    release_clock_fn release_clock;
    int cp_reg;             /* UC_ARM_REG_CP_REG */
    int pc_and_cpsr[2];     /* UC_ARM_REG_PC, UC_ARM_REG_CPSR */
    int remove_cache;       /* uc_ctl's code for UC_CTL_TB_REMOVE_CACHE, written */
    PyObject *error;        /* unicorn.UcError */
    PyObject *hook_exception; /* "_hook_exception", the bindings' slot for a callback's error */
} api;

static int check_args(Py_ssize_t got, Py_ssize_t want, const char *name)
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

static PyObject *engine_error(int status, PyObject *context)
{
    PyObject *error = context == NULL
        ? PyObject_CallFunction(api.error, "i", status)
        : PyObject_CallFunction(api.error, "iO", status, context);
    if (error != NULL) {
        PyErr_SetObject(api.error, error);
        Py_DECREF(error);
    }
    return NULL;
}

static void *handle_of(PyObject *handle) { return PyLong_AsVoidPtr(handle); }

/* The arguments' count checked and the engine's handle (the first) converted: -1 on error. */
static int engine_args(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t want, const char *name,
                       void **uc)
{
    if (check_args(nargs, want, name))
        return -1;
    *uc = handle_of(args[0]);
    return PyErr_Occurred() ? -1 : 0;
}

/* A value for a register: Python's ``value & 0xFFFFFFFF``, negative values included. */
static int word_of(PyObject *object, uint32_t *word)
{
    unsigned long long value = PyLong_AsUnsignedLongLongMask(object);
    if (value == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *word = (uint32_t)value;
    return 0;
}

static PyObject *reg_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 2, "reg_read", &uc))
        return NULL;
    int regid = (int)PyLong_AsLong(args[1]);
    if (PyErr_Occurred())
        return NULL;
    uint64_t value = 0;
    int status = api.reg_read(uc, regid, &value);
    if (status)
        return engine_error(status, args[1]);
    return PyLong_FromUnsignedLong((uint32_t)value);
}

static PyObject *reg_write(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 3, "reg_write", &uc))
        return NULL;
    int regid = (int)PyLong_AsLong(args[1]);
    uint32_t value;
    if (PyErr_Occurred() || word_of(args[2], &value))
        return NULL;
    int status = api.reg_write(uc, regid, &value);
    if (status)
        return engine_error(status, args[1]);
    Py_RETURN_NONE;
}

/* The register ids of a batch, from a tuple of ints. */
static int batch_ids(PyObject *ids, int *out, Py_ssize_t *count)
{
    if (!PyTuple_Check(ids) || PyTuple_GET_SIZE(ids) > MAX_BATCH) {
        PyErr_Format(PyExc_TypeError, "a batch is a tuple of at most %d register ids", MAX_BATCH);
        return -1;
    }
    *count = PyTuple_GET_SIZE(ids);
    for (Py_ssize_t i = 0; i < *count; i++) {
        out[i] = (int)PyLong_AsLong(PyTuple_GET_ITEM(ids, i));
        if (PyErr_Occurred())
            return -1;
    }
    return 0;
}

static PyObject *read_batch(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 2, "read_batch", &uc))
        return NULL;
    int ids[MAX_BATCH];
    Py_ssize_t count;
    if (PyErr_Occurred() || batch_ids(args[1], ids, &count))
        return NULL;
    uint64_t values[MAX_BATCH] = {0};
    void *pointers[MAX_BATCH];
    for (Py_ssize_t i = 0; i < count; i++)
        pointers[i] = &values[i];
    int status = api.reg_read_batch(uc, ids, pointers, (int)count);
    if (status)
        return engine_error(status, args[1]);
    PyObject *result = PyTuple_New(count);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *value = PyLong_FromUnsignedLong((uint32_t)values[i]);
        if (value == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, i, value);
    }
    return result;
}

static PyObject *write_batch(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    Py_ssize_t want = nargs >= 2 && PyTuple_Check(args[1]) ? 2 + PyTuple_GET_SIZE(args[1]) : 2;
    if (check_args(nargs, want, "write_batch"))
        return NULL;
    void *uc = handle_of(args[0]);
    int ids[MAX_BATCH];
    Py_ssize_t count;
    if (PyErr_Occurred() || batch_ids(args[1], ids, &count))
        return NULL;
    uint32_t values[MAX_BATCH];
    void *pointers[MAX_BATCH];
    for (Py_ssize_t i = 0; i < count; i++) {
        if (word_of(args[2 + i], &values[i]))
            return NULL;
        pointers[i] = &values[i];
    }
    int status = api.reg_write_batch(uc, ids, pointers, (int)count);
    if (status)
        return engine_error(status, args[1]);
    Py_RETURN_NONE;
}

/* A 32-bit CP15 register (non-secure bank) from arguments (crn, crm, opc1, opc2). */
static int cp15_of(PyObject *const *args, struct cp_reg *reg)
{
    long fields[4];
    for (int i = 0; i < 4; i++) {
        fields[i] = PyLong_AsLong(args[i]);
        if (fields[i] == -1 && PyErr_Occurred())
            return -1;
    }
    *reg = (struct cp_reg){15, 0, 0, (uint32_t)fields[0], (uint32_t)fields[1],
                           (uint32_t)fields[2], (uint32_t)fields[3], 0};
    return 0;
}

static PyObject *cp15_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 6, "cp15_read", &uc))
        return NULL;
    struct cp_reg reg;
    if (cp15_of(args + 1, &reg))
        return NULL;
    int status = api.reg_read(uc, api.cp_reg, &reg);
    if (status)
        return engine_error(status, args[5]);
    return PyLong_FromUnsignedLong((uint32_t)reg.val);
}

static PyObject *cp15_write(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 7, "cp15_write", &uc))
        return NULL;
    struct cp_reg reg;
    uint32_t value;
    if (cp15_of(args + 1, &reg) || word_of(args[5], &value))
        return NULL;
    reg.val = value;
    int status = api.reg_write(uc, api.cp_reg, &reg);
    if (status)
        return engine_error(status, args[6]);
    Py_RETURN_NONE;
}

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
static int read_pc_and_cpsr(void *uc, uint64_t values[2])
{
    void *pointers[2] = {&values[0], &values[1]};
    values[0] = values[1] = 0;
    return api.reg_read_batch(uc, api.pc_and_cpsr, pointers, 2);
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
    uint64_t where[2];
    int status = read_pc_and_cpsr(uc, where);
    if (status)
        return engine_error(status, NULL);
    uint64_t begin = (uint32_t)where[0] | (where[1] & CPSR_T ? 1 : 0);
    if (start_engine(uc_object, uc, begin, until, clock))
        return NULL;
    status = read_pc_and_cpsr(uc, where);
    if (status)
        return engine_error(status, NULL);
    return Py_BuildValue("(kk)", (unsigned long)(uint32_t)where[0],
                         (unsigned long)(uint32_t)where[1]);
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

/* ---- trap hooks ------------------------------------------------------------------------ */

/* One hook of an engine: what the trampoline calls, and the Uc whose ``_hook_exception`` keeps
 * an exception the callable raised.  The engine keeps a pointer to it: it must live as long as
 * the engine (a hook is never unregistered; the engine's hooks go with it). */
typedef struct {
    PyObject_HEAD
    PyObject *callback;
    PyObject *uc_object;
    void *uc;
    size_t hook;
} Hook;

/* A callback raised: keep its exception for ``run`` (the first one only), stop the engine. */
static void keep_exception(Hook *hook)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL)
        PyException_SetTraceback(value, traceback);
    PyObject *kept = PyObject_GetAttr(hook->uc_object, api.hook_exception);
    if (kept == NULL)
        PyErr_Clear();
    else if (kept == Py_None && value != NULL && PyObject_SetAttr(hook->uc_object,
                                                                  api.hook_exception, value))
        PyErr_Clear();
    Py_XDECREF(kept);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    api.emu_stop(hook->uc);
}

static void interrupt_trampoline(void *uc, uint32_t intno, void *data)
{
    (void)uc;
    Hook *hook = data;
    if (hook->callback == NULL)
        return;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *number = PyLong_FromUnsignedLong(intno);
    PyObject *result = number == NULL ? NULL : PyObject_Vectorcall(hook->callback, &number, 1,
                                                                    NULL);
    Py_XDECREF(number);
    if (result == NULL)
        keep_exception(hook);
    Py_XDECREF(result);
    PyGILState_Release(gil);
}

static bool invalid_trampoline(void *uc, void *data)
{
    (void)uc;
    Hook *hook = data;
    if (hook->callback == NULL)
        return false;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *result = PyObject_Vectorcall(hook->callback, NULL, 0, NULL);
    int handled = result == NULL ? -1 : PyObject_IsTrue(result);
    Py_XDECREF(result);
    if (handled < 0) {
        keep_exception(hook);
        handled = 0;
    }
    PyGILState_Release(gil);
    return handled != 0;
}

/* An MMIO read: ``callback(offset, size)`` gives the value. */
static uint64_t mmio_read_trampoline(void *uc, uint64_t offset, unsigned size, void *data)
{
    (void)uc;
    Hook *hook = data;
    if (hook->callback == NULL)
        return 0;
    PyGILState_STATE gil = PyGILState_Ensure();
    uint64_t value = 0;
    PyObject *args[2] = {PyLong_FromUnsignedLongLong(offset), PyLong_FromUnsignedLong(size)};
    PyObject *result = args[0] == NULL || args[1] == NULL
        ? NULL : PyObject_Vectorcall(hook->callback, args, 2, NULL);
    Py_XDECREF(args[0]);
    Py_XDECREF(args[1]);
    if (result != NULL) {
        value = PyLong_AsUnsignedLongLongMask(result);
        Py_DECREF(result);
    }
    if (PyErr_Occurred()) {
        keep_exception(hook);
        value = 0;
    }
    PyGILState_Release(gil);
    return value;
}

/* An MMIO write: ``callback(offset, size, value)``. */
static void mmio_write_trampoline(void *uc, uint64_t offset, unsigned size, uint64_t value,
                                  void *data)
{
    (void)uc;
    Hook *hook = data;
    if (hook->callback == NULL)
        return;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *args[3] = {PyLong_FromUnsignedLongLong(offset), PyLong_FromUnsignedLong(size),
                         PyLong_FromUnsignedLongLong(value)};
    PyObject *result = args[0] == NULL || args[1] == NULL || args[2] == NULL
        ? NULL : PyObject_Vectorcall(hook->callback, args, 3, NULL);
    for (int i = 0; i < 3; i++)
        Py_XDECREF(args[i]);
    if (result == NULL)
        keep_exception(hook);
    Py_XDECREF(result);
    PyGILState_Release(gil);
}

static int hook_traverse(Hook *self, visitproc visit, void *arg)
{
    Py_VISIT(self->callback);
    Py_VISIT(self->uc_object);
    return 0;
}

static int hook_clear(Hook *self)
{
    Py_CLEAR(self->callback);
    Py_CLEAR(self->uc_object);
    return 0;
}

static void hook_dealloc(Hook *self)
{
    PyObject_GC_UnTrack(self);
    hook_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject HookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rthv.board._engine_calls.Hook",
    .tp_basicsize = sizeof(Hook),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A trap hook or MMIO callback of one engine, calling a Python callable from C.",
    .tp_traverse = (traverseproc)hook_traverse,
    .tp_clear = (inquiry)hook_clear,
    .tp_dealloc = (destructor)hook_dealloc,
};

static Hook *new_hook(PyObject *uc_object, void *uc, PyObject *callback)
{
    if (!PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "a hook's callback must be callable");
        return NULL;
    }
    Hook *hook = PyObject_GC_New(Hook, &HookType);
    if (hook == NULL)
        return NULL;
    hook->uc_object = Py_NewRef(uc_object);
    hook->callback = Py_NewRef(callback);
    hook->uc = uc;
    hook->hook = 0;
    PyObject_GC_Track(hook);
    return hook;
}

/* mmio_map(uc, handle, address, size, read, write): route accesses in [address, address + size)
 * to ``read(offset, size) -> value`` and ``write(offset, size, value)``.  Returns the two hooks,
 * to be kept as long as the mapping. */
static PyObject *mmio_map(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (check_args(nargs, 6, "mmio_map"))
        return NULL;
    void *uc = handle_of(args[1]);
    uint64_t address = PyLong_AsUnsignedLongLongMask(args[2]);
    uint64_t size = PyLong_AsUnsignedLongLongMask(args[3]);
    if (PyErr_Occurred())
        return NULL;
    Hook *read = new_hook(args[0], uc, args[4]);
    Hook *write = read == NULL ? NULL : new_hook(args[0], uc, args[5]);
    if (write == NULL) {
        Py_XDECREF(read);
        return NULL;
    }
    int status = api.mmio_map(uc, address, size, mmio_read_trampoline, read,
                              mmio_write_trampoline, write);
    if (status) {
        Py_DECREF(read);
        Py_DECREF(write);
        return engine_error(status, NULL);
    }
    return Py_BuildValue("(NN)", read, write);
}

static PyObject *add_hook(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (check_args(nargs, 4, "add_hook"))
        return NULL;
    void *uc = handle_of(args[1]);
    long type = PyLong_AsLong(args[2]);
    if (PyErr_Occurred())
        return NULL;
    void *trampoline;
    if (type == HOOK_INTR)
        trampoline = (void *)interrupt_trampoline;
    else if (type == HOOK_INSN_INVALID)
        trampoline = (void *)invalid_trampoline;
    else {
        PyErr_Format(PyExc_ValueError, "no C trampoline for hook type %ld", type);
        return NULL;
    }
    Hook *hook = new_hook(args[0], uc, args[3]);
    if (hook == NULL)
        return NULL;
    int status = api.hook_add(uc, &hook->hook, (int)type, trampoline, hook, (uint64_t)1,
                              (uint64_t)0);
    if (status) {
        Py_DECREF(hook);
        return engine_error(status, NULL);
    }
    return (PyObject *)hook;
}

/* ---- binding ----------------------------------------------------------------------------- */

static int address_of(PyObject *functions, const char *name, void **out)
{
    PyObject *address = PyDict_GetItemString(functions, name);
    if (address == NULL) {
        PyErr_Format(PyExc_KeyError, "no address given for %s", name);
        return -1;
    }
    *out = PyLong_AsVoidPtr(address);
    if (*out == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "null address given for %s", name);
        return -1;
    }
    return 0;
}

static PyObject *bind(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 6 || !PyDict_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "bind(functions: dict, cp_reg: int, pc: int, cpsr: int, "
                                         "remove_cache: int, error: type)");
        return NULL;
    }
    enum { FUNCTIONS = 10 };
    void *pointers[FUNCTIONS];
    static const char *names[FUNCTIONS] = {
        "uc_reg_read", "uc_reg_write", "uc_reg_read_batch", "uc_reg_write_batch",
        "uc_emu_start", "uc_emu_stop", "uc_ctl", "uc_hook_add", "uc_vmem_read", "uc_mmio_map"};
    for (int i = 0; i < FUNCTIONS; i++)
        if (address_of(args[0], names[i], &pointers[i]))
            return NULL;
    int cp_reg = (int)PyLong_AsLong(args[1]);
    int pc = (int)PyLong_AsLong(args[2]);
    int cpsr = (int)PyLong_AsLong(args[3]);
    int remove = (int)PyLong_AsLong(args[4]);
    if (PyErr_Occurred())
        return NULL;
    api.reg_read = (reg_read_fn)pointers[0];
    api.reg_write = (reg_write_fn)pointers[1];
    api.reg_read_batch = (reg_batch_fn)pointers[2];
    api.reg_write_batch = (reg_batch_fn)pointers[3];
    api.emu_start = (emu_start_fn)pointers[4];
    api.emu_stop = (emu_stop_fn)pointers[5];
    api.ctl = (ctl_fn)pointers[6];
    api.hook_add = (hook_add_fn)pointers[7];
    api.vmem_read = (vmem_read_fn)pointers[8];
    api.mmio_map = (mmio_map_fn)pointers[9];
    api.cp_reg = cp_reg;
    api.pc_and_cpsr[0] = pc;
    api.pc_and_cpsr[1] = cpsr;
    api.remove_cache = remove;
    Py_XSETREF(api.error, Py_NewRef(args[5]));
    Py_RETURN_NONE;
}

/* bind_clock(claim, release): _icount.c's rthv_claim_clock and rthv_release_clock, which
 * ``run`` calls around the engine when given a counter state. */
static PyObject *bind_clock(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "bind_clock(claim: int, release: int)");
        return NULL;
    }
    void *claim = PyLong_AsVoidPtr(args[0]);
    void *release = PyLong_AsVoidPtr(args[1]);
    if (PyErr_Occurred())
        return NULL;
    if (claim == NULL || release == NULL) {
        PyErr_SetString(PyExc_ValueError, "bind_clock: a null address");
        return NULL;
    }
    api.claim_clock = (claim_clock_fn)claim;
    api.release_clock = (release_clock_fn)release;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", (PyCFunction)(void (*)(void))bind, METH_FASTCALL,
     "Use the engine functions at these addresses."},
    {"reg_read", (PyCFunction)(void (*)(void))reg_read, METH_FASTCALL,
     "One 32-bit register's value."},
    {"reg_write", (PyCFunction)(void (*)(void))reg_write, METH_FASTCALL,
     "Write one 32-bit register."},
    {"read_batch", (PyCFunction)(void (*)(void))read_batch, METH_FASTCALL,
     "Registers' values in one call of the engine, in order."},
    {"write_batch", (PyCFunction)(void (*)(void))write_batch, METH_FASTCALL,
     "Write registers in one call of the engine, in order."},
    {"cp15_read", (PyCFunction)(void (*)(void))cp15_read, METH_FASTCALL,
     "A 32-bit CP15 register's value."},
    {"cp15_write", (PyCFunction)(void (*)(void))cp15_write, METH_FASTCALL,
     "Write a 32-bit CP15 register."},
    {"bind_clock", (PyCFunction)(void (*)(void))bind_clock, METH_FASTCALL,
     "Use these functions to claim and release the engine's clock in ``run``."},
    {"run", (PyCFunction)(void (*)(void))run, METH_FASTCALL,
     "Run from the current PC with the clock claimed; PC and CPSR where it stopped."},
    {"emu_stop", (PyCFunction)(void (*)(void))emu_stop, METH_FASTCALL, "Stop the engine."},
    {"remove_cache", (PyCFunction)(void (*)(void))remove_cache, METH_FASTCALL,
     "Drop the translations of [begin, end)."},
    {"fetch_code", (PyCFunction)(void (*)(void))fetch_code, METH_FASTCALL,
     "Code bytes at a virtual address through the guest's MMU, or None."},
    {"mmio_map", (PyCFunction)(void (*)(void))mmio_map, METH_FASTCALL,
     "Route a range's accesses to Python read and write callables."},
    {"add_hook", (PyCFunction)(void (*)(void))add_hook, METH_FASTCALL,
     "Register an interrupt or invalid-instruction hook calling a Python callable."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_engine_calls", "rthv's direct calls of the engine's C API.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__engine_calls(void)
{
    if (PyType_Ready(&HookType) < 0)
        return NULL;
    api.hook_exception = PyUnicode_InternFromString("_hook_exception");
    if (api.hook_exception == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Hook", (PyObject *)&HookType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
