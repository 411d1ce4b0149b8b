/*
 * rthv RTOS - GICv2 driver, interrupt dispatch, tk_def_int
 *
 * Only architected GICv2 registers are used.  Distributor writes are
 * 32-bit, except IPRIORITYR/ITARGETSR/CPENDSGIR which are written per
 * byte, and the driver never depends on reading the distributor back,
 * so the same code runs on a physical GIC and on a hypervisor's emulated
 * distributor with a virtual CPU interface (only CTLR, PMR, IAR and
 * EOIR of the CPU interface are used).  SGIs work like any other
 * interrupt: their IAR value carries the source CPU in bits [12:10],
 * the handler gets the INTID alone and EOIR gets the whole IAR value.
 */
#include "knl.h"

#define GICD(off)       (*(_UW *)(BSP_GICD_BASE + (off)))
#define GICD_B(off)     (*(_UB *)(BSP_GICD_BASE + (off)))
#define GICC(off)       (*(_UW *)(BSP_GICC_BASE + (off)))

#define GICD_CTLR       0x000
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ICPENDR    0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_CPENDSGIR  0xf10           /* one byte per SGI, a bit per source */
#define GICC_CTLR       0x00
#define GICC_PMR        0x04
#define GICC_IAR        0x0c
#define GICC_EOIR       0x10

#define INTID_SPURIOUS  1020            /* 1020..1023 need no EOI */

static FP knl_inthdr[BSP_NUM_INT];

void knl_int_init(void)
{
	GICD(GICD_CTLR) = 1;            /* forward interrupts */
	GICC(GICC_PMR) = 0xf0;          /* let every priority < 0xf0 through */
	GICC(GICC_CTLR) = 1;            /* signal them as IRQ */
}

void knl_int_halt(void)
{
	DisableInt(BSP_TICK_INTNO);
	GICC(GICC_PMR) = 0;             /* mask every priority */
}

void knl_int_set_handler(UINT intno, FP hdr)
{
	knl_inthdr[intno] = hdr;
}

void EnableInt(UINT intno, INT level)
{
	if (intno >= BSP_NUM_INT)
		return;
	GICD_B(GICD_IPRIORITYR + intno) = (UB)((level & 0xf) << 4);
	if (intno >= 32)
		GICD_B(GICD_ITARGETSR + intno) = 0x01;      /* CPU 0 */
	GICD(GICD_ISENABLER + (intno / 32) * 4) = 1U << (intno % 32);
}

void DisableInt(UINT intno)
{
	if (intno < BSP_NUM_INT)
		GICD(GICD_ICENABLER + (intno / 32) * 4) = 1U << (intno % 32);
}

void ClearInt(UINT intno)
{
	if (intno < 16)                 /* SGI: ICPENDR bits are read-only */
		GICD_B(GICD_CPENDSGIR + intno) = 0xff;
	else if (intno < BSP_NUM_INT)
		GICD(GICD_ICPENDR + (intno / 32) * 4) = 1U << (intno % 32);
}

/*
 * Called from vec_irq with IRQs masked, on the IRQ stack.  Returns the
 * task to resume.
 */
TCB *knl_irq_handler(void)
{
	UW iar = GICC(GICC_IAR);
	UINT intno = iar & 0x3ff;

	if (intno < INTID_SPURIOUS) {
		knl_taskindp++;
		if (intno < BSP_NUM_INT && knl_inthdr[intno] != NULL)
			((void (*)(UINT))knl_inthdr[intno])(intno);
		else
			DisableInt(intno);      /* nobody wants it */
		GICC(GICC_EOIR) = iar;
		knl_taskindp--;
	}
	/* with dispatching disabled the interrupted task goes on, unless a
	   handler terminated it */
	if (knl_dsp_disabled && knl_ctxtsk->state == TS_READY)
		return knl_ctxtsk;
	return knl_schedtsk;
}

ER tk_def_int(UINT intno, CONST T_DINT *pk_dint)
{
	CHECK_PAR(intno < BSP_NUM_INT && intno != BSP_TICK_INTNO);
	if (pk_dint != NULL) {
		CHECK_RSATR(pk_dint->intatr, TA_HLNG);
		CHECK_PAR(pk_dint->inthdr != NULL);
	}
	BEGIN_CRITICAL_SECTION;
	knl_inthdr[intno] = (pk_dint != NULL) ? pk_dint->inthdr : NULL;
	END_CRITICAL_SECTION;
	return E_OK;
}
