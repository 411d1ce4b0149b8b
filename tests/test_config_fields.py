"""Configuration value types: sizes, names, addresses; sections refuse unknown keys."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rthv.hv.config.fields import ConfigError, Name, PhysAddress, Size, whole_number
from rthv.hv.config.vm_model import Section


class Probe(Section):
    size: Size = 4096
    name: Name = "a"
    pa: PhysAddress = "auto"


@pytest.mark.parametrize(("text", "size"), [("16M", 16 << 20), ("8 KiB", 8192), (4096, 4096)])
def test_sizes_take_units(text: object, size: int) -> None:
    """A number of bytes, or a number with K, M or G (KiB and MB spellings too)."""
    assert Probe.model_validate({"size": text}).size == size


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"size": "0x1800"}, "bad size '0x1800': use bytes or a number with K, M or G"),
        ({"size": 0x1800}, "size 0x1800 is not a positive multiple of 4 KiB"),
        ({"name": "2fast"}, "'2fast' is not a simple name"),
        ({"pa": "high"}, "must be an integer address or \"auto\", not 'high'"),
        ({"colour": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_values_are_named(fields: dict[str, object], complaint: str) -> None:
    """Each value type says what it wanted; an unknown key is refused."""
    with pytest.raises(ValidationError) as caught:
        Probe.model_validate(fields)
    assert complaint in str(caught.value)


def test_a_whole_number_may_have_a_maximum() -> None:
    """Both bounds are kept and named (a CPU clock must fit the engine's 64 bits)."""
    assert whole_number(7, "a count", 1, 7) == 7
    with pytest.raises(ValueError, match="must be a count <= 7, got 8"):
        whole_number(8, "a count", 1, 7)
    with pytest.raises(ValueError, match="must be a count >= 1, got 0"):
        whole_number(0, "a count", 1, 7)


def test_a_section_is_frozen_and_a_config_error_is_one_line() -> None:
    """Models cannot be changed after validation; messages never span lines."""
    probe = Probe()
    with pytest.raises(ValidationError):
        probe.size = 8192
    assert str(ConfigError("vm[0]:\n  bad size")) == "vm[0]:   bad size"
    assert Probe.model_validate({"pa": 0x8000_0000}).pa == 0x8000_0000
