# pingpong-vm: two programs from this directory, one per VM of
# examples/pingpong-vm.toml (layout.h).  vexpress-a15 only.
#   pingpong-vm-a  console uart0, SP804 timer01 only (tick IRQ 34)
#   pingpong-vm-b  console uart1, SP804 timer23 only (tick IRQ 35)
#   pingpong-vm-a-tick  as pingpong-vm-a, one message per 1 ms tick
ifeq ($(BOARD),vexpress-a15)
PROGRAMS_pingpong-vm := pingpong-vm-a pingpong-vm-b pingpong-vm-a-tick
SRCDIR_pingpong-vm-a := apps/pingpong-vm
SRCDIR_pingpong-vm-a-tick := apps/pingpong-vm
SRCDIR_pingpong-vm-b := apps/pingpong-vm
CFLAGS_pingpong-vm-a := -DPPVM_ROLE_A -DBSP_CONSOLE_UART=0 -DBSP_SINGLE_SP804=0
CFLAGS_pingpong-vm-a-tick := $(CFLAGS_pingpong-vm-a) -DPP_TICK_WAIT
CFLAGS_pingpong-vm-b := -DPPVM_ROLE_B -DBSP_CONSOLE_UART=1 -DBSP_SINGLE_SP804=1
else
PROGRAMS_pingpong-vm :=
endif
