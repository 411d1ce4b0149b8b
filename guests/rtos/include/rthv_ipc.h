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
 * Notification: rthv_notify(channel) tells the hypervisor to signal the
 * peer.  PROVISIONAL ABI (fixed later by the hypervisor): "hvc #0" with
 * r0 = RTHV_HVC_NOTIFY and r1 = channel; the result comes back in r0
 * (0 = success).  It is a weak function so a port can replace it
 * without touching the ring code.
 */
#ifndef RTHV_IPC_H
#define RTHV_IPC_H

#include <tk/typedef.h>
#include <tk/errno.h>

#define RTHV_IPC_MAGIC      0x43504952U     /* "RIPC" */
#define RTHV_IPC_VERSION    1U
#define RTHV_IPC_HDR_SIZE   192U
#define RTHV_HVC_NOTIFY     0x00000001U     /* provisional call number */

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

/* Notify the peer on `channel` (PROVISIONAL hvc ABI, see above). */
ER  rthv_notify(UW channel);

#endif
