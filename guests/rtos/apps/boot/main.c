/*
 * boot: time from reset to usermain().
 *
 * "Reset" is the first read of the board's free-running 1 MHz counter,
 * done by the first instructions of the reset handler (which also start
 * the counter); the second read is the first statement of usermain().
 */
#include <tk/tkernel.h>

INT usermain(void)
{
	UW at_main = rt_counter();
	UW at_reset = rt_reset_count();

	tm_printf("boot: counter at reset    %u\n", at_reset);
	tm_printf("boot: counter at usermain %u\n", at_main);
	tm_printf("boot: reset -> usermain %u us\n", at_main - at_reset);
	tm_printf("boot: done\n");
	return 0;
}
