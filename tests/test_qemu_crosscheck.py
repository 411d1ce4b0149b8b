"""The same images print the same on qemu-system-arm -M vexpress-a15 as on our board."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import boot, guest_image, run_on_qemu

pytestmark = pytest.mark.qemu


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


@pytest.mark.parametrize("board", ["vexpress-a15", "virt"])
def test_mmu_fault_guest_prints_the_same_as_on_qemu(board: str) -> None:
    """Each Stage-1 fault's DFSR/DFAR/IFSR/IFAR is what QEMU's own MMU reports, byte for byte."""
    image = guest_image("mmu-faults", board)
    assert run_on_board(image, board) == run_on_qemu(image, "mmu-faults done", board)


@pytest.mark.parametrize("board", ["vexpress-a15", "virt"])
def test_vfp_guest_prints_the_same_as_on_qemu(board: str) -> None:
    """VFP on, arithmetic and register file checks print the same as on QEMU."""
    image = guest_image("vfp", board)
    assert run_on_board(image, board) == run_on_qemu(image, "vfp done", board)
