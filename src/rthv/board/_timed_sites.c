/*
 * rthv timed access sites: a Unicorn UC_HOOK_CODE callback that makes the PC exact for the
 * instructions known to access a timed device.
 *
 * Unicorn syncs the guest PC before calling a code hook, and only for the instructions a code
 * hook covers.  Each site is hooked together with the next four bytes (where the instruction
 * that follows it starts, in ARM and T32).  The hook records the site's address when it runs
 * for a site, and clears it for any other instruction, so ``exact_pc`` names the instruction
 * executing right now whenever it is set and ``exact_block`` equals the block counter of the
 * instruction counter (a new block starts elsewhere: the record is stale).  When a site's
 * access lowered the run's limits (an event or an interrupt due at once), ``stop_next`` makes
 * the hook stop the engine before the instruction that follows, exactly there.
 * The state layout must match TimedSiteState in timed_sites.py.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_unicorn_api.h"

enum { MAX_SITES = 64 };
#define NO_SITE UINT64_MAX

struct timed_site_state {
    uint64_t exact_pc;        /* the site executing now, NO_SITE when none */
    uint64_t exact_block;     /* the instruction counter's block count when it was recorded */
    const uint64_t *blocks;   /* the instruction counter's block count */
    emu_stop_fn emu_stop;
    uint32_t count;           /* sites in use */
    uint32_t stop_next;       /* stop before the next hooked instruction (after a site) */
    uint32_t stopped;         /* this hook stopped the engine */
    uint32_t reserved;
    uint64_t sites[MAX_SITES];
};

void rthv_site_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct timed_site_state *s = (struct timed_site_state *)user_data;
    uint32_t i;
    (void)size;
    if (s->stop_next) {
        /* A site's access changed the run's limits: stop before the instruction after it. */
        s->stop_next = 0;
        s->stopped = 1;
        s->exact_pc = NO_SITE;
        s->emu_stop(uc);
        return;
    }
    for (i = 0; i < s->count; i++) {
        if (s->sites[i] == address) {
            s->exact_pc = address;
            s->exact_block = *s->blocks;
            return;
        }
    }
    s->exact_pc = NO_SITE;
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return Py_BuildValue("{s:K,s:n,s:n}", "site_hook",
                         (unsigned long long)(uintptr_t)&rthv_site_hook, "state_size",
                         (Py_ssize_t)sizeof(struct timed_site_state), "max_sites",
                         (Py_ssize_t)MAX_SITES);
}

static PyMethodDef methods[] = {
    {"addresses", addresses, METH_NOARGS, "Address of the native site hook, and sizes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_timed_sites", "rthv timed access sites.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__timed_sites(void) { return PyModule_Create(&module); }
