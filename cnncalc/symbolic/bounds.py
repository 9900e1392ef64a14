"""Certain bounds of formulas over every symbol value: intervals, exact scans, order, min/max."""

from __future__ import annotations

from collections.abc import Callable
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
    i_lo, i_hi = interval(v)
    p_lo, p_hi = plane_bounds(v)
    return tighter(i_lo, p_lo, max), tighter(i_hi, p_hi, min)


def tighter(a: Bound, b: Bound, pick: Callable[[Fraction, Fraction], Fraction]) -> Bound:
    return b if a is None else a if b is None else pick(a, b)


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


# --------------------------------------------------------------------------- planes

Plane = tuple[dict[str, Fraction], Fraction, Fraction]  # slopes, lowest and highest offset


def plane_bounds(v: Formula) -> tuple[Bound, Bound]:
    """Bounds from enclosing every floor between two parallel lines, in one pass.

    ``floor(Y/m)`` lies in ``[(Y - m + 1)/m, Y/m]`` for an integer ``Y``, so a formula
    that is a sum of floors lies between two parallel planes. Where its slopes cancel
    (``2·⌈H/8192⌉ − ⌈H/4096⌉``) the bounds are constants, which interval arithmetic,
    bounding each floor alone, cannot see, and a period too long to scan does not
    matter. Products of symbols have no plane: no bound.
    """
    memo: dict[Atom, Plane | None] = {}
    found = _plane(v, memo)
    if found is None:
        return None, None
    slopes, lo, hi = found
    rise = sum(slopes.values(), Fraction(0))  # every symbol at its smallest value, 1
    low: Bound = lo + rise if all(s >= 0 for s in slopes.values()) else None
    high: Bound = hi + rise if all(s <= 0 for s in slopes.values()) else None
    if _integral(v):
        low = None if low is None else -Fraction(floor_fraction(-low))
        high = None if high is None else Fraction(floor_fraction(high))
    return low, high


def _plane(f: Formula, memo: dict[Atom, Plane | None]) -> Plane | None:
    slopes: dict[str, Fraction] = {}
    lo = hi = f.constant()
    for mono, c in f.terms.items():
        if not mono:
            continue
        if len(mono) != 1 or mono[0][1] != 1:
            return None
        found = _atom_plane(mono[0][0], memo)
        if found is None:
            return None
        s, a_lo, a_hi = found
        for name, k in s.items():
            slopes[name] = slopes.get(name, Fraction(0)) + c * k
        lo, hi = (lo + c * a_lo, hi + c * a_hi) if c > 0 else (lo + c * a_hi, hi + c * a_lo)
    return {n: k for n, k in slopes.items() if k}, lo, hi


def _atom_plane(atom: Atom, memo: dict[Atom, Plane | None]) -> Plane | None:
    if atom in memo:
        return memo[atom]
    found: Plane | None
    if isinstance(atom, Var):
        found = {atom.name: Fraction(1)}, Fraction(0), Fraction(0)
    elif isinstance(atom, Floor):
        inner = _plane(atom.inner, memo)
        if inner is None:
            found = None
        else:
            m = atom.m
            gap = Fraction(m - 1, m) if _integral(atom.inner) else Fraction(1)
            found = {n: k / m for n, k in inner[0].items()}, inner[1] / m - gap, inner[2] / m
    else:
        assert isinstance(atom, Extreme)
        planes = [
            _plane(a, memo) if isinstance(a, Formula) else ({}, Fraction(a), Fraction(a))
            for a in atom.args
        ]
        if any(p is None for p in planes) or len({tuple(sorted(p[0].items())) for p in planes}) > 1:  # type: ignore[index]
            found = None
        else:
            pick = max if atom.is_max else min
            found = planes[0][0], pick(p[1] for p in planes), pick(p[2] for p in planes)  # type: ignore[index]
    memo[atom] = found
    return found


def _integral(f: Formula) -> bool:
    """Integer-valued for integer symbols: integer coefficients over symbols and floors."""
    return all(c.denominator == 1 for c in f.terms.values()) and all(
        isinstance(atom, Var | Floor) for mono in f.terms for atom, _ in mono
    )
