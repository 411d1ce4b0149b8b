"""The system configuration: a valid file round-trips; every conflict is named before boot."""

from __future__ import annotations

import shutil
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from rthv.hv.config import (
    ConfigError,
    SystemConfig,
    load_config,
    parse_config,
    place_memory,
    validate_config,
)
from rthv.hv.costs import CostTable

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
MIB = 1 << 20
GUEST_BASE = 0x8000_0000  # where the test guest is linked: vexpress-a15 RAM


@pytest.fixture(scope="session")
def guest_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Arm ELF linked at 0x80000000, built with the GNU Arm toolchain."""
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is not installed: `make` installs gcc-arm-none-eabi")
    build = tmp_path_factory.mktemp("guest")
    source = build / "start.S"
    source.write_text(".global _start\n_start:\n    wfi\n    b _start\n")
    elf = build / "guest.elf"
    subprocess.run(
        [
            "arm-none-eabi-gcc",
            "-mcpu=cortex-a15",
            "-nostdlib",
            f"-Ttext={GUEST_BASE:#x}",
            "-o",
            elf,
            source,
        ],
        check=True,
    )
    return elf


@pytest.fixture
def workdir(tmp_path: Path, guest_elf: Path) -> Path:
    """A config directory holding guest.elf."""
    shutil.copy(guest_elf, tmp_path / "guest.elf")
    return tmp_path


def vm(name: str, keys: str = "", tables: str = "", *, ipa: int = GUEST_BASE) -> str:
    """A [[vm]] with one 1 MiB RAM region at ``ipa`` running guest.elf, plus extras."""
    return (
        f'\n[[vm]]\nname = "{name}"\n{keys}\n'
        '[[vm.image]]\npath = "guest.elf"\n'
        f'[[vm.memory]]\nipa = {ipa:#x}\nsize = "1M"\n{tables}\n'
    )


BOARD = 'board = "vexpress-a15"\n'
TWO_VMS = BOARD + vm("a") + vm("b")


def parse(workdir: Path, text: str) -> SystemConfig:
    return parse_config(text, workdir, source="test.toml")


def fails(workdir: Path, text: str, *fragments: str) -> str:
    """The one-line ConfigError message, which must contain every fragment."""
    with pytest.raises(ConfigError) as caught:
        parse(workdir, text)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- valid configurations --------------------------------------------------------------------


def test_two_rtos_fixture_loads_with_every_default_resolved(workdir: Path) -> None:
    """The documented two-VM example loads; defaults come from the board and the list order."""
    (workdir / "images").mkdir()
    for name in ("rtos-a", "rtos-b"):
        shutil.copy(workdir / "guest.elf", workdir / "images" / f"{name}.elf")
    shutil.copy(FIXTURES / "two-rtos.toml", workdir)
    config = load_config(workdir / "two-rtos.toml")

    a, b = config.vms
    assert (a.name, b.name) == ("rtos-a", "rtos-b")
    assert a.images[0].path == workdir / "images" / "rtos-a.elf"
    assert [(d.name, d.ipa, d.irqs) for d in a.devices] == [
        ("uart0", 0x1C09_0000, (37,)),
        ("timer01", 0x1C11_0000, (34,)),
    ]
    assert b.console == "uart1" and b.sched == {"priority": 1}
    assert a.memory[0].size == 16 * MIB and a.memory[0].perms == "rwx"
    assert [(c.id, c.from_vm, c.to_vm, c.virq) for c in config.channels] == [
        (0, "rtos-a", "rtos-b", 48),
        (1, "rtos-b", "rtos-a", 48),
    ]
    assert config.costs == CostTable().with_overrides({"world_switch": 9000})
    assert str(config.scheduler.policy) == "fixed-priority"
    assert config.scheduler.params == {"tick_us": 1000}
    assert config.cpu_hz == 1_000_000_000 and config.cpi == 1
    assert config.timing == "instruction-count" and config.timing_profile.uniform


def test_timing_profile_cpi_and_weights_are_chosen_in_the_file(workdir: Path) -> None:
    """A profile by name, a fractional cpi and weight overrides make the board's profile."""
    config = parse(
        workdir,
        'timing = "cortex-a7"\ncpi = 1.5\n' + BOARD + "[weights]\nload = 5\n" + vm("a"),
    )
    timing = config.timing_profile
    assert (timing.name, timing.cpi, timing.weights["load"]) == (
        "cortex-a7",
        Fraction(3, 2),
        Fraction(5),
    )
    assert timing.units_per_cycle == 2
    fails(workdir, 'timing = "cortex-m0"\n' + BOARD + vm("a"), "timing", "unknown timing profile")
    fails(workdir, "cpi = 0\n" + BOARD + vm("a"), "cpi", "> 0")
    fails(workdir, BOARD + "[weights]\ncoffee = 1\n" + vm("a"), "weights.coffee", "unknown")


