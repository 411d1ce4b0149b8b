"""The same images print the same on qemu-system-arm -M vexpress-a15 as on our board."""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from pathlib import Path

import pytest

from support import boot, guest_image

pytestmark = pytest.mark.qemu
QEMU_SECONDS = 20


def run_on_qemu(image: Path, marker: str, machine: str = "vexpress-a15") -> str:
    """Console output of ``image`` on QEMU up to and including the line holding ``marker``."""
    command = [
        "qemu-system-arm",
        "-M",
        machine,
        "-m",
        "128M",
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "stdio",
        "-kernel",
        str(image),
    ]
    lines: list[str] = []
    deadline = time.monotonic() + QEMU_SECONDS
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline and not _has_line(buffer, marker):
                if not selector.select(timeout=0.5):
                    continue
                chunk = os.read(process.stdout.fileno(), 4096)
                if not chunk:
                    break
                buffer += chunk
        process.kill()
    text = buffer.decode(errors="replace").replace("\r\n", "\n")
    end = text.find("\n", text.find(marker))
    lines.append(text if end < 0 else text[: end + 1])
    output = "".join(lines)
    assert marker in output, f"QEMU never printed {marker!r}; got {output!r}"
    return output


def _has_line(buffer: bytes, marker: str) -> bool:
    """True once the line holding ``marker`` has arrived in full."""
    at = buffer.find(marker.encode())
    return at >= 0 and b"\n" in buffer[at:]


def run_on_board(image: Path, board: str = "vexpress-a15") -> str:
    """Console output of ``image`` on our board until it idles."""
    booted = boot(image, board)
    booted.machine.run()
    return booted.output()


@pytest.mark.parametrize(("name", "marker"), [("hello", "hello done"), ("timer", "timer done")])
def test_vexpress_guest_prints_the_same_as_on_qemu(name: str, marker: str) -> None:
    """Hello and timer print byte-identical consoles on QEMU and on the emulated board."""
    image = guest_image(name)
    assert run_on_board(image) == run_on_qemu(image, marker)


def test_virt_hello_prints_the_same_as_on_qemu() -> None:
    """The virt build of hello prints the same on QEMU's virt machine and on our virt board."""
    image = guest_image("hello", "virt")
    assert run_on_board(image, "virt") == run_on_qemu(image, "hello done", "virt")
