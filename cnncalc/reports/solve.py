"""``cnncalc solve``: the values of each size symbol for which the network reads every pixel.

The symbolic engine gives every size as an exact formula. Each layer then
adds a condition: a window reads the last row (``unread <= 0``), an output is
at least 1, merged sizes are equal, a reshape divides evenly. A size after
floor-divisions is periodic in the input size, so a condition in one symbol is
settled exactly by evaluating it over one period; the congruence classes that
pass are the answer. Symbols that a merge ties together (``h = ⌈H/2⌉``) are
eliminated first; what still ties several symbols is searched, within a bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.engine.walk import Analysis
from cnncalc.reports.conditions import Condition, collect
from cnncalc.reports.congruences import Congruence, threshold
from cnncalc.reports.solve_joint import (
    JOINT_CANDIDATES,
    JointSolution,
    Relation,
    components,
    eliminate,
    solve_joint,
)
from cnncalc.reports.solve_symbol import SymbolSolution, solve_symbol
from cnncalc.reports.solve_text import holds_when, verb
from cnncalc.symbolic.formula import symbols_of


@dataclass
class NetworkSolution:
    name: str
    input: Any
    symbols: list[SymbolSolution]
    relations: list[Relation]
    joint: list[JointSolution]
    conditions: list[tuple[Condition, str]]  # each with when it holds, as text

    @property
    def solvable(self) -> bool:
        alone = all(s.values or s.tied for s in self.symbols)
        return alone and all(j.values for j in self.joint)


def input_symbols(a: Analysis) -> list[str]:
    return symbols_of(s for shape in a.network.inputs.values() for s in shape)


def solve(a: Analysis, count: int = 5) -> NetworkSolution:
    from cnncalc.reports.jsonreport import number

    names = input_symbols(a)
    conds = [c for c in collect(a) if c.certain() is not True]
    conds, relations = eliminate(conds, names)
    tied = {r.symbol for r in relations}
    free = [n for n in names if n not in tied]
    inputs = {k: number(v) for k, v in a.network.inputs.items()}
    shown_input = next(iter(inputs.values())) if len(inputs) == 1 else inputs
    never = [c for c in conds if c.certain() is False]
    own = {n: solve_symbol(n, [c for c in conds if c.symbols() == {n}], count) for n in free}
    joint = []
    for group in components(free, conds):
        if len(group) > 1:
            wide = {
                n: solve_symbol(n, [c for c in conds if c.symbols() == {n}], JOINT_CANDIDATES)
                for n in group
            }
            joint.append(solve_joint(group, conds, wide, count))
            for n in group:
                own[n].tied = [m for m in group if m != n]
                own[n].values, own[n].valid, own[n].finite = [], None, None
    if never:
        for s in own.values():
            c = next((c for c in never if s.name in c.symbols() or c.axis == s.name), never[0])
            where = c.layer + (f" on axis {c.axis}" if c.axis else "")
            s.note = f"no value of {s.name} works: {where} never {verb(c)}, whatever the size"
            s.values, s.valid, s.finite = [], Congruence(1, []), None
        for j in joint:
            j.values = []
    shown: set[str] = set()
    described = [(c, holds_when(c)) for c in conds if binding(c, own, shown)]
    return NetworkSolution(
        a.network.name, shown_input, [own[n] for n in free], relations, joint, described
    )


def binding(c: Condition, own: dict[str, SymbolSolution], shown: set[str]) -> bool:
    """Size conditions are many and alike: keep the first that sets a symbol's smallest size."""
    if c.relation != ">= 1" or len(c.symbols()) != 1:
        return True
    (name,) = c.symbols()
    s = own.get(name)
    if name in shown or s is None or s.min_size is None or threshold(c, name) != s.min_size:
        return False
    shown.add(name)
    return True
