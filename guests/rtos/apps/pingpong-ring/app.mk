# pingpong-ring: the bare-metal baseline of pingpong-vm over the same rings and
# semaphores; pingpong-ring-tick waits one 1 ms tick before each message.
PROGRAMS_pingpong-ring := pingpong-ring pingpong-ring-tick
SRCDIR_pingpong-ring-tick := apps/pingpong-ring
CFLAGS_pingpong-ring-tick := -DPP_TICK_WAIT
