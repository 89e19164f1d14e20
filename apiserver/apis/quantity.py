"""``resource.Quantity`` (k8s.io/apimachinery ``pkg/api/resource``): parse, compare, add and print quantities
the way upstream does, so that messages and quota usage read as upstream's.

A quantity is an exact rational value and a format: ``DecimalSI`` (``500m``, ``2k``), ``BinarySI`` (``1Gi``) or
``DecimalExponent`` (``1e3``). Parsing rounds up to the nano (``1n``); printing is the canonical form.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Optional, Tuple

DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT = "DecimalSI", "BinarySI", "DecimalExponent"

_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL.items()}
_BINARY_BY_EXP = {0: "", **{v // 10: k for k, v in _BINARY.items()}}
_SYNTAX = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(.*)\Z")
_EXPONENT = re.compile(r"[eE]([+-]?\d+)\Z")
_NANO = Fraction(1, 10 ** 9)
_MAX_BINARY = Fraction(2 ** 63 - 1)
MAX_DIGITS = 1000      # far beyond any real amount; bounds the work a hostile value can cause
MAX_EXPONENT = 1000


FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
BAD_SUFFIX = "unable to parse quantity's suffix"


class QuantityError(ValueError):
    """resource.ErrFormatWrong or ErrSuffix: the message is upstream's."""


class Quantity:
    __slots__ = ("value", "format")

    def __init__(self, value: Any = 0, fmt: str = DECIMAL_SI):
        self.value = Fraction(value)
        self.format = fmt

    # -- parsing

    @classmethod
    def parse(cls, text: Any) -> Quantity:
        """``resource.ParseQuantity`` of a JSON value: numbers are read as their decimal text and strings without
        surrounding space, as Quantity.UnmarshalJSON does."""
        if isinstance(text, bool) or text is None:
            raise QuantityError(FORMAT_WRONG)
        if isinstance(text, int):
            return cls(text)
        if isinstance(text, float):
            text = repr(text)
        if not isinstance(text, str):
            raise QuantityError(FORMAT_WRONG)
        text = text.strip()
        m = _SYNTAX.match(text)
        if m is None or not (m.group(2) or m.group(3)) or len(text) > MAX_DIGITS:
            raise QuantityError(FORMAT_WRONG)
        sign, whole, frac, suffix = m.group(1), m.group(2), m.group(3), m.group(4)
        number = Fraction(int(whole or "0"))
        if frac:
            number += Fraction(int(frac), 10 ** len(frac))
        if suffix in _DECIMAL:
            fmt, number = DECIMAL_SI, number * Fraction(10) ** _DECIMAL[suffix]
        elif suffix in _BINARY:
            fmt, number = BINARY_SI, number * 2 ** _BINARY[suffix]
        else:
            e = _EXPONENT.match(suffix)
            if e is None or not re.fullmatch(r"[eEinumkKMGTP]*[-+]?[0-9]*", suffix):
                raise QuantityError(BAD_SUFFIX if e is None and re.fullmatch(r"[eEinumkKMGTP]*[-+]?[0-9]*", suffix)
                                    else FORMAT_WRONG)
            exponent = int(e.group(1)) if len(e.group(1)) < 8 else MAX_EXPONENT + 1
            if abs(exponent) > MAX_EXPONENT:
                raise QuantityError(BAD_SUFFIX)
            fmt, number = DECIMAL_EXPONENT, number * Fraction(10) ** exponent
        if number and number.denominator != 1:  # round non-zero values up to the nano, as upstream does
            nanos = -((-number.numerator * 10 ** 9) // number.denominator)
            number = Fraction(nanos, 10 ** 9)
        if fmt == BINARY_SI and number > _MAX_BINARY:
            number = _MAX_BINARY
        if fmt == BINARY_SI and 0 < number < 1:
            fmt = DECIMAL_SI
        return cls(-number if sign == "-" else number, fmt)

    @classmethod
    def of(cls, text: Any, default: Optional[Quantity] = None) -> Optional[Quantity]:
        """Parse, or ``default`` for a value that is no quantity (validation reports those elsewhere)."""
        try:
            return cls.parse(text)
        except ValueError:
            return default

    # -- arithmetic (the receiver's format wins unless it is zero, as Quantity.Add)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, other.format if self.value == 0 else self.format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.value - other.value, other.format if self.value == 0 else self.format)

    def __neg__(self) -> Quantity:
        return Quantity(-self.value, self.format)

    def cmp(self, other: Quantity) -> int:
        return (self.value > other.value) - (self.value < other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.value == other.value

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __le__(self, other: Quantity) -> bool:
        return self.value <= other.value

    def __gt__(self, other: Quantity) -> bool:
        return self.value > other.value

    def __ge__(self, other: Quantity) -> bool:
        return self.value >= other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def is_zero(self) -> bool:
        return self.value == 0

    def sign(self) -> int:
        return (self.value > 0) - (self.value < 0)

    def int_value(self) -> int:
        """``Value()``: rounded up to an integer."""
        return -((-self.value.numerator) // self.value.denominator)

    def milli_value(self) -> int:
        """``MilliValue()``: thousandths, rounded up."""
        v = self.value * 1000
        return -((-v.numerator) // v.denominator)

    # -- printing

    def __str__(self) -> str:
        number, suffix = self._canonical()
        return number + suffix

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    def _canonical(self) -> Tuple[str, str]:
        value, fmt = self.value, self.format
        if value == 0:
            return "0", ""
        if fmt == BINARY_SI and (-1024 < value < 1024 or value.denominator != 1):
            fmt = DECIMAL_SI  # small or fractional binary values print as decimal, without rounding
        sign = "-" if value < 0 else ""
        magnitude = abs(value)
        if fmt == BINARY_SI:
            amount, exp = magnitude.numerator, 0
            while amount % 1024 == 0 and exp < 6:
                amount //= 1024
                exp += 1
            return sign + str(amount), _BINARY_BY_EXP[exp]
        # base 10: the mantissa without trailing zeros, then the exponent brought down to a multiple of 3
        exp = 0
        while magnitude.denominator != 1:
            magnitude *= 10
            exp -= 1
        amount = magnitude.numerator
        while amount % 10 == 0:
            amount //= 10
            exp += 1
        while exp % 3:
            amount *= 10
            exp -= 1
        if fmt == DECIMAL_EXPONENT:
            return sign + str(amount), (f"e{exp}" if exp else "")
        while exp > 18:
            amount *= 1000
            exp -= 3
        return sign + str(amount), _DECIMAL_BY_EXP[exp]


def parse(text: Any) -> Quantity:
    return Quantity.parse(text)


def canonical(text: Any) -> Any:
    """The canonical text of a quantity, or the value unchanged when it is none."""
    q = Quantity.of(text)
    return text if q is None else str(q)


def zero() -> Quantity:
    return Quantity(0, DECIMAL_SI)
