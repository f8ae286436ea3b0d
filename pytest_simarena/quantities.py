"""Kubernetes ``resource.Quantity``: exact parsing, canonical printing, the integers the scheduler uses.

Follows ``k8s.io/apimachinery/pkg/api/resource`` (quantity.go, suffix.go, amount.go; notes: kubernetes.md §3):

* the same hand-written scanner as ``parseQuantityString`` (so odd inputs such as ``5.``, ``.5``, ``+1``,
  ``1.G`` are accepted exactly when Kubernetes accepts them) and the same three error messages;
* values are exact (:class:`fractions.Fraction`), rounded up to 1n at parse like ``inf.RoundUp`` at Nano
  scale, BinarySI values capped at 2^63-1;
* ``String()``: a string already in canonical form is echoed verbatim (ParseQuantity's cached ``s``),
  otherwise the largest exact suffix in the original family (DecimalSI, BinarySI, DecimalExponent);
  BinarySI values below 1024 or with fractional bytes print as DecimalSI (CanonicalizeBytes); DecimalSI
  beyond ``E`` falls back to exponent notation as current upstream does;
* ``MilliValue()``/``Value()`` round up, away from zero (:func:`parse_cpu`, :func:`parse_memory`).

Deviation: values of magnitude 1e100 or more, or written with more than 1000 digits, raise
:class:`QuantityError` (Kubernetes would accept and then saturate them at int64); exact Python integers of
that size would only make every message that prints them unreadable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from pytest_simarena.bounded import BoundedDict

from .errors import QuantityError

__all__ = [
    "BINARY_SI",
    "DECIMAL_EXPONENT",
    "DECIMAL_SI",
    "ERR_FORMAT",
    "ERR_NUMERIC",
    "ERR_SUFFIX",
    "QUANTITY_REGEX",
    "Quantity",
    "canonical",
    "format_cpu",
    "format_memory",
    "is_quantity",
    "parse",
    "parse_cpu",
    "parse_memory",
    "parse_quantity",
]

# The three format families (quantity.go `Format`).
DECIMAL_EXPONENT = "DecimalExponent"
BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"

# Exact error texts (quantity.go ErrFormatWrong, ErrNumeric, ErrSuffix).
QUANTITY_REGEX = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT = f"quantities must match the regular expression '{QUANTITY_REGEX}'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

_DIGITS = frozenset("0123456789")
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
# suffix.go newSuffixer: decimal suffixes (base 10) and binary suffixes (base 2).
_DEC_SUFFIXES: dict[str, int] = {
    "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
}  # fmt: skip
_BIN_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DEC_BY_EXPONENT = {exp: suffix for suffix, exp in _DEC_SUFFIXES.items()}
_BIN_BY_EXPONENT = {exp: suffix for suffix, exp in _BIN_SUFFIXES.items()}

_MAX_INT64 = 2**63 - 1  # maxAllowed: the BinarySI cap and the int64 fast-path bound
_MAX_INT32 = 2**31 - 1  # interpret() rejects exponents outside [-MaxInt32, MaxInt32]
_NANO = Fraction(1, 10**9)
_MAX_MAGNITUDE_DIGITS = 100  # deviation (module docstring): |value| < 1e100
_MAX_INPUT_DIGITS = 1000


class _ParseFailure(Exception):
    """Internal: one of Kubernetes' three parse errors (message is the Kubernetes text)."""


@dataclass(frozen=True, slots=True)
class _Scanned:
    positive: bool
    value: str  # the numeric text as written (sign, leading zeros, point), no suffix
    num: str  # integer digits without leading zeros ("0" when none)
    denom: str  # fractional digits as written
    suffix: str