def test_round_trip_through_model_dump(workdir: Path) -> None:
    """Dumping a configuration by its TOML names and validating it again gives the same one."""
    config = parse(workdir, TWO_VMS + '[[notify]]\nfrom = "a"\nto = "b"\nvirq = 40\n')
    again = validate_config(config.model_dump(by_alias=True), workdir)
    assert again == config
    assert again.placements == config.placements


def test_auto_placement_is_first_fit_in_config_order(workdir: Path) -> None:
    """Explicit PAs are kept; "auto" regions fill board RAM around them, in config order."""
    text = (
        BOARD
        + vm("a", tables='[[vm.memory]]\nipa = 0x40000000\nsize = "4M"\n')
        + vm("b", tables="pa = 0x80000000\n")
        + '[[shared_memory]]\nname = "buf"\nsize = "8K"\n'
        + '[[shared_memory.view]]\nvm = "a"\nipa = 0x50000000\n'
    )
    placements = parse(workdir, text).placements
    assert placements.vm_memory == {
        "a": (0x8010_0000, 0x8020_0000),  # 1 MiB after b's fixed page; 4 MiB on a 2 MiB boundary
        "b": (0x8000_0000,),
    }
    assert placements.shared_memory == {"buf": 0x8060_0000}
    assert placements.memory_pa("a", 1) == 0x8020_0000


@pytest.mark.parametrize(("ipa", "pa"), [(0x4000_0000, 0x8020_0000), (0x4010_0000, 0x8010_0000)])
def test_large_regions_keep_pa_congruent_to_ipa_modulo_2mib(
    workdir: Path, ipa: int, pa: int
) -> None:
    """A region of 2 MiB or more is placed so Stage 2 can map it with 2 MiB blocks."""
    text = BOARD + vm("a", tables=f'[[vm.memory]]\nipa = {ipa:#x}\nsize = "2M"\n')
    assert parse(workdir, text).placements.vm_memory["a"] == (0x8000_0000, pa)


def test_place_memory_reports_the_region_that_does_not_fit(workdir: Path) -> None:
    """Running out of board RAM names the region that found no room."""
    text = BOARD + vm("a") + vm("b", tables='[[vm.memory]]\nipa = 0x40000000\nsize = "127M"\n')
    fails(workdir, text, 'vm "b".memory[1]', "no room left in board RAM")


def test_place_memory_is_a_pure_function_of_config_and_board(workdir: Path) -> None:
    """Calling place_memory again gives the placements computed at validation."""
    config = parse(workdir, TWO_VMS)
    assert place_memory(config, config.board_description) == config.placements


