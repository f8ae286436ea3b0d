"""Kubernetes resource.Quantity: parsing, canonical printing, integer views and error wording.

Expected values come from Kubernetes' own rules (kubernetes notes §3) and, where marked ``[k8s test]``,
from upstream's quantity_test.go tables (TestQuantityParse, TestQuantityString, TestQuantityParseEmit).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from pytest_simarena.errors import QuantityError, SimArenaError
from pytest_simarena.quantities import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    ERR_FORMAT,
    ERR_NUMERIC,
    ERR_SUFFIX,
    Quantity,
    canonical,
    format_cpu,
    format_memory,
    is_quantity,
    parse,
    parse_cpu,
    parse_memory,
    parse_quantity,
)

Ki, Mi, Gi, Ti, Pi, Ei = (1024**n for n in range(1, 7))
F = Fraction

# (input, exact value, canonical String(), format family)
PARSE_CASES: list[tuple[str, Fraction, str, str]] = [
    # every decimal suffix
    ("5n", F(5, 10**9), "5n", DECIMAL_SI),  # [k8s test]
    ("4u", F(4, 10**6), "4u", DECIMAL_SI),  # [k8s test]
    ("3m", F(3, 1000), "3m", DECIMAL_SI),  # [k8s test]
    ("9", F(9), "9", DECIMAL_SI),
    ("8k", F(8000), "8k", DECIMAL_SI),
    ("50k", F(50000), "50k", DECIMAL_SI),  # [k8s test]
    ("7M", F(7 * 10**6), "7M", DECIMAL_SI),
    ("6G", F(6 * 10**9), "6G", DECIMAL_SI),
    ("5T", F(5 * 10**12), "5T", DECIMAL_SI),
    ("2P", F(2 * 10**15), "2P", DECIMAL_SI),
    ("1E", F(10**18), "1E", DECIMAL_SI),  # E alone is exa
    ("12E", F(12 * 10**18), "12E", DECIMAL_SI),  # [k8s test]
    # every binary suffix
    ("1Ki", F(Ki), "1Ki", BINARY_SI),
    ("7Mi", F(7 * Mi), "7Mi", BINARY_SI),
    ("6Gi", F(6 * Gi), "6Gi", BINARY_SI),
    ("5Ti", F(5 * Ti), "5Ti", BINARY_SI),
    ("4Pi", F(4 * Pi), "4Pi", BINARY_SI),
    ("3Ei", F(3 * Ei), "3Ei", BINARY_SI),
    # exponent forms
    ("1e3", F(1000), "1e3", DECIMAL_EXPONENT),
    ("12E6", F(12 * 10**6), "12E6", DECIMAL_EXPONENT),  # kept verbatim: already canonical digits
    ("1E-3", F(1, 1000), "1E-3", DECIMAL_EXPONENT),  # [k8s test] value; kept verbatim
    ("1.3E+6", F(13 * 10**5), "1300e3", DECIMAL_EXPONENT),  # [k8s test] value
    ("15e2", F(1500), "1500", DECIMAL_EXPONENT),
    ("0.5e-2", F(5, 1000), "5e-3", DECIMAL_EXPONENT),  # [k8s test] value
    # the canonical printing rules of the issue and the Quantity doc comment
    ("1.5", F(3, 2), "1500m", DECIMAL_SI),
    ("1.5Gi", F(3 * Gi, 2), "1536Mi", BINARY_SI),
    ("0.5Gi", F(Gi, 2), "512Mi", BINARY_SI),
    ("1024Mi", F(Gi), "1Gi", BINARY_SI),  # [k8s test] ParseEmit
    ("1000M", F(10**9), "1G", DECIMAL_SI),  # [k8s test] ParseEmit
    ("1000m", F(1), "1", DECIMAL_SI),
    ("0.5", F(1, 2), "500m", DECIMAL_SI),
    ("2000Mi", F(2000 * Mi), "2000Mi", BINARY_SI),
    ("1080m", F(108, 100), "1080m", DECIMAL_SI),  # [k8s test] String
    ("1.08", F(108, 100), "1080m", DECIMAL_SI),  # [k8s test] alternate
    ("1000u", F(1, 1000), "1m", DECIMAL_SI),  # [k8s test] alternate
    ("307200Ki", F(300 * Mi), "300Mi", BINARY_SI),  # [k8s test] alternate
    ("1025024Mi", F(1001 * Gi), "1001Gi", BINARY_SI),  # [k8s test] alternate
    ("0.001T", F(10**9), "1G", DECIMAL_SI),  # [k8s test] alternate
    # BinarySI below 1024 bytes or with fractional bytes prints as DecimalSI [src CanonicalizeBytes]
    ("1.1Ki", F(11264, 10), "1126400m", BINARY_SI),
    (".001Ki", F(1024, 1000), "1024m", BINARY_SI),  # [k8s test] ParseEmit
    (".000001Ki", F(1024, 10**6), "1024u", DECIMAL_SI),  # [k8s test] ParseEmit; below 1: DecimalSI
    ("0.5Ki", F(512), "512", BINARY_SI),
    ("0.5Mi", F(Mi, 2), "512Ki", BINARY_SI),  # [k8s test] value
    ("100.035Ki", F(10243584, 100), "102435840m", BINARY_SI),  # [k8s test] value
    # signs and the number forms `.5` and `5.`
    ("-1.5", F(-3, 2), "-1500m", DECIMAL_SI),
    ("-1.5Gi", F(-3 * Gi, 2), "-1536Mi", BINARY_SI),
    ("+1", F(1), "+1", DECIMAL_SI),  # the fast path keeps the input string verbatim
    (".5", F(1, 2), "500m", DECIMAL_SI),
    ("5.", F(5), "5.", DECIMAL_SI),  # likewise verbatim (quantity.go: canonical-form string reuse)
    ("1.G", F(10**9), "1.G", DECIMAL_SI),  # [k8s test] "written by trolls"
    (".0001k", F(1, 10), "100m", DECIMAL_SI),  # [k8s test]
    # zero, in any spelling, prints "0"
    ("0", F(0), "0", DECIMAL_SI),
    ("0m", F(0), "0", DECIMAL_SI),
    ("0Gi", F(0), "0", BINARY_SI),
    ("-0", F(0), "0", DECIMAL_SI),
    ("00", F(0), "0", DECIMAL_SI),
    ("0.000", F(0), "0", DECIMAL_SI),
    # sub-nano values round up (away from zero) to the next 1n at parse
    ("0.1m", F(1, 10000), "100u", DECIMAL_SI),  # stays 100u: rounding happens at MilliValue
    ("3.001n", F(4, 10**9), "4n", DECIMAL_SI),  # [k8s test]
    ("0.0000000001", F(1, 10**9), "1n", DECIMAL_SI),  # [k8s test]
    ("0.00000012345", F(124, 10**9), "124n", DECIMAL_SI),  # [k8s test]
    ("1.1E-9", F(2, 10**9), "2e-9", DECIMAL_EXPONENT),  # [k8s test]
    ("0.000000000001Ki", F(2, 10**9), "2n", DECIMAL_SI),  # [k8s test] rounds up, changes format
    ("-1e-10", F(-1, 10**9), "-1e-9", DECIMAL_EXPONENT),
    ("1e-2147483647", F(1, 10**9), "1e-9", DECIMAL_EXPONENT),  # extreme exponent, no hang
    # BinarySI values are capped at 2^63-1 [k8s test]
    ("9Ei", F(2**63 - 1), "9223372036854775807", BINARY_SI),
    ("9223372036854775807Ki", F(2**63 - 1), "9223372036854775807", BINARY_SI),
    # DecimalSI has no suffix beyond E: exponent notation, not a dropped magnitude [k8s test, current]
    ("1000E", F(10**21), "1e21", DECIMAL_SI),
    ("5000E", F(5 * 10**21), "5e21", DECIMAL_SI),
    # whitespace around the text is trimmed as UnmarshalJSON trims it
    ("  250m\n", F(1, 4), "250m", DECIMAL_SI),
]


@pytest.mark.parametrize(("text", "value", "printed", "fmt"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse_and_canonical_follow_kubernetes(text: str, value: Fraction, printed: str, fmt: str) -> None:
    q = parse(text)
    assert q.value == value
    assert q.format == fmt
    assert parse_quantity(text) == value
    assert canonical(text) == printed
    # Canonical text is a fixed point and denotes the same value.
    assert canonical(printed) == printed
    assert parse_quantity(printed) == value


def test_table_is_large_enough() -> None:
    assert len(PARSE_CASES) >= 40


@pytest.mark.parametrize(
    ("text", "millicores", "num_bytes"),
    [
        ("1", 1000, 1),
        ("1.5", 1500, 2),  # Value() rounds up: memory "1.5" is 2 bytes
        ("0.0001", 1, 1),  # MilliValue() rounds up: 0.1m is 1m for the scheduler
        ("100m", 100, 1),
        ("1n", 1, 1),
        ("16", 16000, 16),
        ("15.6", 15600, 16),
        ("32Gi", 32 * Gi * 1000, 32 * Gi),
        ("1.5Gi", 1536 * Mi * 1000, 1536 * Mi),
        ("-1.5", -1500, -2),  # away from zero
        ("-0.0001", -1, -1),
        ("0", 0, 0),
    ],
)
def test_milli_value_and_value_round_up_away_from_zero(text: str, millicores: int, num_bytes: int) -> None:
    assert parse_cpu(text) == millicores
    assert parse_memory(text) == num_bytes
    q = parse(text)
    assert (q.milli_value, q.int_value) == (millicores, num_bytes)


@pytest.mark.parametrize(
    ("number", "value", "printed"),
    [
        (2, F(2), "2"),
        (0, F(0), "0"),
        (-3, F(-3), "-3"),
        (0.5, F(1, 2), "500m"),
        (1.5, F(3, 2), "1500m"),
        (0.0001, F(1, 10000), "100u"),
        (1e16, F(10**16), "10e15"),  # a JSON number 1e+16 is DecimalExponent
        (2.0, F(2), "2"),
        (16, F(16), "16"),
    ],
)
def test_json_numbers_parse_like_their_text(number: float, value: Fraction, printed: str) -> None:
    assert parse_quantity(number) == value
    assert canonical(number) == printed


@pytest.mark.parametrize(
    ("millicores", "printed"),
    [(1500, "1500m"), (16000, "16"), (500, "500m"), (0, "0"), (1, "1m"), (16500, "16500m"), (-250, "-250m")],
)
def test_format_cpu_prints_decimal_si(millicores: int, printed: str) -> None:
    assert format_cpu(millicores) == printed
    assert parse_cpu(printed) == millicores


@pytest.mark.parametrize(
    ("num_bytes", "printed"),
    [
        (1536 * Mi, "1536Mi"),
        (32 * Gi, "32Gi"),
        (Gi, "1Gi"),
        (256 * Mi, "256Mi"),
        (4 * Mi, "4Mi"),
        (0, "0"),
        (1000, "1k"),  # below 1024 bytes: DecimalSI, as NewQuantity(1000, BinarySI).String() prints
        (512, "512"),
        (1025, "1025"),  # not a multiple of 1024: plain integer
        (2000, "2000"),  # [k8s test] TestBinarySIZeroExponentString
        (1500 * 1024, "1500Ki"),
        (1500 * 1000, "1500000"),
        (-Gi, "-1Gi"),
    ],
)
def test_format_memory_prints_binary_si(num_bytes: int, printed: str) -> None:
    assert format_memory(num_bytes) == printed
    assert parse_memory(printed) == num_bytes


def test_format_rejects_non_integers() -> None:
    with pytest.raises(TypeError):
        format_cpu(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_memory(True)


def test_quantity_value_type_is_frozen_and_prints_canonically() -> None:
    q = Quantity(F(3, 2))
    assert str(q) == "1500m"
    assert str(Quantity(F(3 * Gi, 2), BINARY_SI)) == "1536Mi"
    assert str(Quantity(F(10**9), DECIMAL_EXPONENT)) == "1e9"
    with pytest.raises(AttributeError):
        q.value = F(1)  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown quantity format"):
        Quantity(F(1), "Binary")


FORMAT_WORDING = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def test_error_constants_are_kubernetes_wording() -> None:
    assert ERR_FORMAT == FORMAT_WORDING
    assert ERR_SUFFIX == "unable to parse quantity's suffix"
    assert ERR_NUMERIC == "unable to parse numeric part of quantity"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12 cores", FORMAT_WORDING),
        ("", FORMAT_WORDING),
        ("1GB", FORMAT_WORDING),  # B is outside the suffix alphabet
        ("1Mb", FORMAT_WORDING),
        ("1.1.M", FORMAT_WORDING),  # [k8s test] invalid
        ("1+1.0M", FORMAT_WORDING),  # [k8s test] invalid
        ("aoeu", FORMAT_WORDING),  # [k8s test] invalid
        ("1 Gi", FORMAT_WORDING),
        ("1e3Ki", FORMAT_WORDING),
        ("1K", ERR_SUFFIX),  # capital K is not a suffix; upstream does not case-correct
        ("1mi", ERR_SUFFIX),
        ("0.1mi", ERR_SUFFIX),  # [k8s test] invalid
        ("1Mm", ERR_SUFFIX),
        ("1e", ERR_SUFFIX),
        ("1i", ERR_SUFFIX),  # [k8s test] invalid
        (".5i", ERR_SUFFIX),  # [k8s test] invalid
        ("-3.01e-", ERR_SUFFIX),  # [k8s test] invalid
        ("1e4294967297", ERR_SUFFIX),  # [k8s test] exponent outside int32
        ("1Ee3", ERR_SUFFIX),
        ("e-10", ERR_NUMERIC),  # no digit at all on inf.Dec's path
        (".e-10", ERR_NUMERIC),
        ("Ei", ERR_NUMERIC),
    ],
)
def test_errors_name_the_string_and_use_kubernetes_wording(text: str, reason: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity(text)
    assert str(info.value) == f'"{text}" is not a Kubernetes quantity ({reason})'
    assert isinstance(info.value, SimArenaError)
    assert not is_quantity(text)


@pytest.mark.parametrize("value", [None, [1], {"cpu": 1}, True])
def test_non_quantity_types_raise_quantity_error(value: object) -> None:
    with pytest.raises(QuantityError, match="is not a Kubernetes quantity"):
        parse_quantity(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_fail_the_regular_expression(value: float) -> None:
    with pytest.raises(QuantityError, match="regular expression"):
        parse_cpu(value)


def test_scanner_oddities_match_kubernetes() -> None:
    # parseQuantityString accepts a bare sign, a bare point and a bare small suffix as zero.
    for text in ("-", "+", ".", "-.", "m", "Ki", "E"):
        assert parse_quantity(text) == 0, text
        assert canonical(text) == "0"


def test_absurd_magnitudes_are_refused_quickly_with_a_clear_message() -> None:
    with pytest.raises(QuantityError, match=r'"1e200" is not a supported quantity \(magnitude of 1e100'):
        parse_quantity("1e200")
    with pytest.raises(QuantityError, match="magnitude"):
        parse_quantity("1e2147483647")
    with pytest.raises(QuantityError, match="more than 1000 digits") as info:
        parse_quantity("1" * 5000)
    assert len(str(info.value)) < 200  # the message stays one readable line
    assert parse_quantity("0e2147483647") == 0
    assert canonical("9e99") == "9e99"
