"""Integer arithmetic that works on exact ints and, on the symbolic path, on formulas.

Every formula in the layer table goes through these helpers so that one
implementation serves both paths; the int branch is taken first, and the
symbolic branch (cnncalc.symbolic.formula) never imports sympy.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

Size = Any  # an int, or a cnncalc.symbolic.formula.Formula on the symbolic path


def is_int(value: object) -> bool:
    return type(value) is int


def floordiv(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return a // b
    from cnncalc.symbolic.formula import floordiv as symbolic_floordiv

    return symbolic_floordiv(a, b)


def ceildiv(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return -(-a // b)
    from cnncalc.symbolic.formula import ceildiv as symbolic_ceildiv

    return symbolic_ceildiv(a, b)


def mod(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return a % b
    from cnncalc.symbolic.formula import mod as symbolic_mod

    return symbolic_mod(a, b)


def maximum(a: Size, b: Size) -> Size:
    if type(a) is int and type(b) is int:
        return a if a >= b else b
    from cnncalc.symbolic.bounds import extreme

    return extreme(a, b, is_max=True)


def smallest(values: list[Any]) -> Any:
    """min() that also takes formulas: a min atom where the order depends on the symbols."""
    return extreme_of(values, is_max=False)


def largest(values: list[Any]) -> Any:
    return extreme_of(values, is_max=True)


def extreme_of(values: list[Any], is_max: bool) -> Any:
    if all(not is_formula(v) for v in values):
        return max(values) if is_max else min(values)
    from cnncalc.symbolic.bounds import extreme

    result = values[0]
    for v in values[1:]:
        result = extreme(result, v, is_max=is_max)
    return result


def at_least(value: Size, bound: int, modulus: int) -> Size:
    """1 when ``value >= bound`` else 0, for a ``value`` known to lie in [0, modulus)."""
    if bound <= 0:
        return 1
    if bound >= modulus:
        return 0
    return floordiv(value + modulus - bound, modulus)


def product(values: Any) -> Size:
    result: Size = 1
    for v in values:
        result = result * v
    return result


def half(value: Size) -> Size:
    """value / 2, exact: a Fraction for ints, a formula with rational coefficients for symbols."""
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


def known_below(value: Size, bound: Size) -> bool:
    """True when ``value < bound`` is certain (always decidable for ints)."""
    if type(value) is int and type(bound) is int:
        return value < bound
    if not (is_formula(value) or is_formula(bound)):
        return bool(value < bound)
    from cnncalc.symbolic.bounds import decide

    try:
        return decide(value - bound, "<")  # what ``value < bound`` asks of a formula
    except TypeError:  # the answer depends on the symbols' values
        return False


def known_nonzero(value: Size) -> bool:
    if type(value) is int:
        return value != 0
    return known_below(value, 0) or known_below(-value, 0)


def sizes_match(a: Size, b: Size) -> bool | None:
    """Whether two sizes are equal: True or False when certain, None when it depends on
    the symbols' values (``cnncalc solve`` finds the values for which they are)."""
    if type(a) is int and type(b) is int:
        return a == b
    from cnncalc.symbolic.bounds import bounds

    lo, hi = bounds(a - b)
    if lo is not None and hi is not None and lo == hi == 0:
        return True
    if (lo is not None and lo > 0) or (hi is not None and hi < 0):
        return False
    return None


def shapes_match(a: tuple[Size, ...], b: tuple[Size, ...]) -> bool | None:
    """All sizes equal: True, False, or None when it depends on the symbols."""
    if len(a) != len(b):
        return False
    verdicts = [sizes_match(x, y) for x, y in zip(a, b, strict=True)]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def is_formula(value: object) -> bool:
    """A symbolic value (cnncalc.symbolic.formula.Formula), found without importing its module."""
    return (
        type(value).__name__ == "Formula" and type(value).__module__ == "cnncalc.symbolic.formula"
    )
