# vexpress-a15: RAM at 0x80000000; images are linked to its start.
LOAD_ADDR := 0x80000000
BSP_SRCS  := bsp.c