def _scan(text: str) -> _Scanned:
    """Port of quantity.go ``parseQuantityString``: split sign, number and suffix without a regex."""
    positive = True
    pos = 0
    end = len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    # Leading zeros are dropped; a string of only zeros (or only a sign) is zero.
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return _Scanned(positive, "0", "0", "", "")
    i = pos
    while i < end and text[i] in _DIGITS:
        i += 1
    if i >= end:
        return _Scanned(positive, text, text[pos:], "", "")
    num = text[pos:i] or "0"
    pos = i
    denom = ""
    if text[pos] == ".":
        pos += 1
        i = pos
        while i < end and text[i] in _DIGITS:
            i += 1
        if i >= end:
            return _Scanned(positive, text, num, text[pos:], "")
        denom = text[pos:i]
        pos = i
    value = text[:pos]
    suffix_start = pos
    i = pos
    while i < end and text[i] in _SUFFIX_CHARS:
        i += 1
    if i >= end:
        return _Scanned(positive, value, num, denom, text[suffix_start:])
    pos = i
    if text[pos] in "+-":
        pos += 1
    i = pos
    while i < end and text[i] in _DIGITS:
        i += 1
    if i >= end:
        return _Scanned(positive, value, num, denom, text[suffix_start:])
    # A character that is neither a suffix letter nor an exponent digit.
    raise _ParseFailure(ERR_FORMAT)


def _go_parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: optional sign, then ASCII digits only."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or any(c not in _DIGITS for c in digits):
        return None
    number = int(text)
    if not -(2**63) <= number <= _MAX_INT64:
        return None
    return number


def _interpret(suffix: str) -> tuple[int, int, str]:
    """suffix.go ``interpret``: (base, exponent, format) of a suffix, or ErrSuffix.

    Upstream does not case-correct suffixes (``1K``, ``1mi`` fail; notes §3 warning about suffix.go).
    """
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent = _go_parse_int(suffix[1:])
        # Current upstream rejects exponents outside the int32 scale instead of truncating them.
        if exponent is not None and -_MAX_INT32 <= exponent <= _MAX_INT32:
            return 10, exponent, DECIMAL_EXPONENT
    raise _ParseFailure(ERR_SUFFIX)


def _unsupported(text: str, why: str) -> QuantityError:
    return QuantityError(f"{_quote(text)} is not a supported quantity ({why})")


def _check_size(text: str, num: str, denom: str, base: int, exponent: int) -> None:
    """Reject values this module will not represent exactly (deviation, see the module docstring)."""
    if len(num) + len(denom) > _MAX_INPUT_DIGITS:
        raise _unsupported(text, f"more than {_MAX_INPUT_DIGITS} digits")
    if num != "0":
        integer_digits = len(num)
    elif denom.strip("0"):
        integer_digits = -(len(denom) - len(denom.lstrip("0")))
    else:
        return  # zero
    integer_digits += exponent if base == 10 else exponent * 3 // 10 + 1
    if integer_digits > _MAX_MAGNITUDE_DIGITS:
        raise _unsupported(text, f"magnitude of 1e{_MAX_MAGNITUDE_DIGITS} or more")


def _exact_value(digits: str, frac_len: int, base: int, exponent: int) -> Fraction:
    """``int(digits) / 10**frac_len * base**exponent``, with far-below-1n values shortened."""
    mantissa = int(digits)
    if mantissa == 0:
        return Fraction(0)
    scale = -frac_len + (exponent if base == 10 else 0)
    if scale < -(len(digits) + 12):
        # Far below 1n: any such value rounds up to 1n at parse, so the exact tiny value does not matter.
        scale = -(len(digits) + 12)
    value = Fraction(mantissa) * Fraction(10) ** scale
    if base == 2:
        value *= 2**exponent
    return value


