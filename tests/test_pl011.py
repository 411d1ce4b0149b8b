"""PL011 UART: instant transmit, lossless receive, interrupt status and masking."""

from __future__ import annotations

import pytest

from rthv.board.guest_errors import GuestError
from rthv.board.pl011 import (
    CR_RESET,
    FR_RXFE,
    FR_RXFF,
    FR_TXFE,
    INT_RT,
    INT_RX,
    INT_TX,
    LCR_H_FEN,
    OUTPUT_KEPT,
    READ_ONLY,
    UART_CR,
    UART_DR,
    UART_FBRD,
    UART_FR,
    UART_IBRD,
    UART_ICR,
    UART_IFLS,
    UART_IMSC,
    UART_LCR_H,
    UART_MIS,
    UART_RIS,
    UART_RSR,
    WRITABLE,
    Pl011Uart,
)


class Console:
    """A PL011 wired to a list sink, with an IRQ level log."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.uart = Pl011Uart("uart0", sink=self.sent.append)
        self.irq_log: list[bool] = []
        self.uart.irq.connect(self.irq_log.append)

    def rd(self, offset: int) -> int:
        return self.uart.read(offset, 4)

    def wr(self, offset: int, value: int) -> None:
        self.uart.write(offset, 4, value)


@pytest.fixture
def console() -> Console:
    return Console()


def test_reset_state_and_ids(console: Console) -> None:
    """At reset FR shows both FIFOs empty, CR=0x300, IFLS=0x12 and the PrimeCell IDs."""
    assert console.rd(UART_FR) == FR_TXFE | FR_RXFE
    assert console.rd(UART_CR) == 0x300
    assert console.rd(UART_IFLS) == 0x12
    assert console.rd(UART_RIS) == 0 and console.rd(UART_MIS) == 0
    ids = [console.rd(0xFE0 + 4 * i) for i in range(8)]
    assert ids == [0x11, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1]
    assert console.rd(0x800) == 0
    assert not console.uart.irq.level


def test_transmit_goes_to_sink_byte_by_byte_even_when_disabled(console: Console) -> None:
    """DR writes reach the sink one byte at a time and ``output``, whatever CR says."""
    console.wr(UART_CR, 0)  # UARTEN/TXE clear: QEMU-style permissive transmit
    for ch in b"Hi\n":
        console.wr(UART_DR, ch)
    console.uart.write(UART_DR, 1, 0x1FF & 0x21)
    assert console.sent == [b"H", b"i", b"\n", b"!"]
    assert console.uart.output == bytearray(b"Hi\n!")
    assert console.rd(UART_FR) & FR_TXFE
    assert console.rd(UART_FR) & ~(FR_TXFE | FR_RXFE) == 0  # never TXFF nor BUSY


def test_a_chatty_uart_keeps_only_its_latest_output() -> None:
    """A UART that never stops sending keeps a bounded tail in ``output``; the sink gets all."""
    sent = bytearray()
    uart = Pl011Uart("uart0", sink=sent.extend)
    total = 3 * OUTPUT_KEPT + 5
    for index in range(total):
        uart.write(UART_DR, 4, index & 0xFF)
    assert len(sent) == total
    assert OUTPUT_KEPT <= len(uart.output) < 2 * OUTPUT_KEPT
    assert uart.output == sent[-len(uart.output) :]


def test_sink_is_optional() -> None:
    """Without a sink the transmitted bytes are still collected in ``output``."""
    uart = Pl011Uart("uart1")
    uart.write(UART_DR, 4, ord("x"))
    assert uart.output == b"x"


def test_tx_interrupt_after_transmit_cleared_by_icr(console: Console) -> None:
    """TXRIS latches when a byte drains; TXIM routes it to the IRQ; ICR clears it."""
    console.wr(UART_IMSC, INT_TX)
    assert console.irq_log == []  # no TX interrupt before anything was sent
    console.wr(UART_DR, ord("a"))
    assert console.rd(UART_RIS) == INT_TX and console.rd(UART_MIS) == INT_TX
    assert console.irq_log == [True]
    console.wr(UART_ICR, INT_TX)
    assert console.rd(UART_RIS) == 0
    assert console.irq_log == [True, False]


def test_rx_inject_raises_interrupt_and_reads_in_order(console: Console) -> None:
    """Injected bytes set RXRIS/RTRIS, read back in order, and clear them when drained."""
    console.wr(UART_IMSC, INT_RX)
    console.uart.inject(b"ok")
    assert console.rd(UART_FR) & FR_RXFE == 0
    assert console.rd(UART_RIS) == INT_RX | INT_RT
    assert console.rd(UART_MIS) == INT_RX
    assert console.irq_log == [True]
    assert console.rd(UART_DR) == ord("o")
    assert console.irq_log == [True]
    assert console.rd(UART_DR) == ord("k")
    assert console.rd(UART_FR) & FR_RXFE
    assert console.rd(UART_RIS) == 0
    assert console.irq_log == [True, False]
    assert console.rd(UART_DR) == 0  # reading an empty FIFO yields 0
    assert console.rd(UART_RSR) == 0


def test_imsc_masks_and_unmasks_pending_rx(console: Console) -> None:
    """With IMSC=0 RIS is set but MIS and the line stay low until RTIM is unmasked."""
    console.uart.inject(b"z")
    assert console.rd(UART_RIS) == INT_RX | INT_RT
    assert console.rd(UART_MIS) == 0 and console.irq_log == []
    console.wr(UART_IMSC, INT_RT)
    assert console.rd(UART_MIS) == INT_RT and console.irq_log == [True]
    console.wr(UART_IMSC, 0)
    assert console.irq_log == [True, False]


def test_icr_clears_rx_until_more_data_arrives(console: Console) -> None:
    """ICR drops RX/RT even with data left; the next arriving byte sets them again."""
    console.wr(UART_IMSC, INT_RX | INT_RT)
    console.uart.inject(b"ab")
    console.wr(UART_ICR, INT_RX | INT_RT)
    assert console.rd(UART_RIS) == 0 and console.irq_log == [True, False]
    assert console.uart.rx_pending == 2
    console.uart.inject(b"c")
    assert console.rd(UART_RIS) == INT_RX | INT_RT
    assert console.irq_log == [True, False, True]
    assert bytes(console.rd(UART_DR) for _ in range(3)) == b"abc"


def test_fifo_depth_sets_rxff_and_backlog_is_lossless(console: Console) -> None:
    """RXFF follows the 1-byte holding register or the 16-byte FIFO; no byte is ever lost."""
    console.uart.inject(b"Q")
    assert console.rd(UART_FR) & FR_RXFF
    assert console.rd(UART_DR) == ord("Q")
    console.wr(UART_LCR_H, LCR_H_FEN)
    text = bytes(range(0x41, 0x41 + 20))
    console.uart.inject(text[:15])
    assert console.rd(UART_FR) & FR_RXFF == 0
    console.uart.inject(text[15:])
    assert console.rd(UART_FR) & FR_RXFF
    received = bytes(console.rd(UART_DR) for _ in range(20))
    assert received == text
    assert console.rd(UART_FR) & (FR_RXFE | FR_RXFF) == FR_RXFE


def test_backlog_byte_moving_up_sets_rx_again(console: Console) -> None:
    """A read that pulls a backlog byte into the FIFO counts as a new arrival."""
    console.wr(UART_IMSC, INT_RX)
    console.uart.inject(b"12")  # FIFO disabled: '1' in the holding register, '2' waiting
    console.wr(UART_ICR, INT_RX | INT_RT)
    assert console.rd(UART_DR) == ord("1")
    assert console.rd(UART_RIS) == INT_RX | INT_RT
    assert console.irq_log == [True, False, True]


def test_configuration_registers_keep_their_widths(console: Console) -> None:
    """IBRD is 16 bits, FBRD 6 bits, LCR_H 8 bits, CR drops its reserved bits; FR is RO."""
    console.wr(UART_IBRD, 0x12_3456)
    console.wr(UART_FBRD, 0xFF)
    console.wr(UART_LCR_H, 0x1_70)
    console.wr(UART_CR, 0xFFFF_FFFF)
    console.wr(UART_FR, 0)
    assert console.rd(UART_IBRD) == 0x3456
    assert console.rd(UART_FBRD) == 0x3F
    assert console.rd(UART_LCR_H) == 0x70
    assert console.rd(UART_CR) == 0xFF87
    assert console.rd(UART_FR) == FR_TXFE | FR_RXFE


def test_byte_reads_and_unaligned_writes(console: Console) -> None:
    """Sub-word reads return the addressed bytes; unaligned writes are ignored."""
    assert console.uart.read(UART_CR + 1, 1) == 0x03
    console.uart.write(UART_CR + 1, 1, 0)
    assert console.rd(UART_CR) == 0x300
    assert console.uart.output == b""


def test_fed_bytes_wait_for_a_listening_driver(console: Console) -> None:
    """Nothing enters the FIFO before the receiver is on and its interrupt unmasked."""
    console.uart.feed(b"ls\n")
    assert console.rd(UART_FR) & FR_RXFE and console.uart.feed_pending == 3
    console.wr(UART_CR, 0x301)  # UARTEN | TXE | RXE, interrupts still masked
    assert console.rd(UART_FR) & FR_RXFE
    console.wr(UART_IMSC, INT_RX | INT_RT)
    assert not console.rd(UART_FR) & FR_RXFE
    assert console.uart.irq.level and console.uart.feed_pending == 2


def test_fed_bytes_enter_one_at_a_time_as_the_driver_reads(console: Console) -> None:
    """Each DR read that empties the FIFO lets the next byte in; all arrive, in order."""
    console.wr(UART_CR, 0x301)
    console.wr(UART_IMSC, INT_RX | INT_RT)
    console.uart.feed(b"ab")
    assert console.uart.rx_pending == 1
    received = []
    while not console.rd(UART_FR) & FR_RXFE:
        received.append(console.rd(UART_DR))
        assert console.uart.rx_pending <= 1
    assert bytes(received) == b"ab" and console.uart.feed_pending == 0
    assert not console.uart.irq.level


def test_feeding_pauses_while_the_driver_masks_its_interrupt(console: Console) -> None:
    """Masking RX (as a driver shutting down does) holds the rest back until unmasked again."""
    console.wr(UART_CR, 0x301)
    console.wr(UART_IMSC, INT_RX)
    console.uart.feed(b"xy")
    console.wr(UART_IMSC, 0)
    assert console.rd(UART_DR) == ord("x")
    assert console.rd(UART_FR) & FR_RXFE and console.uart.feed_pending == 1
    console.wr(UART_IMSC, INT_RT)
    assert console.rd(UART_DR) == ord("y")


def test_accesses_the_model_lacks_are_reported_and_answered_as_reserved_space() -> None:
    """Reads of no register or of write-only ICR read 0, writes to read-only or unknown
    offsets and unaligned writes change nothing; each is reported with what and why."""
    errors: list[GuestError] = []
    uart = Pl011Uart("uart0", on_error=errors.append)
    assert uart.read(0x080, 4) == 0  # UARTITCR: a test register the model lacks
    assert uart.read(UART_ICR, 4) == 0
    uart.write(UART_FR, 4, 0xFF)
    uart.write(0xFE0, 4, 0)  # PeriphID0
    uart.write(UART_CR + 1, 1, 0)
    uart.write(0x100, 4, 1)
    assert uart.read(UART_FR, 4) & FR_TXFE and uart.read(UART_CR, 4) == CR_RESET
    assert [(e.device, e.access, e.offset, e.size, e.why) for e in errors] == [
        ("uart0", "read", 0x080, 4, "no such register"),
        ("uart0", "read", UART_ICR, 4, "write-only register"),
        ("uart0", "write", UART_FR, 4, "read-only register"),
        ("uart0", "write", 0xFE0, 4, "read-only register"),
        ("uart0", "write", UART_CR + 1, 1, "unaligned"),
        ("uart0", "write", 0x100, 4, "no such register"),
    ]


def test_every_modelled_register_is_accessed_without_a_report() -> None:
    """The registers a driver uses (and RSR, which reads 0 because errors never occur) are
    not guest errors."""
    errors: list[GuestError] = []
    uart = Pl011Uart("uart0", on_error=errors.append)
    for offset in [*sorted(READ_ONLY | WRITABLE - {UART_ICR}), 0xFE0, 0xFFC]:
        uart.read(offset, 4)
    for offset in sorted(WRITABLE):
        uart.write(offset, 4, 0)
    assert errors == []
