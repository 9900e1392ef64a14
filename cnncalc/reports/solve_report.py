"""What ``cnncalc solve`` prints: a NetworkSolution as neutral tables or as JSON."""

from __future__ import annotations

from typing import Any

from cnncalc.reports.solve import NetworkSolution
from cnncalc.reports.solve_symbol import SymbolSolution
from cnncalc.reports.solve_text import congruence_text
from cnncalc.reports.tables import Column, Table
from cnncalc.symbolic.text import readable, sympy_text


def valid_text(s: SymbolSolution) -> str:
    if s.tied:
        return "tied to " + ", ".join(s.tied) + " (below)"
    if s.finite is not None:
        return " or ".join(f"{s.name} = {x}" for x in s.finite) if s.finite else f"no {s.name}"
    if s.valid is not None:
        return congruence_text(s.name, s.valid)
    return "unknown (searched)" if s.values else "unknown"


def values_text(s: SymbolSolution) -> str:
    if s.tied:
        return "below"
    if not s.values:
        return "none"
    more = s.valid is not None or (s.finite is not None and len(s.finite) > len(s.values))
    return ", ".join(str(v) for v in s.values) + (", …" if more else "")


def input_text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {input_text(v)}" for k, v in value.items())
    return "x".join(str(v) for v in value)


def solution_tables(sol: NetworkSolution) -> list[Table]:
    title = f"{sol.name}: {input_text(sol.input)}"
    if not sol.symbols and not sol.relations:
        return [Table(title, [Column("note", "Note")], [["the input has no size symbols"]])]
    rows = [
        [s.name, valid_text(s), "none" if s.min_size is None else str(s.min_size), values_text(s)]
        for s in sol.symbols
    ]
    notes = [
        "valid: no layer leaves input pixels unread, every output size is at least 1, "
        "merged sizes match"
    ]
    for r in sol.relations:
        notes.append(f"{r.symbol} = {readable(r.value)} (set by {r.layer})")
    for j in sol.joint:
        found = "; ".join("(" + ", ".join(map(str, v)) + ")" for v in j.values) or "none"
        notes.append(
            f"valid ({', '.join(j.symbols)}): {found}" + (f" — {j.note}" if j.note else "")
        )
    warnings = [s.note for s in sol.symbols if s.note]
    main = Table(
        title,
        [
            Column("symbol", "Symbol"),
            Column("valid", "Valid when"),
            Column("min", "Smallest size"),
            Column("values", "First valid sizes"),
        ],
        rows,
        notes=notes,
        warnings=warnings,
    )
    if not sol.conditions:
        return [main]
    detail = Table(
        f"{sol.name}: conditions",
        [
            Column("layer", "Layer"),
            Column("axis", "Axis"),
            Column("condition", "Condition"),
            Column("holds", "Holds when"),
        ],
        [[c.layer, c.axis or "", c.text, when] for c, when in sol.conditions],
    )
    return [main, detail]


def solution_json(sol: NetworkSolution) -> dict[str, Any]:
    return {
        "name": sol.name,
        "input": sol.input,
        "solvable": sol.solvable,
        "symbols": [symbol_json(s) for s in sol.symbols],
        "relations": [
            {
                "symbol": r.symbol,
                "equals": sympy_text(r.value),
                "text": f"{r.symbol} = {readable(r.value)}",
                "layer": r.layer,
            }
            for r in sol.relations
        ],
        "joint": [
            {
                "symbols": j.symbols,
                "values": [list(v) for v in j.values],
                "complete": j.complete,
                "note": j.note,
            }
            for j in sol.joint
        ],
        "conditions": [
            {
                "layer": c.layer,
                "axis": c.axis,
                "kind": c.kind,
                "formula": sympy_text(c.value),
                "relation": c.relation,
                "text": c.text,
                "holds_when": when,
            }
            for c, when in sol.conditions
        ],
    }


def symbol_json(s: SymbolSolution) -> dict[str, Any]:
    return {
        "name": s.name,
        "valid": (
            None if s.valid is None else {"modulus": s.valid.modulus, "residues": s.valid.residues}
        ),
        "finite": s.finite,
        "valid_text": valid_text(s),
        "min_size": s.min_size,
        "values": s.values,
        "complete": s.complete,
        "note": s.note,
        "tied_to": s.tied,
    }
