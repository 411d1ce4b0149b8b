"""Unmodified third-party firmware as a VM: Debian's U-Boot for QEMU virt reaches its prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

import rthv

CONFIG = Path(__file__).resolve().parents[1] / "examples" / "uboot-vm.toml"
FIRMWARE = Path("/usr/lib/u-boot/qemu_arm/u-boot.bin")
PROMPT = "=> "


def _booted() -> rthv.System:
    if not FIRMWARE.is_file():
        pytest.fail(f"{FIRMWARE} is missing: `make` installs Debian's u-boot-qemu")
    system = rthv.load(CONFIG)
    system.vm("uboot").console.expect(PROMPT, within="100ms")
    return system


def test_uboot_reaches_its_prompt_in_a_vm_seeing_only_its_own_machine() -> None:
    """The VM's generated tree is what U-Boot sees: 64 MiB of RAM and one UART; no faults."""
    system = _booted()
    console = system.vm("uboot").console.text
    assert "U-Boot 2023.01" in console
    assert "DRAM:  64 MiB" in console  # the VM's RAM, not the board's 128 MiB
    assert "Out:   serial@9000000" in console
    assert system.vm("uboot").fault is None


def test_uboot_answers_commands_typed_into_its_uart() -> None:
    """Typed commands are answered: `version` prints the banner, `echo` echoes."""
    console = _booted().vm("uboot").console
    for command, answer in (("version\n", "GNU ld"), ("echo rthv-in-a-vm\n", "rthv-in-a-vm\r\n")):
        console.send(command)
        console.expect(command.strip(), within="100ms")  # U-Boot echoes what it reads
        console.expect(answer, within="100ms")
        console.expect(PROMPT, within="100ms")


def test_uboot_vm_boot_is_deterministic() -> None:
    """Two boots reach the prompt at the same virtual time, with the same console."""
    runs = []
    for _ in range(2):
        system = _booted()
        runs.append((system.vm("uboot").console.text, system.now_ns, system.report["vms"]))
    assert runs[0] == runs[1]


FAKE_ZIMAGE = """
start:
    b code
    .rept 8
    nop
    .endr
    .word 0x016f2818                @ zImage magic, at 0x24
    .word 0                         @ start address: position independent
    .word end - start               @ end address
    .word 0x04030201                @ little-endian
code:
    mov r6, r2                      @ the device tree, as the boot protocol passes it
    ldr r7, =0x09000000             @ PL011 data register
    adr r8, entered
    bl puts
    ldr r0, [r6]
    ldr r1, =0xedfe0dd0             @ FDT magic 0xd00dfeed, read little-endian
    cmp r0, r1
    adreq r8, good
    adrne r8, bad
    bl puts
1:  wfi
    b 1b
puts:
    ldrb r0, [r8], #1
    cmp r0, #0
    strne r0, [r7]
    bne puts
    bx lr
entered: .asciz "zImage entered\\n"
good: .asciz "dtb ok\\n"
bad: .asciz "dtb bad\\n"
    .balign 4
    .ltorg
end:
"""


def test_uboot_bootz_hands_a_kernel_its_device_tree(tmp_path: Path) -> None:
    """`bootz` with the tree U-Boot was given, edited in place (fdt_high = ~0): the tree has
    room for U-Boot's edits, so its global data beside the tree survives and the kernel is
    entered with a valid tree in r2 (it used to stop the VM with a Stage-2 fault)."""
    from support import assemble

    kernel = tmp_path / "zImage"
    kernel.write_bytes(assemble(FAKE_ZIMAGE, base=0x40200000))
    config = CONFIG.read_text().replace('size = "64M"', 'size = "112M"')
    image = f'[[vm.image]]\npath = "{kernel}"\nload_ipa = 0x40200000\n[[vm.memory]]'
    config = config.replace("[[vm.memory]]", image, 1)
    path = tmp_path / "bootz.toml"
    path.write_text(config)
    system = rthv.load(path)
    console = system.vm("uboot").console
    console.expect(PROMPT, within="100ms")
    console.send("bootz 0x40200000 - ${fdtcontroladdr}\n")
    console.expect("Starting kernel", within="100ms")
    console.expect("zImage entered\ndtb ok\n", within="10ms")
    assert system.vm("uboot").fault is None
