"""Rewriting formulas atom by atom: substituting values for symbols, and linearizing floors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from cnncalc.symbolic.bounds import extreme
from cnncalc.symbolic.formula import (
    Atom,
    Extreme,
    Floor,
    Formula,
    Key,
    Value,
    Var,
    atom_formula,
    floordiv,
)


def rebuild(f: Formula, atom_value: Callable[[Atom], Value]) -> Value:
    """The sum of ``f``'s terms with every atom replaced by ``atom_value(atom)``."""
    total: Value = 0
    for mono, c in f.terms.items():
        term: Value = c.numerator if c.denominator == 1 else c
        for atom, p in mono:
            for _ in range(p):
                term = term * atom_value(atom)
        total = total + term
    return total


def substitute(v: Value, values: Mapping[str, Value]) -> Value:
    """Replace symbols by numbers or formulas, re-normalising every floor."""
    if not isinstance(v, Formula) or not (v.symbols() & values.keys()):
        return v
    memo: dict[Key, Value] = {}

    def atom_value(atom: Atom) -> Value:
        if atom.key in memo:
            return memo[atom.key]
        out: Value
        if isinstance(atom, Var):
            out = values.get(atom.name, atom_formula(atom))
        elif isinstance(atom, Floor):
            out = floordiv(walk(atom.inner), atom.m)
        else:
            assert isinstance(atom, Extreme)
            args = [walk(a) if isinstance(a, Formula) else a for a in atom.args]
            out = args[0]
            for a in args[1:]:
                out = extreme(out, a, atom.is_max)
        memo[atom.key] = out
        return out

    def walk(f: Formula) -> Value:
        return rebuild(f, atom_value)

    return walk(v)


def linearize(v: Value) -> Value:
    """The polynomial in the symbols that ``v`` equals when every symbol is a multiple of
    its period: there each canonical floor((Y + r)/m), 0 <= r < m, is exactly Y/m."""
    if not isinstance(v, Formula):
        return v
    memo: dict[Key, Value] = {}

    def atom_value(atom: Atom) -> Value:
        if atom.key not in memo:
            if isinstance(atom, Floor):
                inner = atom.inner - atom.inner.constant()
                memo[atom.key] = (
                    Fraction(1, atom.m) * walk(inner) if isinstance(inner, Formula) else 0
                )
            else:
                memo[atom.key] = atom_formula(atom)
        return memo[atom.key]

    def walk(f: Formula) -> Value:
        return rebuild(f, atom_value)

    return walk(v)
