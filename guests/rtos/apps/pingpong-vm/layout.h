/*
 * pingpong-vm: the system layout both images are built for.
 *
 * THESE NUMBERS MUST MATCH examples/pingpong-vm.toml (the VM memory, the
 * shared-memory views and the [[notify]] channels there); change both
 * together.  Everything is an IPA, the same in VM "A" and VM "B".
 *
 *   VM A  pingpong-vm-a.elf  console uart0, SP804 timer01 (IRQ 34)
 *   VM B  pingpong-vm-b.elf  console uart1, SP804 timer23 (IRQ 35)
 *   (the devices are chosen by the BSP options in app.mk)
 */
#ifndef PPVM_LAYOUT_H
#define PPVM_LAYOUT_H

/* each VM's RAM: the images are linked at its start (board.mk LOAD_ADDR) */
#define PPVM_RAM_IPA        0x80000000
#define PPVM_RAM_SIZE       0x00400000      /* 4 MiB */

/* the shared-memory object, read-write in both VMs */
#define PPVM_SHM_IPA        0x80400000
#define PPVM_SHM_SIZE       0x00010000      /* 64 KiB */

/* notify channels ([[notify]] ids) and the virtual IRQs they raise */
#define PPVM_CHAN_A_TO_B    0               /* A -> B, raises PPVM_VIRQ_IN_B */
#define PPVM_CHAN_B_TO_A    1               /* B -> A, raises PPVM_VIRQ_IN_A */
#define PPVM_VIRQ_IN_B      48
#define PPVM_VIRQ_IN_A      49

/* inside the shared object (offsets; only the guests care about these):
   a 64-byte control line per VM, written only by its owner, and one
   rthv_ipc ring per direction, formatted by its producer */
#define PPVM_CTL_A_OFF      0x0000          /* written by A */
#define PPVM_CTL_B_OFF      0x0040          /* written by B */
#define PPVM_RING_AB_OFF    0x1000          /* ring A -> B */
#define PPVM_RING_BA_OFF    0x5000          /* ring B -> A */
#define PPVM_RING_SIZE      0x4000          /* 16 KiB per ring */
#define PPVM_SLOT_SIZE      64              /* 128 slots of <= 60 bytes */

#if PPVM_RING_BA_OFF + PPVM_RING_SIZE > PPVM_SHM_SIZE || \
    PPVM_RING_AB_OFF + PPVM_RING_SIZE > PPVM_RING_BA_OFF
#error "pingpong-vm: the rings do not fit the shared object"
#endif

#endif
