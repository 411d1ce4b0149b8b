/*
 * rthv.board._engine_calls: the engine's trap hooks (UC_HOOK_INTR, UC_HOOK_INSN_INVALID) and
 * MMIO callbacks as C trampolines that call a Python callable directly.  A callable's exception
 * is kept in its Uc's ``_hook_exception`` (the first one only), where the bindings keep it too,
 * and stops the engine; ``run`` raises it once the engine has returned.
 */
#include "_engine_calls.h"

enum { HOOK_INTR = 1 << 0, HOOK_INSN_INVALID = 1 << 14 };

/* One hook of an engine: what the trampoline calls, and the Uc whose ``_hook_exception`` keeps
 * an exception the callable raised.  The engine keeps a pointer to it, so it lives as long as
 * the engine: its Uc keeps it (keep_with_engine), whatever the caller does with the hooks it is
 * given (a hook is never unregistered; the engine's hooks go with it). */
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

/* Keep ``hook`` in its Uc's ``_rthv_hooks`` list (made on first use), as the bindings keep
 * their own callbacks in the Uc: the engine's pointer to it then never outlives it.  Done before
 * the engine is given the pointer (a hook whose registration then fails stays, unused). */
static int keep_with_engine(Hook *hook)
{
    PyObject *kept = PyObject_GetAttr(hook->uc_object, api.kept_hooks);
    if (kept == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();
        kept = PyList_New(0);
        if (kept == NULL || PyObject_SetAttr(hook->uc_object, api.kept_hooks, kept)) {
            Py_XDECREF(kept);
            return -1;
        }
    }
    int status = PyList_Check(kept) ? PyList_Append(kept, (PyObject *)hook) : -1;
    if (status && !PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "a Uc's _rthv_hooks is not a list");
    Py_DECREF(kept);
    return status;
}

/* mmio_map(uc, handle, address, size, read, write): route accesses in [address, address + size)
 * to ``read(offset, size) -> value`` and ``write(offset, size, value)``.  Returns the two hooks
 * (their Uc keeps them too). */
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
    if (write == NULL || keep_with_engine(read) || keep_with_engine(write)) {
        Py_XDECREF(read);
        Py_XDECREF(write);
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
    if (keep_with_engine(hook)) {
        Py_DECREF(hook);
        return NULL;
    }
    int status = api.hook_add(uc, &hook->hook, (int)type, trampoline, hook, (uint64_t)1,
                              (uint64_t)0);
    if (status) {
        Py_DECREF(hook);
        return engine_error(status, NULL);
    }
    return (PyObject *)hook;
}

int add_hook_type(PyObject *module)
{
    if (PyType_Ready(&HookType) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Hook", (PyObject *)&HookType);
}

PyMethodDef hook_functions[] = {
    {"mmio_map", (PyCFunction)(void (*)(void))mmio_map, METH_FASTCALL,
     "Route a range's accesses to Python read and write callables."},
    {"add_hook", (PyCFunction)(void (*)(void))add_hook, METH_FASTCALL,
     "Register an interrupt or invalid-instruction hook calling a Python callable."},
    {NULL, NULL, 0, NULL},
};
