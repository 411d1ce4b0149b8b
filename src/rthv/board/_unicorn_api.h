/*
 * The engine's C API as rthv's native parts call it: the types of the libunicorn functions
 * they use, one place for all three extension modules (_icount, _timed_sites, _engine_calls).
 *
 * No Unicorn header or library is used: Python hands each module the addresses of the
 * functions of the libunicorn its bindings loaded, so the stock wheel and rthv's engine work
 * alike.  The types here must match Unicorn 2.1's uc_* signatures (unicorn/unicorn.h);
 * uc_rthv_limit_next_block is rthv's engine's own (engine/unicorn-short-block.patch).
 */
#ifndef RTHV_UNICORN_API_H
#define RTHV_UNICORN_API_H

#include <stddef.h>
#include <stdint.h>

typedef int (*reg_read_fn)(void *uc, int regid, void *value);
typedef int (*reg_write_fn)(void *uc, int regid, const void *value);
/* The sized variants: the engine refuses (UC_ERR_OVERFLOW) a register wider than ``*size``. */
typedef int (*reg_read2_fn)(void *uc, int regid, void *value, size_t *size);
typedef int (*reg_write2_fn)(void *uc, int regid, const void *value, size_t *size);
typedef int (*reg_batch2_fn)(void *uc, const int *regids, void *const *values, size_t *sizes,
                             int count);
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
typedef int (*limit_next_block_fn)(void *uc, uint32_t count);

#endif
