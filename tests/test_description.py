"""Board descriptions: the shipped boards' memory maps, and errors that name the bad field."""

from __future__ import annotations

import pytest

from rthv.board.board_files import BOARDS_DIR, available_boards
from rthv.board.description import BoardDescription, BoardError, load_board, parse_board

VIRT_TOML = (BOARDS_DIR / "virt.toml").read_text()


def _parse_error(text: str) -> str:
    with pytest.raises(BoardError) as error:
        parse_board(text, source="test.toml")
    return str(error.value)


def test_shipped_boards_are_listed_and_load() -> None:
    """Both shipped boards are known by name and validate."""
    assert available_boards() == ["vexpress-a15", "virt"]
    for name in available_boards():
        assert isinstance(load_board(name), BoardDescription)
        assert load_board(name).name == name


def test_vexpress_a15_memory_map() -> None:
    """vexpress-a15: RAM at 2 GiB, UART0 at 0x1c090000 IRQ 37, SP804s IRQ 34/35, GIC at 0x2c00."""
    board = load_board("vexpress-a15")
    assert [(b.name, b.base, b.size, b.end) for b in board.ram] == [
        ("dram", 0x8000_0000, 0x0800_0000, 0x8800_0000)
    ]
    assert board.rom == ()
    assert board.console == "uart0"
    uart0 = board.device("uart0")
    assert (uart0.kind, uart0.base, uart0.size, uart0.irqs) == ("pl011", 0x1C09_0000, 0x1000, (37,))
    timer01, timer23 = board.device("timer01"), board.device("timer23")
    assert (timer01.kind, timer01.base, timer01.irqs) == ("sp804", 0x1C11_0000, (34,))
    assert (timer23.kind, timer23.base, timer23.irqs) == ("sp804", 0x1C12_0000, (35,))
    assert timer01.clock_hz == timer23.clock_hz == 1_000_000
    assert [board.device(f"uart{i}").base for i in (1, 2, 3)] == [
        0x1C0A_0000,
        0x1C0B_0000,
        0x1C0C_0000,
    ]
    gic = board.gic
    assert (gic.distributor, gic.cpu_interface) == (0x2C00_1000, 0x2C00_2000)
    assert (gic.hyp_interface, gic.virtual_cpu_interface) == (0x2C00_4000, 0x2C00_6000)
    assert (gic.num_irqs, gic.maintenance_irq) == (96, 25)
    timer = board.generic_timer
    assert (timer.frequency_hz, timer.phys_irq, timer.virt_irq, timer.hyp_irq) == (
        62_500_000,
        30,
        27,
        26,
    )


def test_virt_memory_map() -> None:
    """virt: RAM at 1 GiB, two flash banks, PL011s at 0x09000000 (IRQ 33) and 0x09040000 (40)."""
    board = load_board("virt")
    assert [(b.base, b.size) for b in board.ram] == [(0x4000_0000, 0x0800_0000)]
    assert [(b.name, b.base, b.size) for b in board.rom] == [
        ("flash0", 0, 0x0400_0000),
        ("flash1", 0x0400_0000, 0x0400_0000),
    ]
    assert [(d.name, d.base, d.irqs) for d in board.devices] == [
        ("uart0", 0x0900_0000, (33,)),
        ("uart1", 0x0904_0000, (40,)),
    ]
    uart0 = board.device(board.console)
    assert (uart0.kind, uart0.base, uart0.irqs, uart0.clock_hz) == (
        "pl011",
        0x0900_0000,
        (33,),
        None,
    )
    assert (board.gic.distributor, board.gic.cpu_interface) == (0x0800_0000, 0x0801_0000)
    assert board.gic.num_irqs == 288


def test_device_lookup_of_a_missing_device_names_board_and_device() -> None:
    """Asking for a device the board lacks raises with both names."""
    with pytest.raises(BoardError) as error:
        load_board("virt").device("timer01")
    assert str(error.value) == "board virt has no device 'timer01'"


def test_unknown_board_lists_the_known_ones() -> None:
    """An unknown name is refused with the list of shipped boards."""
    with pytest.raises(BoardError) as error:
        load_board("raspi2")
    assert str(error.value) == "unknown board 'raspi2'; known boards: vexpress-a15, virt"


