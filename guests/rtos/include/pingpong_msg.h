/*
 * rthv RTOS - the messages of the ping-pong benchmarks (pingpong-local, pingpong-vm)
 *
 * Message `seq` in direction `dir` carries 0..6 words of content derived from both, so the
 * receiver can check every message and both sides can compute the expected CRC-32 locally.
 */
#ifndef PINGPONG_MSG_H
#define PINGPONG_MSG_H

#include <tk/tkernel.h>

#define MAXWORDS    8

typedef struct {
	UW	seq;
	UW	dir;                    /* 0: ping (A -> B), 1: pong (B -> A) */
	UW	data[MAXWORDS - 2];
} MSG;

/* CRC-32 (IEEE, reflected) of n bytes at p, continuing from crc */
static inline UW crc32(UW crc, const void *p, UW n)
{
	const UB *b = p;
	INT k;

	crc = ~crc;
	while (n-- > 0) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1U));
	}
	return ~crc;
}

/* fill m with message seq in direction dir; returns its size: 8..32 bytes */
static inline INT make_msg(MSG *m, UW seq, UW dir)
{
	INT words = 2 + (INT)(seq % 7);
	INT i;

	m->seq = seq;
	m->dir = dir;
	for (i = 0; i < words - 2; i++)
		m->data[i] = (seq * 2654435761U) ^ (dir << 31) ^ ((UW)i * 0x9e3779b9U);
	return words * 4;
}

#endif
