"""A GDB remote-serial-protocol server for one VM (``rthv run --gdb VM:PORT``).

GDB sees the VM's vCPU: its registers, its memory through the VM's own Stage-1 and Stage-2
translation, breakpoints (software and hardware alike: nothing is written into the guest), single
steps, continue and Ctrl-C. While the VM is halted the whole system is: no virtual time passes
and no other VM runs, so a run under GDB has the same consoles and trace as one without.
The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import enum
import select
import socket
from collections.abc import Callable
from fractions import Fraction

from rthv.board.registers import Reg
from rthv.board.run_result import RunResult, StopCause
from rthv.hv.hypervisor import Hypervisor
from rthv.tools.guest_memory import GuestMemory, GuestMemoryError

HOST = "127.0.0.1"
PIECE_NS = Fraction(1_000_000)  # between two looks at the socket while the system runs
CTRL_C = b"\x03"
ACCEPT_POLL_S = 0.2  # host time between looks for a Ctrl-C while waiting for GDB
SIGINT, SIGTRAP = 2, 5
WHOLE_SPACE = (0, 0xFFFFFFFF)
REGISTERS = (*(Reg(r) for r in list(Reg)[:16]), Reg.CPSR)  # r0-r12, sp, lr, pc, cpsr
TARGET_XML = (
    '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
    "<target><architecture>arm</architecture>"
    '<feature name="org.gnu.gdb.arm.core">'
    + "".join(f'<reg name="r{i}" bitsize="32"/>' for i in range(13))
    + '<reg name="sp" bitsize="32" type="data_ptr"/>'
    '<reg name="lr" bitsize="32"/>'
    '<reg name="pc" bitsize="32" type="code_ptr"/>'
    '<reg name="cpsr" bitsize="32"/>'
    "</feature></target>"
)


class GdbError(ValueError):
    """A bad ``--gdb`` argument, or a VM the system does not have."""


class Resume(enum.Enum):
    """What GDB asked the system to do next."""

    CONTINUE = "continue"
    STEP = "step"
    DETACH = "detach"
    KILL = "kill"


def parse_gdb_option(text: str) -> tuple[str, int]:
    """``VM:PORT`` -> (vm, port); port 0 lets the system choose one (it is printed)."""
    vm, _, port = text.rpartition(":")
    if not vm or not port.isdigit() or int(port) > 65535:
        raise GdbError(f"--gdb {text!r}: use VM:PORT, e.g. rtos-a:1234")
    return vm, int(port)


class Connection:
    """RSP framing over a socket: ``$data#checksum``, acknowledged with ``+``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    def receive(self) -> str | None:
        """The next packet's payload (blocking); None when GDB has gone."""
        while True:
            start = self._buffer.find(b"$")
            end = self._buffer.find(b"#", start)
            if start >= 0 and end >= 0 and len(self._buffer) >= end + 3:
                payload = self._buffer[start + 1 : end]
                self._buffer = self._buffer[end + 3 :]
                self.sock.sendall(b"+")
                return _unescape(payload).decode("latin-1")
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self._buffer += chunk

    def send(self, payload: str) -> None:
        """Send one packet (GDB's ``+`` in reply is read and dropped with the next packet)."""
        data = payload.encode("latin-1")
        self.sock.sendall(b"$" + data + b"#" + f"{sum(data) % 256:02x}".encode())

    def poll_interrupt(self) -> bool:
        """Whether GDB sent Ctrl-C since the last look (never blocks)."""
        while select.select([self.sock], [], [], 0)[0]:
            chunk = self.sock.recv(4096)
            if not chunk:
                return True  # GDB went away: stop and let the serve loop see it
            self._buffer += chunk
        if CTRL_C in self._buffer:
            self._buffer = self._buffer.replace(CTRL_C, b"")
            return True
        return False


