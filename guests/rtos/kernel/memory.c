/*
 * rthv RTOS - kernel memory (task stacks, message buffer rings) and the
 * C library basics the compiler may call (memcpy, memset, memmove,
 * memcmp).
 *
 * The heap is a first-fit free list with coalescing over a static area
 * that is not cleared at boot (.noinit).  Blocks are 8-byte aligned.
 */
#include "knl.h"

typedef struct blk {
	struct blk *next;       /* next free block, address order */
	UW size;                /* bytes including this header */
} BLK;

#define ALIGN8(n)   (((n) + 7U) & ~7U)
#define HDR         ALIGN8(sizeof(BLK))

static UD knl_sysmem[CFN_SYSMEM_SIZE / sizeof(UD)] __attribute__((section(".noinit")));
static BLK *knl_freelist;

void knl_mem_init(void)
{
	knl_freelist = (BLK *)(void *)knl_sysmem;
	knl_freelist->next = NULL;
	knl_freelist->size = sizeof(knl_sysmem);
}

void *knl_malloc(SZ size)
{
	BLK **pp, *b;
	UW need;
	void *p = NULL;

	if (size <= 0 || (UW)size > sizeof(knl_sysmem))
		return NULL;
	need = ALIGN8((UW)size) + HDR;
	BEGIN_CRITICAL_SECTION;
	for (pp = &knl_freelist; (b = *pp) != NULL; pp = &b->next) {
		if (b->size < need)
			continue;
		if (b->size - need >= HDR + 16) {       /* split, keep the tail free */
			BLK *rest = (BLK *)(void *)((UB *)b + need);
			rest->next = b->next;
			rest->size = b->size - need;
			b->size = need;
			*pp = rest;
		} else {
			*pp = b->next;
		}
		p = (UB *)b + HDR;
		break;
	}
	END_CRITICAL_SECTION;
	return p;
}

void knl_free(void *p)
{
	BLK *b, **pp, *n;

	if (p == NULL)
		return;
	b = (BLK *)(void *)((UB *)p - HDR);
	BEGIN_CRITICAL_SECTION;
	for (pp = &knl_freelist; *pp != NULL && *pp < b; pp = &(*pp)->next)
		;
	n = *pp;
	b->next = n;
	*pp = b;
	if (n != NULL && (UB *)b + b->size == (UB *)n) {        /* merge next */
		b->size += n->size;
		b->next = n->next;
	}
	if (pp != &knl_freelist) {                              /* merge prev */
		BLK *prev = CONTAINER(pp, BLK, next);
		if ((UB *)prev + prev->size == (UB *)b) {
			prev->size += b->size;
			prev->next = b->next;
		}
	}
	END_CRITICAL_SECTION;
}

void *memcpy(void *d, const void *s, __SIZE_TYPE__ n)
{
	UB *dp = d;
	const UB *sp = s;

	if ((((UW)dp | (UW)sp) & 3U) == 0) {
		for (; n >= 4; n -= 4, dp += 4, sp += 4)
			*(UW *)(void *)dp = *(const UW *)(const void *)sp;
	}
	while (n-- > 0)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, __SIZE_TYPE__ n)
{
	UB *dp = d;
	const UB *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	while (n-- > 0)
		dp[n] = sp[n];
	return d;
}

void *memset(void *d, int c, __SIZE_TYPE__ n)
{
	UB *dp = d;

	while (n-- > 0)
		*dp++ = (UB)c;
	return d;
}

int memcmp(const void *a, const void *b, __SIZE_TYPE__ n)
{
	const UB *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
