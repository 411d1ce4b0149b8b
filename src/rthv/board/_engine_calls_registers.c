/*
 * rthv.board._engine_calls: the guest's registers read and written through the engine's C API,
 * one at a time, in fixed batches (one call of the engine for up to eight), and the 32-bit CP15
 * registers of the non-secure bank.  Values are 32-bit: a write keeps ``value & 0xFFFFFFFF``.
 * The engine is told each value's size (its ``*2`` functions), so a register wider than 32 bits
 * (D, Q, UC_ARM_REG_CP_REG's struct) is refused with UC_ERR_OVERFLOW, never read into or out of
 * the 4 bytes given.
 */
#include "_engine_calls.h"

enum { MAX_BATCH = 8 };

/* Unicorn's uc_arm_cp_reg. */
struct cp_reg {
    uint32_t cp, is64, sec, crn, crm, opc1, opc2;
    uint64_t val;
};

static PyObject *reg_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    void *uc;
    if (engine_args(args, nargs, 2, "reg_read", &uc))
        return NULL;
    int regid = (int)PyLong_AsLong(args[1]);
    if (PyErr_Occurred())
        return NULL;
    uint32_t value = 0;
    size_t size = sizeof(value);
    int status = api.reg_read2(uc, regid, &value, &size);
    if (status)
        return engine_error(status, args[1]);
    return PyLong_FromUnsignedLong(value);
}

/* Write a 32-bit register.  PC goes through uc_reg_write, which (unlike uc_reg_write2) also
 * makes a run the write is made in resume at the new PC; PC is 32 bits wide. */
static int write_word(void *uc, int regid, uint32_t value)
{
    size_t size = sizeof(value);
    if (regid == api.pc_and_cpsr[0])
        return api.reg_write(uc, regid, &value);
    return api.reg_write2(uc, regid, &value, &size);
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
    int status = write_word(uc, regid, value);
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
    uint32_t values[MAX_BATCH] = {0};
    void *pointers[MAX_BATCH];
    size_t sizes[MAX_BATCH];
    for (Py_ssize_t i = 0; i < count; i++) {
        pointers[i] = &values[i];
        sizes[i] = sizeof(values[i]);
    }
    int status = api.reg_read_batch2(uc, ids, pointers, sizes, (int)count);
    if (status)
        return engine_error(status, args[1]);
    PyObject *result = PyTuple_New(count);
    if (result == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *value = PyLong_FromUnsignedLong(values[i]);
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
    size_t sizes[MAX_BATCH];
    for (Py_ssize_t i = 0; i < count; i++) {
        if (word_of(args[2 + i], &values[i]))
            return NULL;
        pointers[i] = &values[i];
        sizes[i] = sizeof(values[i]);
    }
    /* uc_reg_write_batch2 does what uc_reg_write_batch does, with the sizes checked */
    int status = api.reg_write_batch2(uc, ids, pointers, sizes, (int)count);
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

PyMethodDef register_functions[] = {
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
    {NULL, NULL, 0, NULL},
};
