/*
 * Board selection. The Makefile defines exactly one of RTHV_BOARD_VEXPRESS_A15 or
 * RTHV_BOARD_VIRT. Safe to include from C, assembly and the linker script.
 */
#ifndef RTHV_BOARD_H
#define RTHV_BOARD_H

#if defined(RTHV_BOARD_VEXPRESS_A15)
#include "board-vexpress-a15.h"
#elif defined(RTHV_BOARD_VIRT)
#include "board-virt.h"
#else
#error "define RTHV_BOARD_VEXPRESS_A15 or RTHV_BOARD_VIRT"
#endif

/* Stack sizes (bytes) for the modes the start-up code prepares. */
#define BSP_SVC_STACK_SIZE      0x4000
#define BSP_IRQ_STACK_SIZE      0x1000
#define BSP_ABT_STACK_SIZE      0x0800
#define BSP_UND_STACK_SIZE      0x0800
#define BSP_FIQ_STACK_SIZE      0x0400

/* Exception kinds passed to bsp_exception() by the vector trampolines. */
#define EXC_UND                 1
#define EXC_SVC                 2
#define EXC_PABT                3
#define EXC_DABT                4
#define EXC_HYP_TRAP            5   /* vector offset 0x14: never used at PL1 */
#define EXC_FIQ                 6

/* CPSR mode numbers. */
#define MODE_USR                0x10
#define MODE_FIQ                0x11
#define MODE_IRQ                0x12
#define MODE_SVC                0x13
#define MODE_MON                0x16
#define MODE_ABT                0x17
#define MODE_HYP                0x1a
#define MODE_UND                0x1b
#define MODE_SYS                0x1f

#endif
