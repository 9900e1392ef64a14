"""Integer arithmetic that works on exact ints and, on the symbolic path, on sympy expressions.

Every formula in the layer table goes through these helpers so that one
implementation serves both paths; the int branch is taken first and never
imports sympy.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Size = Any  # an int, or a sympy expression on the symbolic path


def is_int(value: object) -> bool:
    return type(value) is int


def floordiv(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return a // b
    import sympy

    return sympy.floor(sympy.sympify(a) / b)


def ceildiv(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return -(-a // b)
    import sympy

    return sympy.ceiling(sympy.sympify(a) / b)


def mod(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return a % b
    import sympy

    return sympy.Mod(a, b)


def maximum(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return a if a >= b else b
    import sympy

    return sympy.Max(a, b)


def product(values: Any) -> Size:
    result: Size = 1
    for v in values:
        result = result * v
    return result


def half(value: Size) -> Size:
    """value / 2, exact: a Fraction for ints, a Rational expression for symbols."""
    if type(value) is int:
        return Fraction(value, 2)
    return value / 2


def exact_half(value: Size) -> Size:
    """value / 2 in the simplest exact type: an int when value is an even int."""
    if type(value) is int:
        return value >> 1 if not value & 1 else Fraction(value, 2)
    if isinstance(value, Fraction):
        return settle(value / 2)
    return value / 2


def settle(value: Any) -> Any:
    """A Fraction that is a whole number as an int, which later arithmetic handles faster."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def known_below(value: Size, bound: int) -> bool:
    """True when ``value < bound`` is certain (always decidable for ints)."""
    if type(value) is int:
        return value < bound
    try:
        return bool(value < bound)
    except TypeError:  # sympy cannot decide the relation for every symbol value
        return False


def known_nonzero(value: Size) -> bool:
    if type(value) is int:
        return value != 0
    return bool(value.is_nonzero)
