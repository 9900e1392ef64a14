"""Symbols the network ties together: eliminated through equalities, else searched jointly."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from cnncalc.reports.conditions import Condition
from cnncalc.reports.solve_symbol import MAX_SEARCH, SymbolSolution
from cnncalc.symbolic.formula import Formula, Value, Var
from cnncalc.symbolic.substitute import substitute
from cnncalc.symbolic.text import readable

JOINT_CANDIDATES = 300  # per symbol, when several symbols must be searched together


@dataclass
class Relation:
    """A symbol that the network fixes in terms of others: ``h = ⌈H/2⌉``."""

    symbol: str
    value: Value
    layer: str


@dataclass
class JointSolution:
    """Symbols tied by a condition that no elimination could untie, searched together."""

    symbols: list[str]
    values: list[tuple[int, ...]]
    complete: bool
    note: str


def eliminate(conds: list[Condition], order: list[str]) -> tuple[list[Condition], list[Relation]]:
    """Use each equality ``±Y + f = 0`` with a bare symbol Y to express Y through the others."""
    relations: list[Relation] = []
    while True:
        found = None
        for c in conds:
            if c.relation != "= 0" or not isinstance(c.value, Formula) or c.kind == "reshape":
                continue
            for name in sorted(c.symbols(), key=order.index, reverse=True):
                coeff = bare_coefficient(c.value, name)
                if coeff is not None:
                    found = (c, name, (c.value - coeff * symbol_formula(name)) * -coeff)
                    break
            if found:
                break
        if found is None:
            return conds, relations
        c, name, value = found
        relations = [
            Relation(r.symbol, substitute(r.value, {name: value}), r.layer) for r in relations
        ]
        relations.append(Relation(name, value, c.layer))
        conds = [x.substituted({name: value}) for x in conds if x is not c]
        conds.append(
            Condition(c.layer, "positive", None, value, ">= 1", f"{name} = {readable(value)} ≥ 1")
        )
        conds = [x for x in conds if x.certain() is not True]


def symbol_formula(name: str) -> Formula:
    return Formula.symbol(name)


def bare_coefficient(f: Formula, name: str) -> int | None:
    """±1 when ``name`` appears in f only as the term ±name, else None."""
    mono = ((Var(name), 1),)
    c = f.terms.get(mono)
    if c is None or abs(c) != 1:
        return None
    for other in f.terms:
        if other != mono and any(name in a.symbols() for a, _ in other):
            return None
    return int(c)


def components(names: list[str], conds: list[Condition]) -> list[list[str]]:
    parent = {n: n for n in names}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for c in conds:
        syms = [s for s in c.symbols() if s in parent]
        for s in syms[1:]:
            parent[root(s)] = root(syms[0])
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(root(n), []).append(n)
    return list(groups.values())


def solve_joint(
    names: list[str], conds: list[Condition], own: dict[str, SymbolSolution], count: int
) -> JointSolution:
    """Search tuples of each symbol's own valid values, smallest sum first (best-first)."""
    lists = [own[n].values for n in names]
    shared = [c for c in conds if len(c.symbols()) > 1]
    found: list[tuple[int, ...]] = []
    if all(lists):
        start = (0,) * len(lists)
        heap = [(sum(x[0] for x in lists), tuple(x[0] for x in lists), start)]
        seen = {start}
        tried = 0
        while heap and len(found) < count and tried < MAX_SEARCH:
            _, values, index = heapq.heappop(heap)
            tried += 1
            if all(c.holds(dict(zip(names, values, strict=True))) for c in shared):
                found.append(values)
            for i in range(len(index)):
                if index[i] + 1 < len(lists[i]):
                    nxt = index[:i] + (index[i] + 1,) + index[i + 1 :]
                    if nxt not in seen:
                        seen.add(nxt)
                        vals = tuple(lists[k][j] for k, j in enumerate(nxt))
                        heapq.heappush(heap, (sum(vals), vals, nxt))
    if len(found) >= count:
        return JointSolution(names, found, True, "")
    note = (
        f"searched combinations of the first {JOINT_CANDIDATES} valid values of "
        + " and ".join(names)
        + f" and found {len(found) or 'none'}; gave up"
    )
    return JointSolution(names, found, False, note)
