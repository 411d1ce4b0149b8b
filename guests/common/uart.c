/* PL011 console on UART0: polled transmit, no interrupts. */
#include "bsp.h"

#define UART_DR         0x00
#define UART_FR         0x18
#define UART_LCR_H      0x2c
#define UART_CR         0x30
#define UART_IMSC       0x38

#define UART_FR_TXFF    (1u << 5)
#define UART_LCRH_FEN   (1u << 4)
#define UART_LCRH_WLEN8 (3u << 5)
#define UART_CR_UARTEN  (1u << 0)
#define UART_CR_TXE     (1u << 8)
#define UART_CR_RXE     (1u << 9)

void uart_init(void)
{
    /* Baud-rate registers are left alone (meaningless for an emulated UART). */
    mmio_write32(BOARD_UART0_BASE + UART_IMSC, 0);
    mmio_write32(BOARD_UART0_BASE + UART_LCR_H, UART_LCRH_WLEN8 | UART_LCRH_FEN);
    mmio_write32(BOARD_UART0_BASE + UART_CR, UART_CR_UARTEN | UART_CR_TXE | UART_CR_RXE);
}

void uart_putc(char c)
{
    while (mmio_read32(BOARD_UART0_BASE + UART_FR) & UART_FR_TXFF) {
    }
    mmio_write32(BOARD_UART0_BASE + UART_DR, (uint8_t)c);
}

void uart_puts(const char *s)
{
    while (*s) {
        uart_putc(*s++);
    }
}

static const char hex_digits[] = "0123456789abcdef";

static void put_hex_width(uint32_t v, int width, int upper)
{
    char buf[8];
    int n = 0;
    do {
        char d = hex_digits[v & 0xf];
        if (upper && d >= 'a') {
            d = (char)(d - 'a' + 'A');
        }
        buf[n++] = d;
        v >>= 4;
    } while (v != 0);
    while (n < width && n < 8) {
        buf[n++] = '0';
    }
    while (n > 0) {
        uart_putc(buf[--n]);
    }
}

void uart_put_hex(uint32_t v)
{
    uart_putc('0');
    uart_putc('x');
    put_hex_width(v, 8, 0);
}

static void put_dec_width(uint32_t v, int width, char pad, int negative)
{
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    int len = n + (negative ? 1 : 0);
    if (pad == '0' && negative) {
        uart_putc('-');
    }
    for (; len < width; len++) {
        uart_putc(pad);
    }
    if (pad != '0' && negative) {
        uart_putc('-');
    }
    while (n > 0) {
        uart_putc(buf[--n]);
    }
}

void uart_put_dec(uint32_t v)
{
    put_dec_width(v, 0, ' ', 0);
}

void uart_put_sdec(int32_t v)
{
    if (v < 0) {
        put_dec_width(0u - (uint32_t)v, 0, ' ', 1);
    } else {
        put_dec_width((uint32_t)v, 0, ' ', 0);
    }
}

void kvprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt - '0');
            fmt++;
        }
        while (*fmt == 'l') {   /* long == int on this target */
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL) {
                s = "(null)";
            }
            int len = 0;
            while (s[len]) {
                len++;
            }
            for (; len < width; len++) {
                uart_putc(' ');
            }
            uart_puts(s);
            break;
        }
        case 'c':
            uart_putc((char)va_arg(ap, int));
            break;
        case 'd':
        case 'i': {
            int32_t v = va_arg(ap, int32_t);
            if (v < 0) {
                put_dec_width(0u - (uint32_t)v, width, pad, 1);
            } else {
                put_dec_width((uint32_t)v, width, pad, 0);
            }
            break;
        }
        case 'u':
            put_dec_width(va_arg(ap, uint32_t), width, pad, 0);
            break;
        case 'x':
        case 'X': {
            uint32_t v = va_arg(ap, uint32_t);
            int upper = *fmt == 'X';
            if (pad == '0') {
                put_hex_width(v, width, upper);
            } else {
                uint32_t t = v;
                int digits = 0;
                do {
                    digits++;
                    t >>= 4;
                } while (t != 0);
                for (; digits < width; digits++) {
                    uart_putc(' ');
                }
                put_hex_width(v, 0, upper);
            }
            break;
        }
        case 'p':
            uart_put_hex((uint32_t)(uintptr_t)va_arg(ap, void *));
            break;
        case '%':
            uart_putc('%');
            break;
        case '\0':
            return;
        default:
            uart_putc('%');
            uart_putc(*fmt);
            break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}
