"""The system sections: shared memory, channels, scheduler; what loading records on the result."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rthv.hv.config.fields import ConfigError
from rthv.hv.config.model import SharedMemory, SystemConfig, board_named

VM = {
    "name": "a",
    "image": [{"path": "a.bin", "load_ipa": 0}],
    "memory": [{"ipa": 0, "size": 4096}],
}


def test_an_unloaded_model_has_no_placements_and_names_its_vms() -> None:
    """Validated alone (not loaded), the model has no placements yet; ``vm`` finds by name."""
    config = SystemConfig.model_validate({"board": "virt", "vm": [VM], "cpi": "3/2"})
    assert config.vm("a").name == "a" and str(config.cpi) == "3/2"
    assert config.scheduler.policy.resolved() == "round-robin"
    with pytest.raises(KeyError):
        config.vm("b")
    with pytest.raises(RuntimeError, match="computed when the configuration is loaded"):
        _ = config.placements


def test_a_shared_memory_view_stays_inside_the_ipa_space() -> None:
    """A view ending past 4 GiB is refused; so is a misaligned physical base."""
    with pytest.raises(ValidationError, match="view\\[0\\] ends beyond the 4 GiB IPA space"):
        SharedMemory.model_validate(
            {"name": "buf", "size": "8K", "view": [{"vm": "a", "ipa": 0xFFFF_F000}]}
        )
    with pytest.raises(ValidationError, match="pa 0x800 is not 4 KiB aligned"):
        SharedMemory.model_validate(
            {"name": "buf", "size": "4K", "pa": 0x800, "view": [{"vm": "a", "ipa": 0}]}
        )


def test_a_board_is_loaded_once_and_an_unknown_one_is_a_config_error() -> None:
    """The same description object each time; an unknown name says so in one line."""
    assert board_named("virt") is board_named("virt")
    with pytest.raises(ConfigError, match="board: "):
        board_named("no-such-board")
