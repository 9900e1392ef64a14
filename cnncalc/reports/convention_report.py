"""Counts as peer tools count (``--convention``, ``--compare``): Analysis → Table or JSON.

The per-layer reports gain the convention's count next to (``macs``) or in place
of (``summary``) the MACs; ``--compare`` lays the network's totals under every
convention side by side, split into the parts each one counts.
"""

from __future__ import annotations

from typing import Any

from cnncalc.engine.walk import Analysis
from cnncalc.reports.conventions import (
    DEFAULT,
    PART_TITLES,
    PARTS,
    PRESETS,
    Convention,
    deviations,
    layer_cost,
    network_cost,
    present_types,
)
from cnncalc.reports.jsonreport import number
from cnncalc.reports.tables import COUNT, TABLES, Column, Table, header, share


def title(conv: Convention) -> str:
    return f"{conv.unit} ({conv.name})"


def notes(a: Analysis, conv: Convention) -> list[str]:
    """What the convention counts, and what the tool does differently where it has a bug."""
    rules = conv.rules(present_types(a)) or ["nothing it counts is in this network"]
    lines = [f"{conv.name}: counted as {conv.tool}: " + "; ".join(rules)]
    lines += [
        f"{conv.name} itself {d}: cnncalc counts what it means to" for d in deviations(a, conv)
    ]
    return lines


def convention_table(a: Analysis, report: str, dtype: str, conv: Convention) -> Table:
    """The ``macs`` or ``summary`` table with the convention's count per layer."""
    table = TABLES[report](a, dtype)
    if conv.name == DEFAULT:
        return table
    costs = [layer_cost(r, conv).total for r in a.layers]
    total = sum(costs, 0)
    keys = [c.key for c in table.columns]
    at = keys.index("macs")
    column = Column("ops", title(conv), COUNT)
    if report == "macs":  # MACs, then the convention's count and its share
        table.columns.insert(at + 1, column)
        part = [c.key for c in table.columns].index("share")
        for row, cost in zip(table.rows, costs, strict=True):
            row.insert(at + 1, cost)
            row[part] = share(cost, total)
        assert table.totals is not None
        table.totals.insert(at + 1, total)
        table.totals[part] = share(total, total)
        table.notes = notes(a, conv)
    else:  # the convention's count in place of the MACs
        table.columns[at] = column
        for row, cost in zip(table.rows, costs, strict=True):
            row[at] = cost
        assert table.totals is not None
        table.totals[at] = total
        table.notes = table.notes + notes(a, conv)
    return table


def add_json(doc: dict[str, Any], a: Analysis, conv: Convention) -> dict[str, Any]:
    """The convention's name and unit, and its count per layer (``ops``) and in total."""
    for item, r in zip(doc["layers"], a.layers, strict=True):
        item["ops"] = number(layer_cost(r, conv).total)
    cost = network_cost(a, conv)
    doc["totals"]["ops"] = number(cost.total)
    doc["convention"] = conv.name
    doc["unit"] = conv.unit
    doc["ops_parts"] = {k: number(v) for k, v in cost.parts().items()}
    return doc


# --------------------------------------------------------------------------- --compare


def compare_rows(a: Analysis) -> list[tuple[Convention, Any]]:
    return [(c, network_cost(a, c)) for c in PRESETS.values()]


def compare_table(a: Analysis) -> Table:
    """One row per convention: its total, how far from cnncalc's MACs, and its parts."""
    rows = compare_rows(a)
    macs = a.totals.macs
    shown = [p for p in PARTS if any(getattr(cost, p) for _, cost in rows)]
    columns = [
        Column("convention", "Convention"),
        Column("unit", "Counts"),
        Column("total", "Total", COUNT),
        Column("ratio", "x MACs"),
    ] + [Column(p, PART_TITLES[p], COUNT) for p in shown]
    body = []
    for conv, cost in rows:
        ratio = share(cost.total, macs)
        body.append(
            [conv.name, conv.unit, cost.total, "" if ratio is None else f"{float(ratio):.3f}"]
            + [getattr(cost, p) for p in shown]
        )
    notes = [f"{conv.name}: {conv.tool}" for conv, _ in rows]
    notes.append("cnncalc macs --convention NAME shows one convention per layer")
    return Table(header(a), columns, body, notes=notes)


def compare_json(a: Analysis) -> dict[str, Any]:
    return {
        "name": a.network.name,
        "macs": number(a.totals.macs),
        "conventions": [
            {
                "name": conv.name,
                "tool": conv.tool,
                "unit": conv.unit,
                "per_mac": conv.per_mac,
                "total": number(cost.total),
                "parts": {k: number(v) for k, v in cost.parts().items()},
            }
            for conv, cost in compare_rows(a)
        ],
    }
