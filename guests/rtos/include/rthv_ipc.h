/*
 * rthv inter-VM communication: a single-producer / single-consumer
 * message ring in shared memory, plus a notification call.
 *
 * Shared memory layout (all fields little-endian 32-bit words):
 *
 *   offset   0  magic      RTHV_IPC_MAGIC
 *            4  version    RTHV_IPC_VERSION
 *            8  nslots     number of slots, a power of two
 *           12  slot_size  bytes per slot, a multiple of 4, >= 8
 *           64  head       slots written so far (producer only writes)
 *          128  tail       slots read so far (consumer only writes)
 *          192  slots      nslots * slot_size bytes; a slot is
 *                          [u32 length][length bytes of message]
 *
 * head and tail are free-running counters (mod 2^32); the ring holds
 * head - tail messages.  The producer writes the slot, then (after a
 * barrier) head; the consumer reads head, then the slot, then (after a
 * barrier) writes tail.  head and tail live in separate 64-byte lines.
 *
 * Notification: rthv_notify(channel) asks the hypervisor to raise the
 * channel's virtual IRQ in the peer VM.  It uses the rthv hypercall ABI
 * 1.0, summarised at the end of this file with the other calls
 * (rthv_hvc_version, rthv_vm_id); "hvc" is issued only in
 * lib/rthv_ipc.c (rthv_notify) and lib/rthv_hvc.c.
 */
#ifndef RTHV_IPC_H
#define RTHV_IPC_H

#include <tk/typedef.h>
#include <tk/errno.h>

#define RTHV_IPC_MAGIC      0x43504952U     /* "RIPC" */
#define RTHV_IPC_VERSION    1U
#define RTHV_IPC_HDR_SIZE   192U
/* hypercall numbers and status codes: at the end of this file */

typedef struct rthv_ring {
	volatile UW magic;
	volatile UW version;
	volatile UW nslots;
	volatile UW slot_size;
	UW _pad0[12];
	volatile UW head;
	UW _pad1[15];
	volatile UW tail;
	UW _pad2[15];
	UB slots[];
} rthv_ring_t;

/* Format `bytes` of shared memory at r as an empty ring of slots of
   slot_size bytes (as many as fit, rounded down to a power of two).
   Returns the number of slots or E_PAR. */
INT rthv_ring_init(rthv_ring_t *r, UW bytes, UW slot_size);

/* Check that r holds a ring of this version: E_OK or E_OBJ. */
ER  rthv_ring_attach(const rthv_ring_t *r);

/* Largest message a slot takes. */
UW  rthv_ring_max_msg(const rthv_ring_t *r);

/* Messages waiting. */
UW  rthv_ring_count(const rthv_ring_t *r);

/* Append a message: E_OK, E_PAR (too long) or E_TMOUT (ring full). */
ER  rthv_ring_send(rthv_ring_t *r, const void *msg, UW len);

/* Take the oldest message into buf: its length, E_TMOUT (ring empty)
   or E_PAR (buf smaller than the message; it stays in the ring). */
INT rthv_ring_recv(rthv_ring_t *r, void *buf, UW bufsz);

/* Notify on `channel`: RTHV_HVC_NOTIFY, 0 or RTHV_E_* (ABI below). */
ER  rthv_notify(UW channel);

/*
 * rthv hypercall ABI 1.0 (full text: docs/hypercalls.md)
 *
 *   "hvc #0" (any other immediate fails with RTHV_E_NOSYS); r0 = function
 *   number, arguments in r1..r3; on return r0 = status: 0 or a positive
 *   value on success, negative on error; r1..r12 are unchanged.
 *
 *   function          r0  in            r0 out (success)
 *   RTHV_HVC_VERSION  0   -             RTHV_ABI_VERSION (major << 16 | minor)
 *   RTHV_HVC_NOTIFY   1   r1 = channel  0; the channel's virtual IRQ is raised
 *                                       in its receiving VM (channel = a
 *                                       [[notify]] id starting at this VM)
 *   RTHV_HVC_VM_ID    2   -             this VM's index (0 = first [[vm]])
 *
 * These status codes are not T-Kernel error codes.
 */
#define RTHV_HVC_VERSION    0U
#define RTHV_HVC_NOTIFY     1U
#define RTHV_HVC_VM_ID      2U
#define RTHV_ABI_VERSION    0x00010000      /* 1.0 */

#define RTHV_E_NOSYS        (-1)    /* unknown function or hvc immediate */
#define RTHV_E_INVAL        (-2)    /* bad argument (channel id > 0xffff) */
#define RTHV_E_NOCHAN       (-3)    /* no such channel from this VM */
#define RTHV_E_PERM         (-4)    /* not allowed (the receiver has stopped) */

/* RTHV_HVC_VERSION: RTHV_ABI_VERSION of the hypervisor, or RTHV_E_*. */
INT rthv_hvc_version(void);

/* RTHV_HVC_VM_ID: this VM's index (0 = first [[vm]]), or RTHV_E_*. */
INT rthv_vm_id(void);

#endif
