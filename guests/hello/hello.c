/* hello: the smallest guest. Prints two fixed lines on UART0 and halts. */
#include "bsp.h"

int main(void)
{
    uart_puts("Hello from rthv guest\n");
    uart_puts("hello done\n");
    return 0;
}