class GdbServer:
    """Serves one VM of a booted system to one GDB at a time."""

    def __init__(
        self, hv: Hypervisor, vm: str, port: int, *, stopping: Callable[[], bool] = lambda: False
    ) -> None:
        if vm not in hv.vms:
            raise GdbError(f"--gdb: no VM {vm!r}; the system has {', '.join(hv.vms)}")
        self.hv = hv
        self.vm = hv.vms[vm]
        self.memory = GuestMemory(self.vm, hv.machine)
        self.listener = socket.create_server((HOST, port))
        self.port = self.listener.getsockname()[1]
        self.connection: Connection | None = None
        self._breakpoints: dict[int, Callable[[], None]] = {}
        self._step: Callable[[], None] | None = None
        self._stopping = stopping  # e.g. Ctrl-C in rthv's terminal while waiting for GDB

    # -- the run, in pieces --------------------------------------------------------------------

    def run(
        self,
        step: Callable[[Fraction | None], RunResult],
        now_ns: Callable[[], Fraction],
        until_ns: Fraction | None,
        *,
        wait: bool,
    ) -> RunResult:
        """Run the system to ``until_ns`` under GDB's control (``wait``: halted until attached)."""
        if wait:
            self._accept(block=True)
            if self._serve(SIGTRAP, announce=False) is Resume.KILL:
                return step(now_ns())
        while True:
            target = now_ns() + PIECE_NS
            if until_ns is not None:
                target = min(target, until_ns)
            result = step(target)
            if result.cause is StopCause.WATCHED:
                self._end_step()
                if self._serve(SIGTRAP, announce=True) is Resume.KILL:
                    return result
                continue
            if result.cause is not StopCause.UNTIL or (
                until_ns is not None and now_ns() >= until_ns
            ):
                self._finished()
                return result
            if self.connection is None:
                self._accept(block=False)
            elif (
                self._interrupted(self.connection)
                and self._serve(SIGINT, announce=True) is Resume.KILL
            ):
                return result

    def close(self) -> None:
        """Stop listening and drop GDB."""
        if self.connection is not None:
            self.connection.sock.close()
        self.listener.close()

    def _accept(self, *, block: bool) -> None:
        while not select.select([self.listener], [], [], ACCEPT_POLL_S if block else 0)[0]:
            if not block or self._stopping():
                return
        sock, _ = self.listener.accept()
        self.connection = Connection(sock)

    def _finished(self) -> None:
        """The run is over: GDB sees the process exit."""
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.send("W00")
            self._drop()

    # -- GDB's requests while the VM is halted ----------------------------------------------------

    def _serve(self, signal: int, *, announce: bool) -> Resume:
        """Answer GDB until it resumes the system; the VM (and the system) stay halted.

        ``announce``: tell GDB first that the VM stopped (after a continue or a step). A GDB
        that goes away detaches: the run goes on without it.
        """
        try:
            return self._converse(signal, announce=announce)
        except OSError:
            self._drop()
            return Resume.DETACH

    def _converse(self, signal: int, *, announce: bool) -> Resume:
        connection = self.connection
        if connection is None:
            return Resume.CONTINUE
        if announce:
            connection.send(f"S{signal:02x}")
        while True:
            packet = connection.receive()
            if packet is None:
                self._drop()
                return Resume.DETACH
            resume = self._resume_request(packet)
            if resume is Resume.STEP:
                self._step = self.vm.core.watch_code(*WHOLE_SPACE)
                return resume
            if resume is Resume.CONTINUE:
                return resume
            if resume in (Resume.DETACH, Resume.KILL):
                if resume is Resume.DETACH:
                    connection.send("OK")  # a kill gets no reply
                self._drop()
                return resume
            reply = self._answer(packet, signal)
            connection.send(reply)

    def _resume_request(self, packet: str) -> Resume | None:
        if packet.startswith(("c", "vCont;c")):
            return Resume.CONTINUE
        if packet.startswith(("s", "vCont;s")):
            return Resume.STEP
        if packet.startswith("D"):
            return Resume.DETACH
        if packet == "k" or packet.startswith("vKill"):
            return Resume.KILL
        return None

    def _drop(self) -> None:
        for unwatch in self._breakpoints.values():
            unwatch()
        self._breakpoints.clear()
        self._end_step()
        if self.connection is not None:
            self.connection.sock.close()
        self.connection = None

    def _interrupted(self, connection: Connection) -> bool:
        try:
            return connection.poll_interrupt()
        except OSError:
            return True  # gone: the serve loop finds out and detaches

    def _end_step(self) -> None:
        if self._step is not None:
            self._step()
            self._step = None

    def _answer(self, packet: str, signal: int) -> str:
        """The reply to one request that does not resume the system."""
        try:
            return self._dispatch(packet, signal)
        except (GuestMemoryError, ValueError):
            return "E01"

    def _dispatch(self, packet: str, signal: int) -> str:
        regs = self.vm.core.regs
        command, body = packet[:1], packet[1:]
        if packet == "?":
            return f"S{signal:02x}"
        if packet.startswith("qSupported"):
            return "PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+"
        if packet.startswith("qXfer:features:read:target.xml:"):
            offset, length = (int(x, 16) for x in packet.rsplit(":", 1)[1].split(","))
            chunk = TARGET_XML[offset : offset + length]
            return ("l" if offset + length >= len(TARGET_XML) else "m") + chunk
        if packet == "qAttached":
            return "1"
        if packet == "qfThreadInfo":
            return "m1"
        if packet == "qsThreadInfo":
            return "l"
        if packet == "qC":
            return "QC1"
        if command == "H" or packet.startswith("T"):
            return "OK"
        if command == "g":
            return "".join(_hex32(regs[reg]) for reg in REGISTERS)
        if command == "G":
            for index, reg in enumerate(REGISTERS):
                regs[reg] = int.from_bytes(bytes.fromhex(body[8 * index : 8 * index + 8]), "little")
            return "OK"
        if command == "p":
            index = int(body, 16)
            return _hex32(regs[REGISTERS[index]]) if index < len(REGISTERS) else "E00"
        if command == "P":
            number, value = body.split("=")
            regs[REGISTERS[int(number, 16)]] = int.from_bytes(bytes.fromhex(value), "little")
            return "OK"
        if command == "m":
            address, length = (int(x, 16) for x in body.split(","))
            return self.memory.read(address, length).hex()
        if command == "M":
            where, data = body.split(":")
            address, _length = (int(x, 16) for x in where.split(","))
            self.memory.write(address, bytes.fromhex(data))
            return "OK"
        if command in "Zz" and body[:1] in "01":
            address = int(body[2:].split(",")[0], 16)
            if command == "Z" and address not in self._breakpoints:
                self._breakpoints[address] = self.vm.core.watch_code(address, address)
            elif command == "z" and address in self._breakpoints:
                self._breakpoints.pop(address)()
            return "OK"
        return ""  # not supported: GDB falls back or does without


def _hex32(value: int) -> str:
    return (value & 0xFFFFFFFF).to_bytes(4, "little").hex()


def _unescape(payload: bytes) -> bytes:
    out = bytearray()
    escaped = False
    for byte in payload:
        if escaped:
            out.append(byte ^ 0x20)
            escaped = False
        elif byte == 0x7D:
            escaped = True
        else:
            out.append(byte)
    return bytes(out)
