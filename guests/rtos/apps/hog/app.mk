# hog, and variants for a VM that owns only some of the board's devices
# (vexpress-a15, see bsp/vexpress-a15/board.h):
#   hog-vm-a  console uart0, SP804 timer01 only (tick IRQ 34)
#   hog-vm-b  console uart1, SP804 timer23 only (tick IRQ 35)
#   hog-burst-vm-b  as hog-vm-b, bursts of 20 ms of work then 20 ms asleep (50% load),
#             calibration fixed at 500,000 loops/ms (the rthv board at 1 GHz)
ifeq ($(BOARD),vexpress-a15)
PROGRAMS_hog := hog hog-vm-a hog-vm-b hog-burst-vm-b
SRCDIR_hog-vm-a := apps/hog
SRCDIR_hog-vm-b := apps/hog
CFLAGS_hog-vm-a := -DBSP_CONSOLE_UART=0 -DBSP_SINGLE_SP804=0
CFLAGS_hog-vm-b := -DBSP_CONSOLE_UART=1 -DBSP_SINGLE_SP804=1
SRCDIR_hog-burst-vm-b := apps/hog
CFLAGS_hog-burst-vm-b := -DBSP_CONSOLE_UART=1 -DBSP_SINGLE_SP804=1 -DHOG_WORK_MS=20 \
	-DHOG_SLEEP_MS=20 -DRT_LOOPS_PER_MS=500000
endif
