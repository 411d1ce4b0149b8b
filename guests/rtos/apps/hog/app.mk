# hog, and variants for a VM that owns only some of the board's devices
# (vexpress-a15, see bsp/vexpress-a15/board.h):
#   hog-vm-a  console uart0, SP804 timer01 only (tick IRQ 34)
#   hog-vm-b  console uart1, SP804 timer23 only (tick IRQ 35)
ifeq ($(BOARD),vexpress-a15)
PROGRAMS_hog := hog hog-vm-a hog-vm-b
SRCDIR_hog-vm-a := apps/hog
SRCDIR_hog-vm-b := apps/hog
CFLAGS_hog-vm-a := -DBSP_CONSOLE_UART=0 -DBSP_SINGLE_SP804=0
CFLAGS_hog-vm-b := -DBSP_CONSOLE_UART=1 -DBSP_SINGLE_SP804=1
endif
