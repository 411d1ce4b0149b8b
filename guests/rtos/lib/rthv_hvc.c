/*
 * rthv hypercalls other than notify (ABI: include/rthv_ipc.h; rthv_notify
 * is in rthv_ipc.c).  Nothing here is linked unless a program uses it.
 */
#include <rthv_ipc.h>

/* "hvc #0" with r0 = fn, r1 = arg; the status comes back in r0 */
static INT hvc(UW fn, UW arg)
{
	register UW r0 __asm__("r0") = fn;
	register UW r1 __asm__("r1") = arg;

	__asm__ volatile(".arch_extension virt\n\thvc\t#0"
			 : "+r"(r0) : "r"(r1) : "memory");
	return (INT)r0;
}

INT rthv_hvc_version(void)
{
	return hvc(RTHV_HVC_VERSION, 0);
}

INT rthv_vm_id(void)
{
	return hvc(RTHV_HVC_VM_ID, 0);
}
