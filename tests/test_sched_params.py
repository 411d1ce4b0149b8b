"""Reading scheduling parameters: typed, bounded, and nothing unknown slips through."""

from __future__ import annotations

import pytest

from rthv.hv.scheduling.errors import PolicyParameterError
from rthv.hv.scheduling.params import ParamReader, check_integer


def test_values_are_read_by_type_within_bounds() -> None:
    """Integers in range, an optional one absent, a string; ``finish`` then passes."""
    reader = ParamReader({"period": 10, "name": "rt"}, "edf")
    assert reader.integer("period", minimum=1) == 10
    assert reader.optional_integer("budget") is None
    assert reader.string("name") == "rt"
    reader.finish()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "expected an integer, got True"),
        (0, "must be >= 1, got 0"),
        (9, "must be <= 8, got 9"),
    ],
)
def test_a_bad_integer_names_the_parameter(value: object, problem: str) -> None:
    """Bools are not integers; bounds are checked; the message says where."""
    with pytest.raises(PolicyParameterError) as caught:
        check_integer(value, "edf: slots", "slots", minimum=1, maximum=8)
    assert str(caught.value) == f"edf: slots: {problem}"
    assert (caught.value.parameter, caught.value.problem) == ("slots", problem)


def test_a_misspelt_required_key_is_reported_as_the_misspelling() -> None:
    """ "perod" for "period": the report points at the key that was written."""
    with pytest.raises(
        PolicyParameterError, match='perod: unknown parameter of edf \\(did you mean "period"\\?\\)'
    ):
        ParamReader({"perod": 10}, "edf").integer("period")


def test_a_missing_key_and_an_unknown_key_are_refused() -> None:
    """Nothing close: "missing (required)"; a key no reader took fails at ``finish``."""
    with pytest.raises(PolicyParameterError, match="edf: period: missing \\(required\\)"):
        ParamReader({}, "edf").integer("period")
    reader = ParamReader({"period": 5, "colour": "red"}, "edf")
    reader.integer("period")
    with pytest.raises(
        PolicyParameterError, match="unknown parameter 'colour' \\(accepted: period\\)"
    ):
        reader.finish()
