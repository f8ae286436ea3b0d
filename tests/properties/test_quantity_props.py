"""Quantity properties (kubernetes notes §3): canonical printing is a fixed point that keeps the value,
integer views round up, the strategies stay in their bounds, and arbitrary text never escapes as anything
but QuantityError. An independent oracle (decimal arithmetic over the documented grammar) checks values.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.errors import QuantityError
from pytest_simarena.quantities import (
    BINARY_SI,
    DECIMAL_SI,
    _render,
    canonical,
    format_cpu,
    format_memory,
    parse_cpu,
    parse_memory,
    parse_quantity,
)
from pytest_simarena.strategies import cpu_millicores, memory_bytes, quantities

SETTINGS = settings(max_examples=300, deadline=None)

KINDS = st.sampled_from(["cpu", "memory"])


@SETTINGS
@given(data=st.data(), kind=KINDS)
def test_canonical_is_a_fixed_point_that_keeps_the_value(data: st.DataObject, kind: str) -> None:
    text = data.draw(quantities(kind))  # type: ignore[arg-type]
    printed = canonical(text)
    again = canonical(printed)
    # Kubernetes' own quirk (quantity.go CanonicalizeBytes): whole bytes that are not a multiple of 1024 print
    # as plain digits, which re-parse as DecimalSI ("4882.8125Ki" -> "5000000" -> "5M"); apart from that
    # case the first print is already the fixed point, and the second always is.
    if not printed.lstrip("-").isdigit():
        assert again == printed
    assert canonical(again) == again
    assert parse_quantity(again) == parse_quantity(printed) == parse_quantity(text)
    assert parse_cpu(printed) == parse_cpu(text)
    assert parse_memory(printed) == parse_memory(text)


@SETTINGS
@given(data=st.data(), kind=KINDS, bounds=st.tuples(st.integers(0, 40_000), st.integers(0, 40_000)))
def test_generated_quantities_stay_within_their_bounds(
    data: st.DataObject, kind: str, bounds: tuple[int, int]
) -> None:
    low, high = sorted(bounds)
    if kind == "memory":
        low, high = low * 1024 * 1024, high * 1024 * 1024
    text = data.draw(quantities(kind, low, high))  # type: ignore[arg-type]
    value = parse_cpu(text) if kind == "cpu" else parse_memory(text)
    assert low <= value <= high, text


@SETTINGS
@given(millicores=st.one_of(cpu_millicores(), st.integers(-(10**15), 10**15)))
def test_format_cpu_round_trips_and_is_canonical(millicores: int) -> None:
    printed = format_cpu(millicores)
    assert parse_cpu(printed) == millicores
    assert canonical(printed) == printed
    assert "." not in printed  # Kubernetes never prints fractional digits


@SETTINGS
@given(num_bytes=st.one_of(memory_bytes(), st.integers(-(2**62), 2**62)))
def test_format_memory_round_trips_and_is_canonical(num_bytes: int) -> None:
    printed = format_memory(num_bytes)
    assert parse_memory(printed) == num_bytes
    assert "." not in printed
    if num_bytes % 1024 == 0 or abs(num_bytes) < 1024:
        assert canonical(printed) == printed
    else:
        # A BinarySI value without a binary suffix prints as a plain integer ("2000"), which Kubernetes
        # reads back as DecimalSI and so prints as "2k": the family is not part of the text.
        assert canonical(printed) == format_cpu(num_bytes * 1000)


@SETTINGS
@given(data=st.data(), kind=KINDS)
def test_integer_views_are_the_ceiling_of_the_exact_value(data: st.DataObject, kind: str) -> None:
    text = data.draw(quantities(kind, 0))  # type: ignore[arg-type]
    exact = parse_quantity(text)
    assert parse_cpu(text) == math.ceil(exact * 1000)
    assert parse_memory(text) == math.ceil(exact)


# The documented grammar (quantity.go doc comment), evaluated independently with Fraction arithmetic.
GRAMMAR = re.compile(
    r"([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?"
)
MULTIPLIERS = {
    **{s: Fraction(1024) ** (i + 1) for i, s in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    **{s: Fraction(1000) ** (i + 1) for i, s in enumerate(("k", "M", "G", "T", "P", "E"))},
}


def oracle(text: str) -> Fraction:
    match = GRAMMAR.fullmatch(text)
    assert match is not None
    sign, number, suffix = match.group(1), match.group(2), match.group(3) or ""
    if suffix in MULTIPLIERS:
        multiplier = MULTIPLIERS[suffix]
    else:
        multiplier = Fraction(10) ** int(suffix[1:])
    value = Fraction(number) * multiplier
    if value:
        value = Fraction(math.ceil(value * 10**9), 10**9)  # round up to 1n (inf.RoundUp at Nano)
    if suffix.endswith("i"):
        value = min(value, Fraction(2**63 - 1))  # BinarySI cap
    return -value if sign == "-" else value


GRAMMAR_TEXT = st.from_regex(
    r"\A[+-]?([0-9]{1,6}(\.[0-9]{0,4})?|\.[0-9]{1,6})(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]{1,2})?\Z"
)


@SETTINGS
@given(text=GRAMMAR_TEXT)
def test_every_grammatical_quantity_parses_to_the_oracle_value(text: str) -> None:
    expected = oracle(text)
    if abs(expected) >= 10**100:
        # The module's documented deviation: such magnitudes are refused rather than carried around.
        with pytest.raises(QuantityError, match="not a supported quantity"):
            parse_quantity(text)
        return
    assert parse_quantity(text) == expected
    printed = canonical(text)
    assert parse_quantity(printed) == oracle(text)
    assert canonical(printed) == printed


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="0123456789.+-eEinumkKMGTPBb x", max_size=12))
def test_arbitrary_text_parses_or_raises_quantity_error(text: str) -> None:
    try:
        value = parse_quantity(text)
    except QuantityError as exc:
        message = str(exc)
        assert "is not a" in message and "\n" not in message
        return
    printed = canonical(text)
    assert parse_quantity(printed) == value
    assert canonical(printed) == printed


@SETTINGS
@given(number=st.one_of(st.integers(-(10**12), 10**12), st.floats(-1e12, 1e12, allow_nan=False)))
def test_json_numbers_equal_their_decimal_text(number: float) -> None:
    exact = Fraction(repr(number)) if isinstance(number, float) else Fraction(number)
    # Digits finer than 1n round up, away from zero, like any other quantity.
    expected = Fraction(math.ceil(abs(exact) * 10**9), 10**9) * (1 if exact >= 0 else -1)
    assert parse_quantity(number) == expected


@SETTINGS
@given(
    values=st.lists(
        st.one_of(
            st.integers(-(10**12), 10**12),
            st.builds(Fraction, st.integers(-(10**12), 10**12), st.sampled_from([1, 2, 4, 5, 8, 10, 1000])),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_remembered_texts_are_the_rendered_ones(values: list[int | Fraction]) -> None:
    """format_cpu/format_memory remember their texts by value: every call, first or repeated, an int or
    the equal Fraction, prints what rendering the value afresh prints; bools are still refused."""
    for value in [*values, *values, *(Fraction(v) for v in values)]:
        assert format_cpu(value) == _render(Fraction(value) / 1000, DECIMAL_SI)
        assert format_memory(value) == _render(Fraction(value), BINARY_SI)
    for flag in (True, False):
        with pytest.raises(TypeError):
            format_cpu(flag)
        with pytest.raises(TypeError):
            format_memory(flag)