def test_relative_paths_are_resolved_against_the_config_directory(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Image and policy paths are relative to the config file, not the working directory."""
    (workdir / "sched").mkdir()
    (workdir / "sched" / "mine.py").write_text("class Mine: ...\n")
    text = '[scheduler]\npolicy = "sched/mine.py:Mine"\nfallback = "edf"\n' + TWO_VMS
    (workdir / "system.toml").write_text(BOARD + text.replace(BOARD, ""))
    config = load_config(workdir / "system.toml")
    assert config.vms[0].images[0].path == workdir / "guest.elf"
    policy = config.scheduler.policy
    assert (policy.file, policy.class_name) == (workdir / "sched" / "mine.py", "Mine")
    assert str(config.scheduler.fallback) == "edf"


def test_raw_binary_with_load_address_and_rom_region(workdir: Path) -> None:
    """A raw image goes at load_ipa; a rom region defaults to read/execute."""
    (workdir / "fw.bin").write_bytes(b"\xfe\xff\xff\xea")  # b .
    text = (
        'board = "virt"\n[[vm]]\nname = "fw"\ndtb = true\n'
        '[[vm.image]]\npath = "fw.bin"\nload_ipa = 0\n'
        '[[vm.memory]]\nipa = 0\nsize = "64M"\nkind = "rom"\n'
        '[[vm.memory]]\nipa = 0x40000000\nsize = "32M"\n'
    )
    config = parse(workdir, text)
    rom = config.vms[0].memory[0]
    assert (rom.kind, rom.perms) == ("rom", "rx")
    assert config.vms[0].images[0].start == 0
    assert config.placements.vm_memory["fw"] == (0x4000_0000, 0x4400_0000)  # 1 MiB kept free


# --- errors, one per kind ---------------------------------------------------------------------


def test_toml_syntax_error_names_the_line(workdir: Path) -> None:
    fails(workdir, BOARD + "cpu_hz = = 5\n", "test.toml", "TOML syntax error", "line 2")


def test_unknown_board(workdir: Path) -> None:
    fails(workdir, 'board = "zynq"\n' + vm("a"), "board", "unknown board 'zynq'")


def test_unknown_field(workdir: Path) -> None:
    fails(workdir, BOARD + vm("a", keys="colour = 1"), "vm[0].colour: unknown field")


def test_unknown_device(workdir: Path) -> None:
    text = BOARD + vm("a", tables='[[vm.device]]\nname = "uart9"\n')
    fails(workdir, text, 'vm "a".device "uart9"', "unknown device")


def test_unknown_vm_in_a_view(workdir: Path) -> None:
    text = TWO_VMS + '[[shared_memory]]\nname = "s"\nsize = 4096\n'
    text += '[[shared_memory.view]]\nvm = "c"\nipa = 0x90000000\n'
    fails(workdir, text, 'shared_memory "s".view[0].vm', 'unknown VM "c"')


@pytest.mark.parametrize("field", ["from", "to"])
def test_unknown_vm_in_a_channel(workdir: Path, field: str) -> None:
    ends = {"from": "a", "to": "b", field: "ghost"}
    text = TWO_VMS + f'[[notify]]\nfrom = "{ends["from"]}"\nto = "{ends["to"]}"\nvirq = 40\n'
    fails(workdir, text, f"notify[0].{field}", 'unknown VM "ghost"')


def test_notify_to_self(workdir: Path) -> None:
    text = TWO_VMS + '[[notify]]\nfrom = "b"\nto = "b"\nvirq = 40\n'
    fails(workdir, text, "notify[0]", "cannot notify itself")


def test_duplicate_vm_names(workdir: Path) -> None:
    fails(workdir, BOARD + vm("a") + vm("a"), "vm[1].name", "duplicate VM name", "vm[0].name")


def test_duplicate_channel_numbers(workdir: Path) -> None:
    text = TWO_VMS + '[[notify]]\nfrom = "a"\nto = "b"\nvirq = 40\n'
    text += '[[notify]]\nfrom = "b"\nto = "a"\nvirq = 41\nid = 0\n'
    fails(workdir, text, "notify[1].id", "duplicate channel number")


def test_bad_name(workdir: Path) -> None:
    fails(workdir, BOARD + vm("two words"), "vm[0].name", "not a simple name")


@pytest.mark.parametrize(
    ("size", "complaint"),
    [
        ('"6K"', "not a positive multiple of 4 KiB"),
        ('"12 parsecs"', "bad size"),
        ("0", "size 0x0 is not a positive"),
    ],
)
def test_bad_sizes(workdir: Path, size: str, complaint: str) -> None:
    text = BOARD + vm("a", tables=f"[[vm.memory]]\nipa = 0x40000000\nsize = {size}\n")
    fails(workdir, text, "vm[0].memory[1].size", complaint)


def test_overlapping_memory_regions_in_one_vm(workdir: Path) -> None:
    text = BOARD + vm("a", tables='[[vm.memory]]\nipa = 0x80080000\nsize = "1M"\n')
    fails(workdir, text, 'vm "a".memory[1]', "overlaps", 'vm "a".memory[0]')


def test_memory_overlapping_a_passthrough_device(workdir: Path) -> None:
    text = BOARD + vm("a", tables='[[vm.device]]\nname = "uart0"\nipa = 0x80010000\n')
    fails(workdir, text, 'vm "a".device "uart0"', "overlaps", 'vm "a".memory[0]')


@pytest.mark.parametrize(
    ("ipa", "what"),
    [(0x2C00_1000, "virtual GIC distributor"), (0x2C00_3000, "virtual GIC CPU interface")],
)
def test_memory_overlapping_the_virtual_gic(workdir: Path, ipa: int, what: str) -> None:
    text = BOARD + vm("a", tables=f"[[vm.memory]]\nipa = {ipa:#x}\nsize = 4096\n")
    fails(workdir, text, 'vm "a".memory[1]', f"overlaps the {what}")


def test_shared_memory_view_overlapping_vm_memory(workdir: Path) -> None:
    text = TWO_VMS + '[[shared_memory]]\nname = "s"\nsize = 4096\n'
    text += '[[shared_memory.view]]\nvm = "b"\nipa = 0x80000000\n'
    fails(workdir, text, 'shared_memory "s".view[0] (vm "b")', "overlaps", 'vm "b".memory[0]')


def test_overlapping_physical_placement_between_vms(workdir: Path) -> None:
    text = BOARD + vm("a", tables="pa = 0x80000000\n") + vm("b", tables="pa = 0x80080000\n")
    fails(workdir, text, 'vm "b".memory[0]', "pa 0x80080000..0x80180000 overlaps", 'vm "a"')


def test_pa_outside_board_ram(workdir: Path) -> None:
    text = BOARD + vm("a", tables="pa = 0x10000000\n")
    fails(workdir, text, 'vm "a".memory[0]', "outside board RAM", "dram 0x80000000..0x88000000")


def test_device_given_to_two_vms(workdir: Path) -> None:
    device = '[[vm.device]]\nname = "uart1"\n'
    text = BOARD + vm("a", tables=device) + vm("b", tables=device)
    fails(workdir, text, 'vm "b".device "uart1"', 'already assigned to vm "a"')


def test_two_vms_claiming_one_irq(workdir: Path) -> None:
    text = (
        BOARD
        + vm("a", tables='[[vm.device]]\nname = "timer01"\n')
        + vm("b", tables='[[vm.device]]\nname = "timer23"\nirqs = [34]\n')
    )
    fails(workdir, text, 'vm "b".device "timer23"', "IRQ 34 is already routed", 'vm "a"')


def test_passthrough_irq_outside_the_spi_range(workdir: Path) -> None:
    text = BOARD + vm("a", tables='[[vm.device]]\nname = "uart1"\nirqs = [96]\n')
    fails(workdir, text, 'vm "a".device "uart1"', "IRQ 96 is outside", "32..95")


def test_notify_virq_colliding_with_a_passthrough_irq(workdir: Path) -> None:
    text = BOARD + vm("a") + vm("b", tables='[[vm.device]]\nname = "uart1"\n')
    text += '[[notify]]\nfrom = "a"\nto = "b"\nvirq = 38\n'
    fails(workdir, text, "notify[0].virq", 'passthrough IRQ of vm "b".device "uart1"')


@pytest.mark.parametrize("virq", [15, 96])
def test_notify_virq_outside_the_gic_range(workdir: Path, virq: int) -> None:
    text = TWO_VMS + f'[[notify]]\nfrom = "a"\nto = "b"\nvirq = {virq}\n'
    fails(workdir, text, "notify[0].virq", "outside the virtual GIC's SPI range 32..95")


def test_missing_image_file(workdir: Path) -> None:
    (workdir / "guest.elf").unlink()
    fails(workdir, TWO_VMS, 'vm "a".image[0]', "guest.elf: no such file")


def test_image_that_is_not_elf(workdir: Path) -> None:
    (workdir / "guest.elf").write_text("not an image\n")
    fails(workdir, TWO_VMS, 'vm "a".image[0]', "not an ELF file")


def test_image_for_the_wrong_architecture(workdir: Path) -> None:
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)  # ELFCLASS32, little-endian, version 1
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0, 0, 0, 0, 52, 0, 0, 40, 0, 0)
    (workdir / "guest.elf").write_bytes(header)  # e_machine = 3: Intel 80386
    fails(workdir, TWO_VMS, 'vm "a".image[0]', "not 32-bit Arm")


def test_image_outside_vm_memory(workdir: Path) -> None:
    text = BOARD + vm("a", ipa=0x8010_0000)
    fails(workdir, text, 'vm "a".image[0]', "segment 0x80000000..", "outside the VM's memory")


def test_raw_binary_without_load_address(workdir: Path) -> None:
    (workdir / "fw.bin").write_bytes(bytes(4))
    text = BOARD + vm("a").replace("guest.elf", "fw.bin")
    fails(workdir, text, "vm[0].image[0]", "needs load_ipa")


def test_writable_rom_region(workdir: Path) -> None:
    text = BOARD + vm(
        "a", tables='[[vm.memory]]\nipa = 0\nsize = 4096\nkind = "rom"\nperms = "rw"\n'
    )
    fails(workdir, text, "vm[0].memory[1]", "rom region cannot be writable")


@pytest.mark.parametrize("console", ["uart2", "timer01"])
def test_console_not_one_of_the_vms_uarts(workdir: Path, console: str) -> None:
    devices = '[[vm.device]]\nname = "uart1"\n[[vm.device]]\nname = "timer01"\n'
    text = BOARD + vm("a", keys=f'console = "{console}"', tables=devices)
    fails(workdir, text, 'vm "a".console', f'"{console}" is not one of this VM\'s UARTs (uart1)')


def test_unknown_cost_name(workdir: Path) -> None:
    fails(workdir, BOARD + "[costs]\ntea_break = 5\n" + vm("a"), "costs.tea_break", "unknown cost")


def test_negative_cost(workdir: Path) -> None:
    fails(workdir, BOARD + "[costs]\nhypercall = -1\n" + vm("a"), "costs.hypercall", "negative")


def test_unknown_scheduler_policy(workdir: Path) -> None:
    text = BOARD + '[scheduler]\npolicy = "lottery"\n' + vm("a")
    fails(workdir, text, "scheduler.policy", "unknown scheduler policy 'lottery'")


def test_missing_scheduler_policy_file(workdir: Path) -> None:
    text = BOARD + '[scheduler]\npolicy = "nowhere.py:Policy"\n' + vm("a")
    fails(workdir, text, "scheduler.policy", "file not found:", "nowhere.py")


def test_load_config_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_missing_required_field(workdir: Path) -> None:
    text = (
        BOARD + '[[vm]]\nname = "a"\n[[vm.image]]\npath = "guest.elf"\n[[vm.memory]]\nsize = 4096\n'
    )
    fails(workdir, text, "vm[0].memory[0].ipa: missing required field")


def test_two_views_of_one_object_for_one_vm(workdir: Path) -> None:
    text = TWO_VMS + '[[shared_memory]]\nname = "s"\nsize = 4096\n'
    text += '[[shared_memory.view]]\nvm = "a"\nipa = 0x90000000\n'
    text += '[[shared_memory.view]]\nvm = "a"\nipa = 0x91000000\n'
    fails(workdir, text, 'shared_memory "s".view[1]', 'vm "a" already has a view')


def test_entry_outside_executable_memory(workdir: Path) -> None:
    text = BOARD + vm("a").replace('path = "guest.elf"', 'path = "guest.elf"\nentry = 0x90000000')
    fails(workdir, text, 'vm "a".image[0]', "entry 0x90000000 is not in executable VM memory")


def test_device_tree_needs_a_ram_region(workdir: Path) -> None:
    (workdir / "fw.bin").write_bytes(bytes(4))
    text = (
        BOARD + '[[vm]]\nname = "a"\ndtb = true\n[[vm.image]]\npath = "fw.bin"\nload_ipa = 0\n'
        '[[vm.memory]]\nipa = 0\nsize = 4096\nkind = "rom"\n'
    )
    fails(workdir, text, 'vm "a".dtb', "no RAM region")


def test_the_reference_documents_a_real_runnable_example() -> None:
    """docs/configuration.md shows examples/pingpong-vm-fp.toml verbatim, and it loads."""
    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "configuration.md").read_text()
    section = doc[doc.index("## Complete example") :]
    start = section.index("```toml\n") + len("```toml\n")
    shown = section[start : section.index("\n```", start)]
    example = root / "examples" / "pingpong-vm-fp.toml"
    assert shown + "\n" == example.read_text()
    config = load_config(example)
    assert [vm.name for vm in config.vms] == ["pingpong-a", "pingpong-b"]


def test_a_region_over_the_hypervisors_own_memory_is_refused(workdir: Path) -> None:
    """The top MiB of the first RAM block holds the Stage-2 tables: no VM may be placed there."""
    text = BOARD + vm("a", tables="[[vm.memory]]\nipa = 0x90000000\nsize = 4096\npa = 0x87fff000\n")
    fails(workdir, text, 'vm "a".memory[1].pa', "overlaps the hypervisor's own memory")


# --- Linux VMs -------------------------------------------------------------------------------


def linux_vm(keys: str = "", linux: str = "", size: str = "64M") -> str:
    """A virt board with one Linux VM booting zImage (and initrd) from the config directory."""
    return (
        'board = "virt"\n[[vm]]\nname = "linux"\nconsole = "uart0"\n'
        f'{keys}\n[vm.linux]\nkernel = "zImage"\n{linux}\n'
        f'[[vm.memory]]\nipa = 0x40000000\nsize = "{size}"\n[[vm.device]]\nname = "uart0"\n'
    )


@pytest.fixture
def linux_dir(tmp_path: Path) -> Path:
    """A config directory with a stand-in zImage (its magic at 0x24) and an initramfs."""
    kernel = bytearray(0x1000)
    kernel[0x24:0x28] = struct.pack("<I", 0x016F2818)
    (tmp_path / "zImage").write_bytes(bytes(kernel))
    (tmp_path / "initrd.gz").write_bytes(b"\x1f\x8b" + bytes(100))
    return tmp_path


def test_a_linux_vm_needs_no_image(linux_dir: Path) -> None:
    """[vm.linux] replaces [[vm.image]]; paths are taken from the config's directory."""
    config = parse(linux_dir, linux_vm(linux='initrd = "initrd.gz"\nbootargs = "quiet"'))
    linux = config.vm("linux").linux
    assert linux is not None
    assert (linux.kernel, linux.initrd, linux.bootargs) == (
        linux_dir / "zImage",
        linux_dir / "initrd.gz",
        "quiet",
    )
    assert config.vm("linux").images == ()


def test_a_vm_with_neither_image_nor_linux(workdir: Path) -> None:
    text = BOARD + '[[vm]]\nname = "a"\n[[vm.memory]]\nipa = 0x80000000\nsize = "1M"\n'
    fails(workdir, text, "vm[0]", "a VM needs [[vm.image]] or [vm.linux]")


def test_linux_and_images_exclude_each_other(linux_dir: Path) -> None:
    text = linux_vm().replace(
        "[vm.linux]", '[[vm.image]]\npath = "zImage"\nload_ipa = 0x40000000\n[vm.linux]'
    )
    fails(linux_dir, text, "[vm.linux] and [[vm.image]] exclude each other")


def test_linux_with_dtb(linux_dir: Path) -> None:
    fails(linux_dir, linux_vm(keys="dtb = true"), "a Linux VM always gets its device tree")


def test_linux_kernel_that_is_no_zimage(linux_dir: Path) -> None:
    (linux_dir / "zImage").write_bytes(bytes(0x100))
    fails(linux_dir, linux_vm(), 'vm "linux".linux: kernel', "not an Arm zImage")


def test_linux_initrd_missing(linux_dir: Path) -> None:
    text = linux_vm(linux='initrd = "nothing.gz"')
    fails(linux_dir, text, 'vm "linux".linux: initrd', "nothing.gz: No such file or directory")


def test_linux_ram_too_small(linux_dir: Path) -> None:
    fails(linux_dir, linux_vm(size="32M"), 'vm "linux".linux: 32 MiB of RAM is too small')


# --- hostile input: every refusal is one line naming the file and the field -------------------


def test_a_deeply_nested_array_is_refused_in_one_line(workdir: Path) -> None:
    """An array nested 100,000 deep is refused with the file named, not a RecursionError."""
    deep = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"
    fails(workdir, BOARD + deep + vm("a"), "test.toml", "nested too deeply")


def test_invalid_utf8_names_the_file_and_the_line(workdir: Path) -> None:
    """A config that is not UTF-8 is refused with the file and the line of the bad byte."""
    path = workdir / "latin1.toml"
    path.write_bytes((BOARD + vm("a", keys="# caf\xe9")).encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and "not UTF-8" in message and "line 5" in message, message


def test_a_huge_integer_names_the_file_and_the_field(workdir: Path) -> None:
    """A 5,000-digit integer is refused naming the file, the line and the key."""
    fails(
        workdir, BOARD + "cpu_hz = " + "9" * 5000 + "\n" + vm("a"), "test.toml", "line 2", "cpu_hz"
    )


def test_a_misspelt_table_is_named_with_a_suggestion(workdir: Path) -> None:
    """[[vm.imag]] is reported as the unknown table it is, with the near name."""
    text = BOARD + '[[vm]]\nname = "a"\n[[vm.imag]]\npath = "guest.elf"\n'
    text += f'[[vm.memory]]\nipa = {GUEST_BASE:#x}\nsize = "1M"\n'
    fails(workdir, text, "test.toml", "vm[0].imag: unknown field", 'did you mean "image"')
