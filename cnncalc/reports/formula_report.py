"""What the reports add for a network with symbolic sizes: a note on formulas, JSON polynomials.

Shapes are exact formulas for every size. Counts (parameters, MACs,
activations) are shown in tables as polynomials in the symbols, which equal
the exact formulas whenever each symbol is a multiple of its period (32 for
a network that halves its input five times): the form a designer reasons in.
JSON keeps the exact formula for every count and adds those polynomials.
"""

from __future__ import annotations

from math import lcm
from typing import Any

from cnncalc.engine.walk import Analysis
from cnncalc.symbolic.formula import Formula, atom_formula, symbols_of
from cnncalc.symbolic.periods import period
from cnncalc.symbolic.substitute import linearize
from cnncalc.symbolic.text import sympy_text

COUNTS = ("params", "trainable_params", "macs", "activations")


def network_symbols(a: Analysis) -> list[str]:
    return symbols_of(s for shape in a.network.inputs.values() for s in shape)


def periods(a: Analysis, names: list[str]) -> dict[str, int | None]:
    """Per symbol, a multiple of the period of every size in the network (None: unknown)."""
    found: dict[str, int | None] = {n: 1 for n in names}
    atoms = {
        atom.key: atom
        for r in a.layers
        for s in r.shape
        if isinstance(s, Formula)
        for mono in s.terms
        for atom, _ in mono
    }
    for atom in atoms.values():
        for n in names:
            current = found[n]
            if current is not None and n in atom.symbols():
                p = period(atom_formula(atom), n)
                found[n] = None if p is None else lcm(current, p)
    return found


def multiples_text(found: dict[str, int | None]) -> str | None:
    known = {n: p for n, p in found.items() if p is not None}
    if len(known) < len(found):
        return None
    if all(p == 1 for p in known.values()):
        return "exact for every size"
    groups: dict[int, list[str]] = {}
    for n, p in known.items():
        groups.setdefault(p, []).append(n)
    parts = []
    for p, names in groups.items():
        subject = and_list(names)
        if p == 1:
            parts.append(f"for every {subject}")
        else:
            verb = "is a multiple" if len(names) == 1 else "are multiples"
            parts.append(f"when {subject} {verb} of {p}")
    return "exact " + " and ".join(parts)


def table_notes(a: Analysis) -> list[str]:
    """A note for tables with counts, when the input has symbols."""
    names = network_symbols(a)
    if not names:
        return []
    exact = multiples_text(periods(a, names))
    where = f", {exact}" if exact else ""
    return [
        f"counts are polynomials in {and_list(names)}{where}; shapes are exact for every "
        "size, and --format json gives exact formulas for every count"
    ]


def json_fields(a: Analysis) -> dict[str, Any]:
    """``symbols`` and the totals as polynomials with exact rational coefficients."""
    names = network_symbols(a)
    if not names:
        return {}
    totals = a.totals
    found = periods(a, names)
    polynomials: dict[str, Any] = {
        "exact_for_multiples_of": found,
    }
    for key in COUNTS:
        polynomials[key] = sympy_text(linearize(getattr(totals, key)))
    return {"symbols": names, "polynomials": polynomials}


def and_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
