/*
 * rthv.board._engine_calls: rthv's calls of the engine's C API on the hot paths.  This source
 * is the module itself and its binding to the engine; the calls are in the sources that
 * _engine_calls.h lists (registers, a run slice's engine entry, trap hooks and MMIO).
 *
 * A call through ctypes costs about 0.25-1 us (argument conversion, libffi); these are
 * METH_FASTCALL functions that call the engine directly.  As in _icount, no Unicorn header
 * or library is linked: ``bind`` is given the addresses of the functions of the libunicorn the
 * bindings loaded, so the stock wheel and rthv's engine work alike.  Engine errors raise the
 * bindings' UcError with the engine's status.
 */
#include "_engine_calls.h"

struct engine_api api;

PyObject *engine_error(int status, PyObject *context)
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
    enum { FUNCTIONS = 12 };
    void *pointers[FUNCTIONS];
    static const char *names[FUNCTIONS] = {
        "uc_reg_read", "uc_reg_write", "uc_reg_read2", "uc_reg_write2", "uc_reg_read_batch2",
        "uc_reg_write_batch2", "uc_emu_start", "uc_emu_stop", "uc_ctl", "uc_hook_add",
        "uc_vmem_read", "uc_mmio_map"};
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
    api.reg_read2 = (reg_read2_fn)pointers[2];
    api.reg_write2 = (reg_write2_fn)pointers[3];
    api.reg_read_batch2 = (reg_batch2_fn)pointers[4];
    api.reg_write_batch2 = (reg_batch2_fn)pointers[5];
    api.emu_start = (emu_start_fn)pointers[6];
    api.emu_stop = (emu_stop_fn)pointers[7];
    api.ctl = (ctl_fn)pointers[8];
    api.hook_add = (hook_add_fn)pointers[9];
    api.vmem_read = (vmem_read_fn)pointers[10];
    api.mmio_map = (mmio_map_fn)pointers[11];
    api.cp_reg = cp_reg;
    api.pc_and_cpsr[0] = pc;
    api.pc_and_cpsr[1] = cpsr;
    api.remove_cache = remove;
    Py_XSETREF(api.error, Py_NewRef(args[5]));
    Py_RETURN_NONE;
}

/* bind_clock(claim, release): _icount_clock.c's rthv_claim_clock and rthv_release_clock, which
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

static PyMethodDef binding_functions[] = {
    {"bind", (PyCFunction)(void (*)(void))bind, METH_FASTCALL,
     "Use the engine functions at these addresses."},
    {"bind_clock", (PyCFunction)(void (*)(void))bind_clock, METH_FASTCALL,
     "Use these functions to claim and release the engine's clock in ``run``."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_engine_calls", "rthv's direct calls of the engine's C API.", -1,
    binding_functions, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__engine_calls(void)
{
    api.hook_exception = PyUnicode_InternFromString("_hook_exception");
    if (api.hook_exception == NULL)
        return NULL;
    api.kept_hooks = PyUnicode_InternFromString("_rthv_hooks");
    if (api.kept_hooks == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddFunctions(m, register_functions) < 0
        || PyModule_AddFunctions(m, run_functions) < 0
        || PyModule_AddFunctions(m, hook_functions) < 0 || add_hook_type(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
