"""Cross checks: what no single section can see (ownership, overlaps, channels) is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.board.description import load_board
from rthv.hv.config.checks import check_system
from rthv.hv.config.fields import ConfigError
from rthv.hv.config.model import SystemConfig

RAM = {"ipa": 0x8000_0000, "size": "1M"}


def _config(tmp_path: Path, *vms: dict[str, object], **system: object) -> SystemConfig:
    (tmp_path / "code.bin").write_bytes(bytes(8))
    return SystemConfig.model_validate(
        {"board": "vexpress-a15", "vm": list(vms), **system}, context={"base_dir": tmp_path}
    )


def _vm(name: str, **fields: object) -> dict[str, object]:
    image = {"path": "code.bin", "load_ipa": 0x8000_0000}
    return {"name": name, "image": [image], "memory": [RAM], **fields}


def test_a_valid_system_gives_back_each_image_parsed_once(tmp_path: Path) -> None:
    """Two VMs with one image each: both come back keyed by (VM, index)."""
    config = _config(tmp_path, _vm("a"), _vm("b"))
    images = check_system(config, load_board("vexpress-a15"))
    assert sorted(images) == [("a", 0), ("b", 0)]
    assert images["a", 0].entry == 0x8000_0000


@pytest.mark.parametrize(
    ("vms", "system", "complaint"),
    [
        ((_vm("a"), _vm("a")), {}, "vm[1].name: duplicate VM name (also vm[0].name)"),
        (
            (_vm("a", memory=[RAM, {"ipa": 0x8008_0000, "size": "1M"}]),),
            {},
            "overlap",
        ),
        (
            (_vm("a"), _vm("b")),
            {"notify": [{"from": "a", "to": "c", "virq": 40, "id": 0}]},
            '"c"',
        ),
    ],
    ids=["duplicate-name", "overlapping-regions", "channel-to-nobody"],
)
def test_conflicts_are_named_in_one_line(
    tmp_path: Path, vms: tuple[dict[str, object], ...], system: dict[str, object], complaint: str
) -> None:
    """Each conflict is a ConfigError naming what clashes."""
    config = _config(tmp_path, *vms, **system)
    with pytest.raises(ConfigError) as caught:
        check_system(config, load_board("vexpress-a15"))
    assert complaint in str(caught.value) and "\n" not in str(caught.value)
