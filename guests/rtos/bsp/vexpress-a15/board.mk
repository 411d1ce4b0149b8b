# vexpress-a15: RAM at 0x80000000; images are linked to its start.
# sp804.c and ../gtimer.c are both compiled; board.h's BSP_TIMER option
# leaves one of them empty.
LOAD_ADDR := 0x80000000
BSP_SRCS  := bsp.c sp804.c
BSP_SHARED_SRCS := gtimer.c
