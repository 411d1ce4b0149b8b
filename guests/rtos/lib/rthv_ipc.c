/*
 * rthv inter-VM message ring (see include/rthv_ipc.h)
 */
#include <rthv_ipc.h>

static inline void barrier(void)
{
	__asm__ volatile("dmb sy" : : : "memory");
}

static void copy(void *d, const volatile void *s, UW n)
{
	UB *dp = d;
	const volatile UB *sp = s;

	while (n-- > 0)
		*dp++ = *sp++;
}

static void copy_out(volatile void *d, const void *s, UW n)
{
	volatile UB *dp = d;
	const UB *sp = s;

	while (n-- > 0)
		*dp++ = *sp++;
}

static volatile UB *slot(rthv_ring_t *r, UW idx)
{
	return r->slots + (idx & (r->nslots - 1)) * r->slot_size;
}

INT rthv_ring_init(rthv_ring_t *r, UW bytes, UW slot_size)
{
	UW n = 1;

	if (r == NULL || ((UW)r & 3U) || slot_size < 8 || (slot_size & 3U) ||
	    bytes < RTHV_IPC_HDR_SIZE + slot_size)
		return E_PAR;
	while (n * 2 <= (bytes - RTHV_IPC_HDR_SIZE) / slot_size)
		n *= 2;
	r->magic = 0;
	barrier();
	r->nslots = n;
	r->slot_size = slot_size;
	r->head = 0;
	r->tail = 0;
	r->version = RTHV_IPC_VERSION;
	barrier();
	r->magic = RTHV_IPC_MAGIC;
	barrier();
	return (INT)n;
}

ER rthv_ring_attach(const rthv_ring_t *r)
{
	if (r == NULL || r->magic != RTHV_IPC_MAGIC || r->version != RTHV_IPC_VERSION)
		return E_OBJ;
	barrier();
	return E_OK;
}

UW rthv_ring_max_msg(const rthv_ring_t *r)
{
	return r->slot_size - 4;
}

UW rthv_ring_count(const rthv_ring_t *r)
{
	return r->head - r->tail;
}

ER rthv_ring_send(rthv_ring_t *r, const void *msg, UW len)
{
	UW head = r->head;
	volatile UB *s;

	if (len > rthv_ring_max_msg(r))
		return E_PAR;
	if (head - r->tail >= r->nslots)
		return E_TMOUT;
	barrier();                      /* tail read before slot reuse */
	s = slot(r, head);
	*(volatile UW *)s = len;
	copy_out(s + 4, msg, len);
	barrier();                      /* slot complete before head moves */
	r->head = head + 1;
	return E_OK;
}

INT rthv_ring_recv(rthv_ring_t *r, void *buf, UW bufsz)
{
	UW tail = r->tail;
	volatile UB *s;
	UW len;

	if (r->head == tail)
		return E_TMOUT;
	barrier();                      /* head read before the slot */
	s = slot(r, tail);
	len = *(volatile UW *)s;
	if (len > rthv_ring_max_msg(r))
		len = rthv_ring_max_msg(r);
	if (len > bufsz)
		return E_PAR;
	copy(buf, s + 4, len);
	barrier();                      /* slot consumed before tail moves */
	r->tail = tail + 1;
	return (INT)len;
}

/* ABI version 1.0 */ ER rthv_notify(UW channel)
{
	register UW r0 __asm__("r0") = RTHV_HVC_NOTIFY;
	register UW r1 __asm__("r1") = channel;

	__asm__ volatile(".arch_extension virt\n\thvc\t#0"
			 : "+r"(r0) : "r"(r1) : "memory");
	return (ER)r0;
}
