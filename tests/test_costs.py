"""The cost table: cited defaults, overrides by name, errors that name the key."""

from __future__ import annotations

import dataclasses
import re

import pytest

from rthv.hv.costs import SOURCES, CostError, CostTable


def test_defaults_equal_the_cited_figures() -> None:
    """Published figures are used as they stand; derived ones follow the stated arithmetic."""
    table = CostTable()
    assert table.trap_entry_exit == 27  # ASPLOS 2014: Trap, Cortex-A15
    assert table.world_switch == 8799  # ISCA 2016: VM Switch, Xen ARM
    assert table.lr_injection == 181  # ISCA 2016: VGIC registers restore
    assert table.hypercall == 376 - 27  # ISCA 2016 Xen ARM Hypercall less the bare trap
    assert table.gicd_emulation == 1356 - 27  # Interrupt Controller Trap less the bare trap
    assert table.irq_entry == (376 - 27) + 427  # software trap path + EOI+ACK
    assert table.maintenance == 3250 + 181  # VGIC registers save + restore


def test_every_cost_has_a_source_that_shows_its_number() -> None:
    """Each field is cited; its figure quotes the default or its arithmetic gives it."""
    table = CostTable()
    assert set(SOURCES) == set(CostTable.names())
    for name, source in SOURCES.items():
        value = getattr(table, name)
        assert source.citation and source.figure and source.derivation
        if source.derivation.startswith("used as published"):
            assert f"= {value} cycles" in source.figure
        else:
            arithmetic = source.derivation.split(":")[0]
            assert re.fullmatch(r"[\d ()+-]+", arithmetic), arithmetic
            assert eval(arithmetic, {"__builtins__": {}}) == value


def test_overrides_replace_only_the_named_costs() -> None:
    """with_overrides returns a new table; the original is untouched."""
    table = CostTable()
    cheaper = table.with_overrides({"world_switch": 1000, "hypercall": 0})
    assert cheaper.world_switch == 1000 and cheaper.hypercall == 0
    assert cheaper.trap_entry_exit == table.trap_entry_exit
    assert table.world_switch == 8799
    assert table.with_overrides({}) == table


def test_unknown_cost_names_are_errors() -> None:
    """An unknown key is named, with the list of known ones."""
    with pytest.raises(CostError, match=r"^coffee: unknown cost; known costs: trap_entry_exit"):
        CostTable().with_overrides({"coffee": 3})


@pytest.mark.parametrize("value", [-1, 2.5, True, "fast"])
def test_bad_values_are_errors(value: object) -> None:
    """Negative or non-integer cycle counts name the key."""
    with pytest.raises(CostError, match=r"^lr_injection: must"):
        CostTable().with_overrides({"lr_injection": value})


def test_table_is_frozen_and_listed_by_name() -> None:
    """The table cannot be changed in place; as_dict lists every cost in table order."""
    table = CostTable()
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.world_switch = 1  # type: ignore[misc]
    assert list(table.as_dict()) == list(CostTable.names())
    assert table.as_dict()["irq_entry"] == 776