@lru_cache(maxsize=8192)  # Quantity is immutable; episode steps parse the same few strings over and over
def _parse(text: str) -> Quantity:
    """quantity.go ``ParseQuantity`` (value, format and the cached canonical string)."""
    if not text:
        raise _ParseFailure(ERR_FORMAT)
    if text == "0":
        return Quantity(Fraction(0), DECIMAL_SI, "0")
    scanned = _scan(text)
    base, exponent, fmt = _interpret(scanned.suffix)
    num, denom = scanned.num, scanned.denom
    sign = 1 if scanned.positive else -1
    _check_size(text, num, denom, base, exponent)

    # Fast path (int64 arithmetic). Only here does Kubernetes keep the input string as the canonical form.
    if fmt == BINARY_SI:
        scale = 0
        mantissa = 1 << exponent
        # int32(float32(exponent)*3/10) is exact for the multiples of 10 used by binary suffixes.
        precision = 15 - len(num) - exponent * 3 // 10 - 1 if not denom else -1
    else:
        scale = exponent
        mantissa = 1
        precision = 18 - (len(num) + len(denom))
    if precision >= 0:
        scale -= len(denom)
        if scale >= -9:
            shifted = num + denom
            unscaled = int(shifted)
            result = unscaled * mantissa
            if result <= _MAX_INT64:
                cached: str | None = None
                if fmt == BINARY_SI:
                    if unscaled & 0x07:
                        cached = text
                elif scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0":
                    cached = text
                # (One Fraction, not three multiplied: the same exact value.)
                if not result:
                    value = Fraction(0)
                elif scale >= 0:
                    value = Fraction(sign * result * 10**scale)
                else:
                    value = Fraction(sign * result, 10**-scale)
                return Quantity(value, fmt, cached)

    # Slow path (inf.Dec): needs at least one digit in the numeric text.
    if not any(c in _DIGITS for c in scanned.value):
        raise _ParseFailure(ERR_NUMERIC)
    amount = _exact_value(num + denom, len(denom), base, exponent)
    if amount != 0:
        # "if you want some resources, you should get some resources": round up to 1n.
        amount = Fraction(math.ceil(amount / _NANO)) * _NANO
    if fmt == BINARY_SI and amount > _MAX_INT64:
        amount = Fraction(_MAX_INT64)
    if fmt == BINARY_SI and 0 < amount < 1:
        fmt = DECIMAL_SI
    return Quantity(sign * amount, fmt, None)


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """(mantissa, exponent) with value == mantissa * 10**exponent and exponent a multiple of 3.

    Port of AsCanonicalBytes: move every factor of 10 into the exponent, then lower the exponent to the
    next multiple of 3.
    """
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        # Quantities only ever hold terminating decimals (nano precision); anything else is a caller bug.
        raise ValueError(f"{value} is not a terminating decimal, so no quantity can represent it")
    exponent = -max(twos, fives)
    mantissa = value.numerator * 10 ** (-exponent) // value.denominator
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    while exponent % 3:
        mantissa *= 10
        exponent -= 1
    return mantissa, exponent


def _exponent_form(value: Fraction) -> str:
    mantissa, exponent = _decimal_parts(value)
    return str(mantissa) if exponent == 0 else f"{mantissa}e{exponent}"


def _render(value: Fraction, fmt: str) -> str:
    """quantity.go ``CanonicalizeBytes`` + suffix construction (with current upstream's fallbacks)."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value.denominator != 1:
            fmt = DECIMAL_SI  # avoids rounding; fractional bytes are shown exactly in DecimalSI
        else:
            amount, power = int(value), 0
            while amount % 1024 == 0:
                amount //= 1024
                power += 1
            if power == 0:
                return str(amount)
            if power * 10 in _BIN_BY_EXPONENT:
                return f"{amount}{_BIN_BY_EXPONENT[power * 10]}"
            return _exponent_form(value)  # past Ei: exact decimal fallback, not a silently dropped suffix
    if fmt == DECIMAL_SI:
        mantissa, exponent = _decimal_parts(value)
        if exponent in _DEC_BY_EXPONENT:
            return f"{mantissa}{_DEC_BY_EXPONENT[exponent]}"
    return _exponent_form(value)


@dataclass(frozen=True, slots=True)
class Quantity:
    """An exact quantity: its value, its format family and (when parsed) the string Kubernetes echoes."""

    value: Fraction
    format: str = DECIMAL_SI
    text: str | None = None  # the input, when Kubernetes keeps it verbatim as the canonical form

    def __post_init__(self) -> None:
        if self.format not in (DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT):
            raise ValueError(f"unknown quantity format {self.format!r}")

    def __str__(self) -> str:
        return self.text if self.text is not None else _render(self.value, self.format)

    @property
    def milli_value(self) -> int:
        """``MilliValue()``: ceil(value * 1000), away from zero."""
        return _ceil_away(self.value * 1000)

    @property
    def int_value(self) -> int:
        """``Value()``: ceil(value), away from zero."""
        return _ceil_away(self.value)


def _ceil_away(value: Fraction) -> int:
    return math.ceil(value) if value >= 0 else math.floor(value)


def _quote(text: str) -> str:
    """Go's %q-style quoting; absurdly long inputs are shortened so the message stays one readable line."""
    if len(text) > 80:
        text = text[:60] + "..." + text[-10:]
    return json.dumps(text, ensure_ascii=False)


