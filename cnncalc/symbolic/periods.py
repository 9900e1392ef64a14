"""Slopes and periods of formulas in one symbol: how a quasi-linear size grows and repeats."""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm

from cnncalc.symbolic.formula import Atom, Extreme, Floor, Formula, Key, Value, Var


def slope(v: Value, name: str) -> Fraction | None:
    """The constant growth rate of ``v`` in one symbol, or None when it is not quasi-linear."""
    if not isinstance(v, Formula):
        return Fraction(0)
    return _slope(v, name, {})


def _slope(f: Formula, name: str, memo: dict[Key, Fraction | None]) -> Fraction | None:
    total = Fraction(0)
    for mono, c in f.terms.items():
        if not mono:
            continue
        moving = [(a, p) for a, p in mono if name in a.symbols()]
        if not moving:
            continue
        if len(moving) > 1 or moving[0][1] != 1 or len(mono) > 1:
            return None  # a product with the symbol in it grows faster than linearly
        s = _atom_slope(moving[0][0], name, memo)
        if s is None:
            return None
        total += c * s
    return total


def _atom_slope(atom: Atom, name: str, memo: dict[Key, Fraction | None]) -> Fraction | None:
    if atom.key in memo:
        return memo[atom.key]
    s: Fraction | None
    if isinstance(atom, Var):
        s = Fraction(1)
    elif isinstance(atom, Floor):
        inner = _slope(atom.inner, name, memo)
        s = None if inner is None else inner / atom.m
    else:
        assert isinstance(atom, Extreme)
        slopes = {slope(a, name) for a in atom.args}
        s = slopes.pop() if len(slopes) == 1 else None
    memo[atom.key] = s
    return s


def period(v: Value, name: str) -> int | None:
    """A period p: v(X + p) = v(X) + slope * p for every integer X; None if not quasi-linear."""
    if not isinstance(v, Formula) or name not in v.symbols():
        return 1
    if slope(v, name) is None:
        return None
    return _period(v, name, {})


def _period(f: Formula, name: str, memo: dict[Key, int]) -> int:
    p = 1
    for mono in f.terms:
        for atom, _ in mono:
            if name in atom.symbols():
                p = lcm(p, _atom_period(atom, name, memo))
    return p


def _atom_period(atom: Atom, name: str, memo: dict[Key, int]) -> int:
    if atom.key in memo:
        return memo[atom.key]
    p: int
    if isinstance(atom, Var):
        p = 1
    elif isinstance(atom, Floor):
        base = _period(atom.inner, name, memo)
        s = slope(atom.inner, name)
        assert s is not None
        shift = s * base  # how much the inner value moves over one of its periods
        if shift.denominator != 1:  # cannot happen for integer-valued inners; stay safe
            base *= shift.denominator
            shift *= shift.denominator
        p = base * atom.m // gcd(atom.m, abs(int(shift))) if shift else base
    else:
        assert isinstance(atom, Extreme)
        p = 1
        for a in atom.args:
            if isinstance(a, Formula) and name in a.symbols():
                p = lcm(p, _period(a, name, memo))
    memo[atom.key] = p
    return p
