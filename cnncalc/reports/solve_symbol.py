"""Solving one symbol: its smallest size and its valid values, exactly or by search."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import lcm

from cnncalc.reports.conditions import Condition
from cnncalc.reports.congruences import (
    MAX_MODULUS,
    MAX_VALUE,
    Congruence,
    first_values,
    residues,
    roots,
    smallest_modulus,
    threshold,
)
from cnncalc.reports.solve_text import congruence_text, verb
from cnncalc.symbolic.formula import Formula
from cnncalc.symbolic.periods import period, slope

MAX_SEARCH = 100_000  # values (or tuples) tried when no exact method applies


@dataclass
class SymbolSolution:
    name: str
    min_size: int | None = None  # smallest value for which every output is at least 1
    valid: Congruence | None = None  # the values that read every pixel (when periodic)
    finite: list[int] | None = None  # ... or the only values that do
    values: list[int] = field(default_factory=list)  # the first valid values
    complete: bool = True  # False: the search gave up before it was sure
    note: str = ""
    tied: list[str] = field(default_factory=list)  # searched together with these symbols


def solve_symbol(name: str, conds: list[Condition], count: int) -> SymbolSolution:
    out = SymbolSolution(name)
    sizes = [c for c in conds if c.relation == ">= 1"]
    others = [c for c in conds if c.relation != ">= 1"]
    lowest = 1
    for c in sizes:
        t = threshold(c, name)
        if t is None:
            out.note = f"no value of {name} gives {c.layer} an output of at least 1 ({c.text})"
            out.complete = True
            return out
        lowest = max(lowest, t)
    out.min_size = lowest
    periodic: list[tuple[Condition, int, set[int]]] = []
    direct: list[Condition] = []  # no usable period: evaluated value by value
    finite: set[int] | None = None
    for c in others:
        found = factor_roots(c, name)
        if found is not None:
            finite = found if finite is None else finite & found
            continue
        s = slope(c.value, name)
        p = period(c.value, name)
        if s is None or p is None or p > MAX_MODULUS or (s != 0 and c.relation != "= 0"):
            direct.append(c)
        elif s == 0:
            periodic.append((c, p, residues(c, name, p)))
        else:
            sols = roots(c, name, p, s)
            finite = sols if finite is None else finite & sols
    if finite is not None:
        values = sorted(x for x in finite if x >= lowest and all(c.holds({name: x}) for c in conds))
        out.finite = values
        out.values = values[:count]
        if not values:
            out.note = finite_conflict(name, others, lowest)
        return out
    modulus = lcm(1, *(p for _, p, _ in periodic))
    if direct or modulus > MAX_MODULUS:
        return search_symbol(out, name, periodic, direct, count, modulus)
    valid = [r for r in range(modulus) if all(r % p in rs for _, p, rs in periodic)]
    if not valid:
        out.valid = Congruence(modulus, [])
        out.note = conflict(name, periodic)
        return out
    out.valid = smallest_modulus(modulus, valid)
    out.values = first_values(out.valid, lowest, count)
    return out


def factor_roots(c: Condition, name: str) -> set[int] | None:
    """The solutions of a product equal to 0 (a broadcast: ``(W − 3)·(W − 1) = 0``), each
    factor's own, when every factor grows or falls steadily; else None."""
    if c.relation != "= 0" or not c.factors:
        return None
    found: set[int] = set()
    for f in c.factors:
        if not isinstance(f, Formula):
            if f == 0:
                return None  # holds for every value: no finite answer
            continue
        s, p = slope(f, name), period(f, name)
        if f.symbols() != {name} or not s or p is None or p > MAX_MODULUS:
            return None
        found |= roots(Condition(c.layer, c.kind, c.axis, f, "= 0", c.text), name, p, s)
    return found


def conflict(name: str, periodic: list[tuple[Condition, int, set[int]]]) -> str:
    """Name the first condition that leaves no value, with the ones before it."""
    modulus, alive = 1, [0]
    for c, p, rs in periodic:
        m = lcm(modulus, p)
        alive = [r for r in range(m) if r % modulus in set(alive) and r % p in rs]
        modulus = m
        if not alive:
            where = f"{c.layer}" + (f" on axis {c.axis}" if c.axis else "")
            if len(rs) == 0:
                return f"no value of {name} works: {where} never {verb(c)}"
            return (
                f"no value of {name} works: {where} {verb(c)} only when "
                f"{congruence_text(name, smallest_modulus(p, sorted(rs)))}, "
                "which the layers before it rule out"
            )
    return f"no value of {name} satisfies every condition"


def finite_conflict(name: str, conds: list[Condition], lowest: int) -> str:
    """Why an equation's few solutions are no use: too small, or ruled out elsewhere."""
    for c in conds:
        s, p = slope(c.value, name), period(c.value, name)
        if c.relation != "= 0" or not s or p is None or p > MAX_MODULUS:
            continue
        sols = sorted(roots(c, name, p, s))
        if not sols:
            return f"no value of {name} works: {c.layer} needs {c.text}, which never holds"
        shown = " or ".join(f"{name} = {x}" for x in sols)
        if all(x < lowest for x in sols):
            return (
                f"no value of {name} works: {c.layer} needs {c.text}, which holds only for "
                f"{shown}, below the smallest size {lowest}"
            )
        return (
            f"no value of {name} works: {c.layer} needs {c.text}, which holds only for {shown}, "
            "and other layers rule that out"
        )
    return f"no value of {name} satisfies every condition"


def search_symbol(
    out: SymbolSolution,
    name: str,
    periodic: list[tuple[Condition, int, set[int]]],
    direct: list[Condition],
    count: int,
    modulus: int,
) -> SymbolSolution:
    """No exact answer within the bounds: try candidates in increasing order, at most
    MAX_SEARCH of them. Candidates step through the residues of the condition with the
    longest period, so a sparse answer (multiples of 2**17) is still reached quickly."""
    lowest = out.min_size or 1
    periodic = sorted(periodic, key=lambda item: -item[1])
    if periodic:
        step, allowed = periodic[0][1], sorted(periodic[0][2])
    else:
        step, allowed = 1, [0]
    tried = 0
    base = lowest - lowest % step
    x = lowest
    while len(out.values) < count and tried < MAX_SEARCH and allowed and base <= MAX_VALUE:
        for r in allowed:
            x = base + r
            if x < lowest:
                continue
            tried += 1
            ok = all(x % p in rs for _, p, rs in periodic[1:])
            if ok and all(c.holds({name: x}) for c in direct):
                out.values.append(x)
                if len(out.values) >= count:
                    break
            if tried >= MAX_SEARCH:
                break
        base += step
    out.complete = len(out.values) >= count
    if not out.complete:
        found = "none" if not out.values else f"only {len(out.values)}"
        out.note = (
            f"searched {tried:,} candidate values of {name} from {lowest} to {x} and found "
            f"{found}; gave up"
        )
    elif modulus > MAX_MODULUS:
        out.note = (
            f"the valid values of {name} repeat every {modulus:,}; first ones found by search"
        )
    return out
