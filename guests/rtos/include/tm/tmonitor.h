/*
 * rthv RTOS - console output (tm/tmonitor.h), T-Monitor style names.
 *
 * Output goes to the board console UART (polled).  Each call is atomic
 * with respect to other tasks and interrupt handlers: lines from
 * different tasks never interleave.
 */
#ifndef TM_TMONITOR_H
#define TM_TMONITOR_H

INT  tm_putchar(INT c);
INT  tm_putstring(const char *str);   /* T-Monitor takes UB *; char avoids casts */
/* Supports %d %i %u %x %X %p %s %c %%, flags '-' '0', a field width,
   and the length modifiers l (ignored) and ll (64 bit). */
INT  tm_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
