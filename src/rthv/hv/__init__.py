"""The hypervisor proper: VMs, Stage-2 memory, traps and scheduling on top of the board."""
