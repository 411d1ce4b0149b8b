"""ARM PL011 UART: instant transmission to a Python sink, lossless reception from ``inject``.

Behaviour (deterministic; no baud-rate timing is modelled):

* Transmission is instant: a DR write hands the byte to ``sink`` and appends it to ``output``
  at once, so FR always reads TXFE=1, TXFF=0, BUSY=0. Like QEMU, the UART transmits (and
  receives) whatever CR.UARTEN/TXE/RXE say: real guests such as boot loaders often print
  before enabling the UART, and QEMU's model does not check those bits either.
* TXRIS is set each time a byte has been sent (the TX FIFO has drained back to empty, which
  is when a real PL011 raises its transmit interrupt) and stays set until ICR clears it. It is
  not set at reset: the PL011 TX interrupt fires on the FIFO draining, not on it being empty.
* Received bytes wait in the RX FIFO (16 entries with LCR_H.FEN, else a 1-byte holding
  register). Bytes injected beyond that wait in a host-side backlog -- as if the sender were
  flow-controlled -- and move up as the guest reads DR, so typed input is never lost and FR
  reports RXFF honestly. RXRIS and RTRIS are both set whenever a byte enters the RX FIFO and
  both clear when a DR read empties it, or through ICR.
* ``irq`` is the combined UARTINTR line: the OR of all MIS bits (RIS & IMSC).
* ``feed`` queues input for a guest's interrupt-driven driver (a script typed into a shell): one
  byte enters the RX FIFO whenever the FIFO is empty, the receiver is on (CR.UARTEN and RXE) and
  the receive interrupt is unmasked (IMSC.RXIM or RTIM). Until a driver listens like that, bytes
  wait; none is lost to a driver that flushes its FIFO while it starts.
* Not modelled: loopback (CR.LBE), break, modem-status inputs, DMA; errors never occur, so
  RSR and the DR error bits read 0.
* An access the model does not implement (an offset with no register, such as the test
  registers at 0x080-0x08C; a read of write-only ICR; a write to a read-only register; an
  unaligned write) reads 0 or is ignored, and is reported as a ``GuestError``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Final

from rthv.board.guest_errors import Access, GuestError, GuestErrorSink, ignore_guest_errors
from rthv.board.signal import Signal

# Register offsets.
UART_DR: Final = 0x000
UART_RSR: Final = 0x004  # RSR on read, ECR on write
UART_FR: Final = 0x018
UART_ILPR: Final = 0x020
UART_IBRD: Final = 0x024
UART_FBRD: Final = 0x028
UART_LCR_H: Final = 0x02C
UART_CR: Final = 0x030
UART_IFLS: Final = 0x034
UART_IMSC: Final = 0x038
UART_RIS: Final = 0x03C
UART_MIS: Final = 0x040
UART_ICR: Final = 0x044
UART_DMACR: Final = 0x048

# PrimeCell identification: UARTPeriphID0-3 (0x00041011) then UARTPCellID0-3 (0xB105F00D).
PERIPH_ID_BASE: Final = 0xFE0
ID_BYTES: Final = (0x11, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1)

# Flag register bits.
FR_BUSY: Final = 1 << 3
FR_RXFE: Final = 1 << 4
FR_TXFF: Final = 1 << 5
FR_RXFF: Final = 1 << 6
FR_TXFE: Final = 1 << 7

# Interrupt bits shared by IMSC, RIS, MIS and ICR.
INT_RIM: Final = 1 << 0
INT_CTSM: Final = 1 << 1
INT_DCDM: Final = 1 << 2
INT_DSRM: Final = 1 << 3
INT_RX: Final = 1 << 4
INT_TX: Final = 1 << 5
INT_RT: Final = 1 << 6
INT_FE: Final = 1 << 7
INT_PE: Final = 1 << 8
INT_BE: Final = 1 << 9
INT_OE: Final = 1 << 10
INT_ALL: Final = (1 << 11) - 1

LCR_H_FEN: Final = 1 << 4
FIFO_DEPTH: Final = 16

# Register widths (write masks) and reset values.
ILPR_MASK: Final = 0xFF
IBRD_MASK: Final = 0xFFFF
FBRD_MASK: Final = 0x3F
LCR_H_MASK: Final = 0xFF
CR_MASK: Final = 0xFF87  # bits 6:3 are reserved
IFLS_MASK: Final = 0x3F
DMACR_MASK: Final = 0x7
CR_RESET: Final = 0x0300  # TXE | RXE
CR_RX_ON: Final = 0x0201  # RXE | UARTEN
IFLS_RESET: Final = 0x12  # both FIFO trigger levels at half full


READ_ONLY: Final = frozenset({UART_FR, UART_RIS, UART_MIS})
WRITABLE: Final = frozenset(
    {UART_DR, UART_RSR, UART_ILPR, UART_IBRD, UART_FBRD, UART_LCR_H, UART_CR, UART_IFLS}
    | {UART_IMSC, UART_ICR, UART_DMACR}
)

OUTPUT_KEPT = 64 * 1024  # transmitted bytes a UART keeps for inspection; sinks get them all


class Pl011Uart:
    """ARM PL011 UART with an instant transmitter and a lossless receive path."""

    def __init__(
        self,
        name: str,
        sink: Callable[[bytes], None] | None = None,
        on_error: GuestErrorSink = ignore_guest_errors,
    ) -> None:
        self.name = name
        self.sink = sink
        self._on_error = on_error
        self.output = bytearray()  # the latest OUTPUT_KEPT bytes or more sent (never unbounded)
        self.irq = Signal(f"{name}.irq")
        self._rx: deque[int] = deque()
        self._feed: deque[int] = deque()
        self._ris = 0
        self._imsc = 0
        self._ilpr = 0
        self._ibrd = 0
        self._fbrd = 0
        self._lcr_h = 0
        self._cr = CR_RESET
        self._ifls = IFLS_RESET
        self._dmacr = 0

    # -- host side --------------------------------------------------------------------------

    def inject(self, data: bytes) -> None:
        """Receive ``data`` from the outside world (e.g. a test typing into the console)."""
        if not data:
            return
        self._rx.extend(data)
        self._ris |= INT_RX | INT_RT
        self._update_irq()

    def feed(self, data: bytes) -> None:
        """Queue ``data`` for the guest's driver: a byte at a time, as it listens and reads."""
        self._feed.extend(data)
        self._refill()

    @property
    def feed_pending(self) -> int:
        """Fed bytes that have not entered the receive FIFO yet."""
        return len(self._feed)

    def _refill(self) -> None:
        listening = self._imsc & (INT_RX | INT_RT) and self._cr & CR_RX_ON == CR_RX_ON
        if self._feed and not self._rx and listening:
            self.inject(bytes((self._feed.popleft(),)))

    @property
    def fifo_depth(self) -> int:
        """Receive FIFO capacity under the current LCR_H.FEN setting."""
        return FIFO_DEPTH if self._lcr_h & LCR_H_FEN else 1

    @property
    def rx_pending(self) -> int:
        """Bytes received but not yet read by the guest (FIFO plus backlog)."""
        return len(self._rx)

    # -- guest side -------------------------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        """Read a register; a DR read pops the receive FIFO."""
        if offset == UART_FR:  # polled before every character sent: the short way
            return self._flags() & ((1 << (8 * size)) - 1)
        word = self._read_word(offset & ~3, size)
        return (word >> (8 * (offset & 3))) & ((1 << (8 * size)) - 1)

    def _read_word(self, offset: int, size: int) -> int:
        if offset == UART_DR:
            return self._pop_rx()
        if offset == UART_FR:
            return self._flags()
        if PERIPH_ID_BASE <= offset < PERIPH_ID_BASE + 4 * len(ID_BYTES):
            return ID_BYTES[(offset - PERIPH_ID_BASE) // 4]
        registers = {
            UART_ILPR: self._ilpr,
            UART_IBRD: self._ibrd,
            UART_FBRD: self._fbrd,
            UART_LCR_H: self._lcr_h,
            UART_CR: self._cr,
            UART_IFLS: self._ifls,
            UART_IMSC: self._imsc,
            UART_RIS: self._ris,
            UART_MIS: self._ris & self._imsc,
            UART_DMACR: self._dmacr,
        }
        value = registers.get(offset)
        if value is not None:
            return value
        if offset != UART_RSR:  # RSR reads 0: errors never occur
            why = "write-only register" if offset == UART_ICR else "no such register"
            self._guest_error("read", offset, size, why)
        return 0

    def _flags(self) -> int:
        received = len(self._rx)
        if not received:
            return FR_TXFE | FR_RXFE
        return FR_TXFE | FR_RXFF if received >= self.fifo_depth else FR_TXFE

    def _pop_rx(self) -> int:
        if not self._rx:
            return 0
        byte = self._rx.popleft()
        if not self._rx:
            self._ris &= ~(INT_RX | INT_RT)
        elif len(self._rx) >= self.fifo_depth:
            self._ris |= INT_RX | INT_RT  # a backlog byte moved up into the FIFO
        self._update_irq()
        self._refill()
        return byte

    def write(self, offset: int, size: int, value: int) -> None:
        """Write a register; unaligned, read-only and unknown offsets are ignored (and reported)."""
        if offset == UART_DR:  # every character sent: the short way, before the table below
            self._transmit(value & 0xFF)
            self._update_irq()
            return
        if offset & 3 or offset not in WRITABLE:
            self._guest_error("write", offset, size, _unwritable(offset))
            return
        value &= (1 << (8 * size)) - 1
        if offset == UART_ICR:
            self._ris &= ~value
        elif offset == UART_IMSC:
            self._imsc = value & INT_ALL
        elif offset == UART_ILPR:
            self._ilpr = value & ILPR_MASK
        elif offset == UART_IBRD:
            self._ibrd = value & IBRD_MASK
        elif offset == UART_FBRD:
            self._fbrd = value & FBRD_MASK
        elif offset == UART_LCR_H:
            self._lcr_h = value & LCR_H_MASK
        elif offset == UART_CR:
            self._cr = value & CR_MASK
        elif offset == UART_IFLS:
            self._ifls = value & IFLS_MASK
        elif offset == UART_DMACR:
            self._dmacr = value & DMACR_MASK
        # RSR/ECR writes clear error flags, of which there are none.
        self._update_irq()
        if offset in (UART_IMSC, UART_CR):
            self._refill()

    def _guest_error(self, access: Access, offset: int, size: int, why: str) -> None:
        self._on_error(GuestError(self.name, access, offset, size, why))

    def _transmit(self, byte: int) -> None:
        self.output.append(byte)
        if len(self.output) >= 2 * OUTPUT_KEPT:  # amortised: trim by half at a time
            del self.output[:-OUTPUT_KEPT]
        if self.sink is not None:
            self.sink(bytes((byte,)))
        self._ris |= INT_TX

    def _update_irq(self) -> None:
        self.irq.set(bool(self._ris & self._imsc))


def _unwritable(offset: int) -> str:
    """Why a write at ``offset`` has no register to go to."""
    if offset & 3:
        return "unaligned"
    identification = PERIPH_ID_BASE <= offset < PERIPH_ID_BASE + 4 * len(ID_BYTES)
    return "read-only register" if offset in READ_ONLY or identification else "no such register"
