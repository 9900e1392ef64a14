"""Certain bounds of formulas over every symbol value: intervals, exact scans, order, min/max."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import inf

from cnncalc.symbolic.formula import (
    Atom,
    Extreme,
    Floor,
    Formula,
    Value,
    Var,
    atom_formula,
    compile_value,
    floor_fraction,
    value_key,
)
from cnncalc.symbolic.periods import period, slope
from cnncalc.symbolic.text import readable

MAX_PERIOD_SCAN = 4096  # exact range of a one-symbol formula is found by scanning one period

Bound = Fraction | None  # None: unbounded in that direction
Ext = Fraction | float  # a bound in interval arithmetic, where only inf and -inf are floats


def bounds(v: Value) -> tuple[Bound, Bound]:
    """Certain bounds of ``v`` over every positive value of its symbols.

    Exact for a formula in one symbol that grows linearly (one period is
    scanned); interval arithmetic otherwise.
    """
    if not isinstance(v, Formula):
        return Fraction(v), Fraction(v)
    return _bounds(v)


@lru_cache(maxsize=8192)
def _bounds(v: Formula) -> tuple[Bound, Bound]:
    names = v.symbols()
    if len(names) == 1:
        (name,) = names
        s = slope(v, name)
        p = period(v, name) if s is not None else None
        if s is not None and p is not None and p <= MAX_PERIOD_SCAN:
            run = compile_value(v)
            values = [Fraction(run({name: x})) for x in range(1, p + 1)]
            lo, hi = min(values), max(values)  # v(X + p) = v(X) + s*p
            return (lo if s >= 0 else None), (hi if s <= 0 else None)
    return interval(v)


def interval_of(v: Value) -> tuple[Bound, Bound]:
    return interval(v) if isinstance(v, Formula) else (Fraction(v), Fraction(v))


def interval(v: Formula) -> tuple[Bound, Bound]:
    """Interval arithmetic: every symbol in [1, inf), a floor as the floor of its bounds."""
    lo: Ext = Fraction(0)
    hi: Ext = Fraction(0)
    for mono, c in v.terms.items():
        t_lo: Ext = c
        t_hi: Ext = c
        for atom, p in mono:
            a_lo, a_hi = atom_interval(atom)
            for _ in range(p):
                t_lo, t_hi = mul_interval(t_lo, t_hi, a_lo, a_hi)
        lo, hi = lo + t_lo, hi + t_hi
    return finite(lo), finite(hi)


def finite(x: Ext) -> Bound:
    return x if isinstance(x, Fraction) else None


def atom_interval(atom: Atom) -> tuple[Ext, Ext]:
    if isinstance(atom, Var):
        return Fraction(1), inf
    if isinstance(atom, Floor):
        lo, hi = bounds(atom.inner)
        return (
            -inf if lo is None else Fraction(floor_fraction(lo / atom.m)),
            inf if hi is None else Fraction(floor_fraction(hi / atom.m)),
        )
    assert isinstance(atom, Extreme)
    parts = [bounds(a) for a in atom.args]
    los: list[Ext] = [-inf if p[0] is None else p[0] for p in parts]
    his: list[Ext] = [inf if p[1] is None else p[1] for p in parts]
    return (max(los), max(his)) if atom.is_max else (min(los), min(his))


def ext_mul(x: Ext, y: Ext) -> Ext:
    if x == 0 or y == 0:
        return Fraction(0)  # a zero end times an unbounded end: the product's end is 0
    if isinstance(x, float) or isinstance(y, float):
        return inf if (x > 0) == (y > 0) else -inf
    return x * y


def mul_interval(a_lo: Ext, a_hi: Ext, b_lo: Ext, b_hi: Ext) -> tuple[Ext, Ext]:
    products = [ext_mul(x, y) for x in (a_lo, a_hi) for y in (b_lo, b_hi)]
    return min(products), max(products)


def decide(d: Value, relation: str) -> bool:
    """``d < 0`` or ``d <= 0`` when certain for every symbol value; else TypeError, as sympy.

    Interval arithmetic settles most questions; the exact scan runs only when it cannot.
    """
    for find in (interval_of, bounds):
        lo, hi = find(d)
        if relation == "<":
            if hi is not None and hi < 0:
                return True
            if lo is not None and lo >= 0:
                return False
        else:
            if hi is not None and hi <= 0:
                return True
            if lo is not None and lo > 0:
                return False
    raise TypeError(
        f"cannot decide whether {readable(d)} {relation} 0 for every value of its symbols"
    )


Formula.decide = decide  # formulas compare by deciding the sign of their difference


def extreme(a: Value, b: Value, is_max: bool) -> Value:
    """max or min: the certain one when bounds decide it, else a min/max atom."""
    lo, hi = bounds(b - a)
    if lo is not None and lo >= 0:
        return b if is_max else a
    if hi is not None and hi <= 0:
        return a if is_max else b
    return atom_formula(Extreme(tuple(sorted((a, b), key=value_key)), is_max))
