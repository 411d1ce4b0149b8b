# rt-periodic, and variants for a VM that owns only some of the board's
# devices (vexpress-a15, see bsp/vexpress-a15/board.h):
#   rt-periodic-vm-a  console uart0, SP804 timer01 only (tick IRQ 34)
#   rt-periodic-vm-b  console uart1, SP804 timer23 only (tick IRQ 35)
# Both VM variants fix the calibration at 500,000 loops/ms (the rthv board at 1 GHz): measured
# in a VM, it would depend on what the other VM did meanwhile.
# rt-soak-vm-a/-b: the light task set (U = 0.10), a progress line every second, and a run that
# does not end (100,000 hyperperiods), for the soak system examples/soak.toml.
ifeq ($(BOARD),vexpress-a15)
PROGRAMS_rt-periodic := rt-periodic rt-periodic-vm-a rt-periodic-vm-b rt-soak-vm-a rt-soak-vm-b
SRCDIR_rt-soak-vm-a := apps/rt-periodic
SRCDIR_rt-soak-vm-b := apps/rt-periodic
CFLAGS_rt-soak-vm-a := -DBSP_CONSOLE_UART=0 -DBSP_SINGLE_SP804=0 -DRT_LOOPS_PER_MS=500000 \
                       -DRT_TASKSET_LIGHT -DRT_REPORT_MS=1000 -DRT_HYPERPERIODS=100000 \
                       -DRT_PROG='"rt-soak"'
CFLAGS_rt-soak-vm-b := -DBSP_CONSOLE_UART=1 -DBSP_SINGLE_SP804=1 -DRT_LOOPS_PER_MS=500000 \
                       -DRT_TASKSET_LIGHT -DRT_REPORT_MS=1000 -DRT_HYPERPERIODS=100000 \
                       -DRT_PROG='"rt-soak"'
SRCDIR_rt-periodic-vm-a := apps/rt-periodic
SRCDIR_rt-periodic-vm-b := apps/rt-periodic
CFLAGS_rt-periodic-vm-a := -DBSP_CONSOLE_UART=0 -DBSP_SINGLE_SP804=0 -DRT_LOOPS_PER_MS=500000
CFLAGS_rt-periodic-vm-b := -DBSP_CONSOLE_UART=1 -DBSP_SINGLE_SP804=1 -DRT_LOOPS_PER_MS=500000
endif
# On virt, rt-beside-linux: the light task set (U = 0.10) with a 10 ms tick, a progress line
# every second, releases timed when their tick was due (a late tick makes the job late), and a
# run of 100,000 hyperperiods (over an hour: it reports, it does not end);
# examples/linux-rtos.toml runs it beside Linux with its console on the board's UART1.
ifeq ($(BOARD),virt)
PROGRAMS_rt-periodic := rt-periodic rt-beside-linux
SRCDIR_rt-beside-linux := apps/rt-periodic
CFLAGS_rt-beside-linux := -DRT_TASKSET_LIGHT -DCFN_TIMER_PERIOD=10 -DRT_REPORT_MS=1000 \
                          -DRT_IDEAL_RELEASE -DRT_HYPERPERIODS=100000 -DRT_PROG='"rt-periodic"' -DRT_LOOPS_PER_MS=500000
endif