def _as_text(s: object) -> str:
    """The text Kubernetes would parse: strings trimmed as UnmarshalJSON does, JSON numbers as written."""
    if isinstance(s, str):
        return s.strip()
    if isinstance(s, bool):
        return "true" if s else "false"  # a JSON boolean is no quantity: fails the regular expression
    if isinstance(s, int):
        return str(s)
    if isinstance(s, float):
        return repr(s)  # shortest text that reads back as the same float, like a JSON encoder writes
    raise QuantityError(f"{s!r} is not a Kubernetes quantity (expected a string or a number)")


def parse(s: str | int | float) -> Quantity:
    """Parse a quantity (string or JSON number); raises QuantityError with Kubernetes' wording."""
    text = _as_text(s)
    try:
        return _parse(text)
    except _ParseFailure as exc:
        raise QuantityError(f"{_quote(text)} is not a Kubernetes quantity ({exc})") from None


def is_quantity(s: object) -> bool:
    """True when ``s`` parses as a quantity."""
    try:
        parse(s)  # type: ignore[arg-type]
    except QuantityError:
        return False
    return True


def parse_quantity(s: str | int | float) -> Fraction:
    """The exact value of a quantity (``"1.5Gi"`` -> ``Fraction(1610612736)``, ``"100m"`` -> ``1/10``)."""
    return parse(s).value


def canonical(s: str | int | float) -> str:
    """What Kubernetes prints for ``s`` (``String()``): ``"1.5"`` -> ``"1500m"``, ``"1024Mi"`` -> ``"1Gi"``.

    A string already in canonical form comes back verbatim, including Kubernetes' quirks (``"5."``).
    """
    return str(parse(s))


def parse_cpu(s: str | int | float) -> int:
    """Millicores as the scheduler counts them (``MilliValue()``, rounded up): ``"0.0001"`` -> 1."""
    return parse(s).milli_value


def parse_memory(s: str | int | float) -> int:
    """Bytes as the scheduler counts them (``Value()``, rounded up): ``"1.5"`` -> 2."""
    return parse(s).int_value


def format_cpu(millicores: int | Fraction) -> str:
    """Canonical DecimalSI text for millicores (``NewMilliQuantity(m, DecimalSI)``): 1500 -> ``"1500m"``."""
    if isinstance(millicores, bool) or not isinstance(millicores, int | Fraction):
        raise TypeError(f"millicores must be an int, not {type(millicores).__name__}")
    found = _CPU_TEXTS.get(millicores)
    if found is None:
        found = _CPU_TEXTS[millicores] = _render(Fraction(millicores) / 1000, DECIMAL_SI)
    return found


def format_memory(num_bytes: int | Fraction) -> str:
    """Canonical BinarySI text for bytes (``NewQuantity(b, BinarySI)``): 1610612736 -> ``"1536Mi"``.

    Like Kubernetes, values below 1024 print as DecimalSI (1000 -> ``"1k"``) and values that are not a
    multiple of 1024 print as plain integers (1025 -> ``"1025"``).
    """
    if isinstance(num_bytes, bool) or not isinstance(num_bytes, int | Fraction):
        raise TypeError(f"bytes must be an int, not {type(num_bytes).__name__}")
    found = _MEMORY_TEXTS.get(num_bytes)
    if found is None:
        found = _MEMORY_TEXTS[num_bytes] = _render(Fraction(num_bytes), BINARY_SI)
    return found


# The texts by value (an int and the equal Fraction print the same; bools are refused above): the action
# path and the safeguards' messages print the same few amounts again and again.
_CPU_TEXTS: BoundedDict[int | Fraction, str] = BoundedDict(4096)
_MEMORY_TEXTS: BoundedDict[int | Fraction, str] = BoundedDict(4096)