def test_parse_board_accepts_the_shipped_text() -> None:
    """The TOML of a shipped board parses to the same description load_board gives."""
    assert parse_board(VIRT_TOML) == load_board("virt")


def test_bad_device_kind_names_the_field() -> None:
    """An unknown device kind points at devices.0.kind and lists the allowed kinds."""
    text = VIRT_TOML.replace('kind = "pl011"', 'kind = "pl999"')
    assert _parse_error(text) == (
        "test.toml: devices.0.kind: unknown device kind 'pl999'; known kinds: pl011, sp804"
    )


def test_missing_console_names_the_field() -> None:
    """A board without a console entry is refused at 'console'."""
    text = VIRT_TOML.replace('console = "uart0"', "")
    assert _parse_error(text) == "test.toml: console: Field required"


def test_console_must_be_one_of_the_devices() -> None:
    """A console naming no device is refused, naming the console and the devices."""
    text = VIRT_TOML.replace('console = "uart0"', 'console = "uart9"')
    message = _parse_error(text)
    assert message.startswith("test.toml: ")
    assert message.endswith("console 'uart9' is not one of the devices ['uart0', 'uart1']")


def test_duplicate_device_names_are_refused() -> None:
    """Two devices with one name are refused."""
    text = (
        VIRT_TOML
        + '\n[[devices]]\nname = "uart0"\nkind = "pl011"\nbase = 0x09010000\nsize = 0x1000\n'
    )
    message = _parse_error(text)
    assert message.startswith("test.toml: ")
    assert message.endswith("device names must be unique")


def test_toml_syntax_error_names_source_and_line() -> None:
    """Broken TOML is reported with the source name and the position."""
    text = VIRT_TOML.replace("num_irqs = 288", "num_irqs = ")
    line = VIRT_TOML.splitlines().index("num_irqs = 288             # 32 SGIs/PPIs + 256 SPIs") + 1
    message = _parse_error(text)
    assert message.startswith("test.toml: ")
    assert f"line {line}" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "num_irqs = 288",
            "num_irqs = 288\ncolour = 1",
            "gic.colour: Extra inputs are not permitted",
        ),
        ('name = "virt"', 'name = "virt"\nseats = 2', "seats: Extra inputs are not permitted"),
        ("num_irqs = 288", 'num_irqs = "288"', "gic.num_irqs: Input should be a valid integer"),
        ("num_irqs = 288", "num_irqs = true", "gic.num_irqs: Input should be a valid integer"),
        (
            "num_irqs = 288",
            "num_irqs = 2000",
            "gic.num_irqs: Input should be less than or equal to 1020",
        ),
        ('console = "uart0"', "console = 0", "console: Input should be a valid string"),
        ("irqs = [33]", "irqs = 33", "devices.0.irqs: Input should be a valid tuple"),
        ("irqs = [33]", 'irqs = ["33"]', "devices.0.irqs.0: Input should be a valid integer"),
        (
            "maintenance_irq = 25",
            "maintenance_irq = 40",
            "gic.maintenance_irq: Input should be less than 32",
        ),
        ("size = 0x1000", "size = 0", "devices.0.size: Input should be greater than 0"),
        (
            "phys_irq = 30",
            "phys_irq = 15",
            "generic_timer.phys_irq: Input should be greater than or equal to 16",
        ),
    ],
)
def test_field_constraints_name_the_field(old: str, new: str, expected: str) -> None:
    """Unknown keys and out-of-range values are refused at their dotted location."""
    assert old in VIRT_TOML
    assert _parse_error(VIRT_TOML.replace(old, new)) == f"test.toml: {expected}"


def test_a_table_where_a_value_belongs_is_refused() -> None:
    """A nested section given as a plain value is refused at its name."""
    text = VIRT_TOML.replace('console = "uart0"', 'console = "uart0"\ngic = 5').replace(
        "[gic]", "[gic_unused]"
    )
    assert _parse_error(text) == "test.toml: gic: Input should be a valid dictionary"


def test_default_source_is_board() -> None:
    """Without a source name, errors say <board>."""
    with pytest.raises(BoardError, match=r"^<board>: console: Field required$"):
        parse_board(VIRT_TOML.replace('console = "uart0"', ""))
