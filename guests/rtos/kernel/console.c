/*
 * rthv RTOS - console output: tm_putchar, tm_putstring, tm_printf
 */
#include <stdarg.h>
#include "knl.h"

#define LINE_MAX    256

typedef struct {
	char	buf[LINE_MAX];
	UINT	len;
} OUTBUF;

static void out_c(OUTBUF *o, char c)
{
	if (o->len < LINE_MAX)
		o->buf[o->len++] = c;
}

static void out_flush(const char *s, UINT n)
{
	UW cpsr = knl_disint();         /* one call = one atomic write */

	while (n-- > 0)
		bsp_putc(*s++);
	knl_setint(cpsr);
}

static void out_num(OUTBUF *o, UD v, UINT base, BOOL neg, BOOL upper,
		    INT width, BOOL zero, BOOL left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	INT n = 0, len;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v != 0);
	len = n + (neg ? 1 : 0);
	if (neg && zero)
		out_c(o, '-');
	for (; !left && len < width; width--)
		out_c(o, zero ? '0' : ' ');
	if (neg && !zero)
		out_c(o, '-');
	while (n > 0)
		out_c(o, tmp[--n]);
	for (; left && len < width; width--)
		out_c(o, ' ');
}

INT tm_printf(const char *fmt, ...)
{
	OUTBUF o;
	va_list ap;

	o.len = 0;
	va_start(ap, fmt);
	for (; *fmt != '\0'; fmt++) {
		BOOL zero = FALSE, left = FALSE, ll = FALSE;
		INT width = 0;
		UD v;

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		for (; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = TRUE;
			else
				zero = TRUE;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l'; fmt++)
			ll = (fmt[1] == 'l') || ll;
		if (left)
			zero = FALSE;
		switch (*fmt) {
		case 'd':
		case 'i': {
			D s = ll ? va_arg(ap, D) : va_arg(ap, INT);
			v = (s < 0) ? (UD)-s : (UD)s;
			out_num(&o, v, 10, s < 0, FALSE, width, zero, left);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			v = ll ? va_arg(ap, UD) : va_arg(ap, UINT);
			out_num(&o, v, (*fmt == 'u') ? 10 : 16, FALSE, *fmt == 'X',
				width, zero, left);
			break;
		case 'p':
			out_c(&o, '0');
			out_c(&o, 'x');
			out_num(&o, (UW)va_arg(ap, void *), 16, FALSE, FALSE, 8, TRUE, FALSE);
			break;
		case 'c':
			out_c(&o, (char)va_arg(ap, INT));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			INT n = 0;
			if (s == NULL)
				s = "(null)";
			while (s[n] != '\0')
				n++;
			for (; !left && n < width; width--)
				out_c(&o, ' ');
			while (*s != '\0')
				out_c(&o, *s++);
			for (; left && n < width; width--)
				out_c(&o, ' ');
			break;
		}
		case '\0':
			fmt--;
			break;
		default:
			out_c(&o, *fmt);
			break;
		}
	}
	va_end(ap);
	out_flush(o.buf, o.len);
	return (INT)o.len;
}

INT tm_putstring(const char *str)
{
	UINT n = 0;

	while (str[n] != '\0')
		n++;
	out_flush(str, n);
	return E_OK;
}

INT tm_putchar(INT c)
{
	char ch = (char)c;

	out_flush(&ch, 1);
	return E_OK;
}
