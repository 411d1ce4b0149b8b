# estop: the control VM of examples/estop.toml (vexpress-a15 only): console uart0, SP804
# timer01 only (tick IRQ 34). Calibration fixed as in rt-periodic-vm-a (the board at 1 GHz).
ifeq ($(BOARD),vexpress-a15)
PROGRAMS_estop := estop
CFLAGS_estop := -DBSP_CONSOLE_UART=0 -DBSP_SINGLE_SP804=0 -DRT_LOOPS_PER_MS=500000
else
PROGRAMS_estop :=
endif
