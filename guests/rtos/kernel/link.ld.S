/* rthv RTOS - linker script (preprocessed; LOAD_ADDR comes from board.mk) */
ENTRY(_start)

SECTIONS
{
	. = LOAD_ADDR;
	.text : {
		KEEP(*(.text.boot))
		*(.text .text.*)
	}
	.rodata : { *(.rodata .rodata.*) }
	.ARM.exidx : { *(.ARM.exidx*) }
	.data : { *(.data .data.*) }
	. = ALIGN(8);
	.bss (NOLOAD) : {
		__bss_start = .;
		*(.bss .bss.* COMMON)
		. = ALIGN(8);
		__bss_end = .;
	}
	.noinit (NOLOAD) : {
		. = ALIGN(8);
		*(.noinit .noinit.*)
	}
	__image_end = .;
	/DISCARD/ : { *(.comment) }
}
