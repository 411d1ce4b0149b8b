# pingpong-vm: two programs from this directory, one per VM of
# examples/pingpong-vm.toml (layout.h).  vexpress-a15 only.
#   pingpong-vm-a  console uart0, SP804 timer01 only (tick IRQ 34)
#   pingpong-vm-b  console uart1, SP804 timer23 only (tick IRQ 35)
ifeq ($(BOARD),vexpress-a15)
PROGRAMS_pingpong-vm := pingpong-vm-a pingpong-vm-b
SRCDIR_pingpong-vm-a := apps/pingpong-vm
SRCDIR_pingpong-vm-b := apps/pingpong-vm
CFLAGS_pingpong-vm-a := -DPPVM_ROLE_A -DBSP_CONSOLE_UART=0 -DBSP_SINGLE_SP804=0
CFLAGS_pingpong-vm-b := -DPPVM_ROLE_B -DBSP_CONSOLE_UART=1 -DBSP_SINGLE_SP804=1
else
PROGRAMS_pingpong-vm :=
endif
