/*
 * rthv RTOS - reset, exception vectors and the dispatcher (ARMv7-A, PL1)
 *
 * Every task runs in SVC mode on its own stack.  A task that is not
 * running keeps its whole context on its stack in one frame layout,
 * whether it was preempted by an IRQ or gave up the CPU in a service
 * call (knl_dispatch):
 *
 *     sp ->  r0 r1 ... r12 lr | pc cpsr        (16 words)
 *
 * and TCB.sp (offset 0) points at it.  Resuming a task is always
 * "pop {r0-r12, lr}; rfeia sp!".
 */
#include "bsp.h"
#include "config.h"

	.syntax	unified
	.arch	armv7-a
	.arch_extension virt
	.arm

#define MODE_FIQ	0x11
#define MODE_IRQ	0x12
#define MODE_SVC	0x13
#define MODE_ABT	0x17
#define MODE_HYP	0x1a
#define MODE_UND	0x1b
#define PSR_T		0x20
#define PSR_F		0x40
#define PSR_I		0x80
#define PSR_A		0x100

	.section .text.boot, "ax"
	.global	_start
_start:
	/* "Reset" time stamp: the first instructions start and read the
	   board's free-running counter (low word in r4, high word in r5,
	   kept until .bss is clear), then the CPSR as reset left it (r6). */
	BSP_RESET_COUNTER r4, r5
	mrs	r6, cpsr

	/* If a loader entered us in Hyp mode, drop to SVC. */
	mrs	r0, cpsr
	and	r0, r0, #0x1f
	cmp	r0, #MODE_HYP
	bne	1f
	mov	r0, #(MODE_SVC | PSR_A | PSR_I | PSR_F)
	msr	spsr_cxsf, r0			/* SPSR_hyp */
	adr	r0, 1f
	msr	elr_hyp, r0
	eret
1:	cpsid	aif, #MODE_SVC

	/* Small stacks for the fatal-exception modes. */
	ldr	r0, =knl_exc_stack_top
	cps	#MODE_ABT
	mov	sp, r0
	cps	#MODE_UND
	mov	sp, r0
	cps	#MODE_FIQ
	mov	sp, r0
	cps	#MODE_IRQ
	mov	sp, r0
	cps	#MODE_SVC
	ldr	sp, =knl_irq_stack_top		/* boot stack = IRQ stack */

	/* SCTLR: vectors at VBAR (V=0), ARM exceptions (TE=0), no
	   alignment fault checking (A=0).  MMU and caches untouched. */
	mrc	p15, 0, r0, c1, c0, 0
	bic	r0, r0, #(1 << 13)
	bic	r0, r0, #(1 << 30)
	bic	r0, r0, #(1 << 1)
	mcr	p15, 0, r0, c1, c0, 0
	isb
	ldr	r0, =knl_vectors
	mcr	p15, 0, r0, c12, c0, 0		/* VBAR */
	isb

	/* Clear .bss. */
	ldr	r0, =__bss_start
	ldr	r1, =__bss_end
	mov	r2, #0
2:	cmp	r0, r1
	strlo	r2, [r0], #4
	blo	2b

	ldr	r0, =knl_reset_count
	str	r4, [r0]
	ldr	r0, =knl_reset_count_hi
	str	r5, [r0]
	ldr	r0, =knl_reset_cpsr
	str	r6, [r0]
	bl	knl_main			/* does not return */
3:	wfi
	b	3b

	.text
	.align	5
	.global	knl_vectors
knl_vectors:
	b	_start				/* reset */
	b	vec_und
	b	vec_svc
	b	vec_pabt
	b	vec_dabt
	b	vec_rsv
	b	vec_irq
	b	vec_fiq

vec_und:	mov	r0, #1
	b	fault
vec_svc:	mov	r0, #2
	b	fault
vec_pabt:	mov	r0, #3
	b	fault
vec_dabt:	mov	r0, #4
	b	fault
vec_rsv:	mov	r0, #5
	b	fault
vec_fiq:	mov	r0, #6
fault:	mov	r1, lr
	mrs	r2, spsr
	ldr	sp, =knl_exc_stack_top
	bl	knl_fault			/* prints and halts */

/*
 * IRQ: save the interrupted task's frame on its own (SVC) stack, run
 * the C handler on the IRQ stack, then resume whichever task it names.
 * IRQs are only ever enabled in task context, so an IRQ always
 * interrupts knl_ctxtsk; handlers run with IRQs masked (no nesting).
 */
vec_irq:
	sub	lr, lr, #4
	srsdb	sp!, #MODE_SVC			/* push return pc, spsr */
	cps	#MODE_SVC
	push	{r0-r12, lr}
	ldr	r0, =knl_ctxtsk
	ldr	r1, [r0]
	str	sp, [r1]			/* ctxtsk->sp */
	ldr	sp, =knl_irq_stack_top
	bl	knl_irq_handler			/* returns the TCB to resume */
	b	resume

/*
 * void knl_dispatch(void)
 * Called from a service call with IRQs masked: save the caller as a
 * frame that returns to it (IRQs still masked) and switch to
 * knl_schedtsk.
 */
	.global	knl_dispatch
knl_dispatch:
	sub	sp, sp, #8
	mrs	r12, cpsr
	tst	lr, #1				/* called from Thumb code? */
	orrne	r12, r12, #PSR_T
	bicne	lr, lr, #1
	str	lr, [sp]
	str	r12, [sp, #4]
	push	{r0-r12, lr}
	ldr	r0, =knl_ctxtsk
	ldr	r0, [r0]
	str	sp, [r0]
	/* fall through */

/*
 * void knl_dispatch_nosave(void)
 * Switch to knl_schedtsk without saving anything (start-up, exit).
 */
	.global	knl_dispatch_nosave
knl_dispatch_nosave:
	ldr	r0, =knl_schedtsk
	ldr	r0, [r0]
resume:						/* r0 = TCB to run */
	ldr	r1, =knl_ctxtsk
	str	r0, [r1]
	clrex
	ldr	sp, [r0]
	pop	{r0-r12, lr}
	rfeia	sp!

	.section .noinit, "aw", %nobits
	.align	3
	.global	knl_irq_stack_top
knl_irq_stack:
	.space	CFN_IRQ_STKSZ
knl_irq_stack_top:
	.space	512
knl_exc_stack_top:
