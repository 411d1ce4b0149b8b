"""A VM's sections: images, memory regions and devices are checked in shape as they are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rthv.hv.config.vm_model import ImageConfig, MemoryRegion, VmConfig

RAM = {"ipa": 0x8000_0000, "size": "1M"}


def _vm(**fields: object) -> VmConfig:
    return VmConfig.model_validate(
        {"name": "a", "image": [{"path": "a.elf"}], "memory": [RAM], **fields},
        context={"base_dir": Path("/cfg")},
    )


def test_paths_are_taken_from_the_config_folder_and_devices_found_by_name() -> None:
    """An image path is relative to the config file; ``label`` and ``device`` read the VM."""
    vm = _vm(device=[{"name": "uart0", "ipa": 0x1C09_0000, "irqs": [37]}])
    assert vm.images[0].path == Path("/cfg/a.elf") and vm.label == 'vm "a"'
    uart = vm.device("uart0")
    assert uart is not None and uart.irqs == (37,) and vm.device("uart1") is None
    assert (vm.fault, vm.dtb, vm.memory[0].end) == ("stop", False, 0x8010_0000)


def test_a_rom_region_defaults_to_read_execute() -> None:
    """ROM is never writable unless said so (and then the checks refuse it)."""
    rom = MemoryRegion.model_validate({"ipa": 0, "size": "64K", "kind": "rom"})
    assert rom.perms == "rx"


@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        (lambda: ImageConfig.model_validate({"path": "x.bin", "entry": 0}), "load_ipa"),
        (lambda: MemoryRegion.model_validate({"ipa": 0x800, "size": "4K"}), "4 KiB aligned"),
        (lambda: _vm(image=[]), "a VM needs [[vm.image]] or [vm.linux]"),
        (lambda: _vm(fault="retry"), "'stop', 'inject' or 'restart'"),
    ],
)
def test_shapes_that_cannot_run_are_refused(make: object, complaint: str) -> None:
    """A raw binary needs its load address; regions are page aligned; a VM boots something."""
    assert callable(make)
    with pytest.raises(ValidationError) as caught:
        make()
    assert complaint in str(caught.value)
