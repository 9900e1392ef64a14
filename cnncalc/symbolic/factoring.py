"""Factoring a formula into a product of factors in separate symbols, for display."""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm

from cnncalc.symbolic.formula import Formula, Mono, Value, make, mono_key


def separate(f: Formula) -> tuple[Fraction, list[Formula], Fraction] | None:
    """``f = c · g1 · g2 ⋯ + k`` with each factor in its own symbols (``32·⌊H/8⌋·⌊W/8⌋``).

    A size after flatten, and the MACs of one layer, are such products; written
    expanded they are much harder to read. None when there is no such split
    into two or more factors.
    """
    found = _separate(f)
    if found is not None:
        return found[0], found[1], Fraction(0)
    # f = product + k: choose k so that what is left splits (an fc after flatten: (n + 1)·u)
    groups = symbol_groups(f)
    if len(groups) < 2:
        return None
    matrix = split_matrix(f, groups[0])
    rows = [r for r in matrix if r]
    if not rows:
        return None
    r0 = min(rows, key=mono_key)
    cols = [c for c in matrix[r0] if c]
    if not cols:
        return None
    c0 = min(cols, key=mono_key)
    wanted = matrix.get((), {}).get(c0, Fraction(0)) * matrix[r0].get((), 0) / matrix[r0][c0]
    k = f.constant() - wanted
    if not k:
        return None
    rest = f - k
    if not isinstance(rest, Formula):
        return None
    found = _separate(rest)
    if found is None:
        return None
    return found[0], found[1], k


def symbol_groups(f: Formula) -> list[frozenset[str]]:
    groups: list[set[str]] = []
    for mono in f.terms:
        for atom, _ in mono:
            names = set(atom.symbols())
            merged = [g for g in groups if g & names]
            for g in merged:
                names |= g
                groups.remove(g)
            groups.append(names)
    return sorted((frozenset(g) for g in groups), key=lambda g: min(g))


def split_matrix(f: Formula, group: frozenset[str]) -> dict[Mono, dict[Mono, Fraction]]:
    """Coefficients indexed by (the part of a monomial in ``group``, the rest)."""
    matrix: dict[Mono, dict[Mono, Fraction]] = {}
    for mono, c in f.terms.items():
        inside = tuple((a, p) for a, p in mono if a.symbols() <= group)
        outside = tuple((a, p) for a, p in mono if not a.symbols() <= group)
        matrix.setdefault(inside, {})[outside] = c
    return matrix


def _separate(f: Formula) -> tuple[Fraction, list[Formula]] | None:
    groups = symbol_groups(f)
    if len(groups) < 2:
        return None
    content = Fraction(1)
    factors: list[Formula] = []
    rest: Value = f
    for group in groups[:-1]:
        assert isinstance(rest, Formula)
        matrix = split_matrix(rest, group)
        rows = sorted(matrix, key=mono_key)
        cols = sorted({c for row in matrix.values() for c in row}, key=mono_key)
        r0 = rows[0]
        c0 = next(c for c in cols if c in matrix[r0])
        pivot = matrix[r0][c0]
        for r in rows:
            for c in cols:
                if matrix[r].get(c, 0) * pivot != matrix[r].get(c0, 0) * matrix[r0].get(c, 0):
                    return None
        g = make({r: matrix[r][c0] for r in rows if c0 in matrix[r]})
        h = make({c: matrix[r0][c] / pivot for c in cols if c in matrix[r0]})
        if not isinstance(g, Formula) or not isinstance(h, Formula) and h != 1:
            return None
        part, g = primitive(g)
        content *= part
        factors.append(g)
        rest = h
    if isinstance(rest, Formula):
        part, last = primitive(rest)
        content *= part
        factors.append(last)
    else:
        content *= Fraction(rest)
    return content, factors


def primitive(f: Formula) -> tuple[Fraction, Formula]:
    """f = c · g with g's coefficients coprime integers and its first term positive."""
    coefficients = list(f.terms.values())
    d = lcm(*(c.denominator for c in coefficients))
    n = gcd(*(int(c * d) for c in coefficients))
    c = Fraction(n, d)
    first = min(f.terms, key=lambda m: (-sum(p for _, p in m), mono_key(m)))
    if f.terms[first] < 0:
        c = -c
    g = f / c
    assert isinstance(g, Formula)
    return c, g
