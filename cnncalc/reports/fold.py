"""Views of an analysis: block instances folded to one row (``--depth``), totals per layer type."""

from __future__ import annotations

from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult, Totals
from cnncalc.layers.base import Effect, Layer
from cnncalc.records import record, replace
from cnncalc.symbolic.arith import Size


@record(frozen=True, kw_only=True)
class BlockInstance(Layer):
    """A folded block instance: what it is and how many layers it holds, for the report."""

    block: str = ""
    count: int = 0

    def describe(self) -> str:
        return f"{self.count} layers"

    def type_label(self) -> str:
        return self.block


def group_of(name: str, depth: int) -> str:
    """The row a layer folds into: its name cut to ``depth`` dotted parts."""
    parts = name.split(".")
    return name if len(parts) <= depth else ".".join(parts[:depth])


def fold(a: Analysis, depth: int | None) -> Analysis:
    """Fold every block instance deeper than ``depth`` into one row with its totals.

    As torchinfo's depth: 1 shows each top-level block instance as one row; 2
    also shows the layers inside them but folds blocks used inside blocks; None
    folds nothing.
    """
    if depth is None or not a.network.blocks:
        return a
    groups: dict[str, list[LayerResult]] = {}
    order: list[str] = []
    for r in a.layers:
        key = group_of(r.name, depth)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(r)
    rows = []
    for key in order:
        members = groups[key]
        if len(members) == 1 and members[0].name == key:
            rows.append(members[0])
            continue
        rows.append(folded_row(a, key, members))
    return Analysis(a.network, rows, a.outputs, a.input_fields)


def folded_row(a: Analysis, key: str, members: list[LayerResult]) -> LayerResult:
    inside = {r.name for r in members}
    last = members[-1]
    outside: list[str] = []
    for r in members:
        outside += [n for n in r.inputs if n not in inside and n not in outside]
    total = sum((r.totals for r in members), Totals())
    block = a.network.blocks.get(key, "block")
    node = replace(
        last.node,
        name=key,
        layer=BlockInstance(block=block, count=len(members)),
        activation=None,
        share=None,
        block=None,
    )
    effect = Effect(
        shape=last.shape,
        params=total.trainable_params,
        frozen_params=total.frozen_params,
        macs=total.macs,
    )
    return LayerResult(
        node,
        tuple(outside),
        members[0].input_shapes,
        effect,
        last.field,
        [w for r in members for w in r.warnings],
        folded=total,
    )


@record
class TypeTotals:
    kind: str
    count: int
    totals: Totals


def by_type(a: Analysis) -> list[TypeTotals]:
    """Layers, parameters, MACs and activations per layer kind, largest MACs first."""
    found: dict[str, TypeTotals] = {}
    for r in a.layers:
        kind = type_name(r)
        entry = found.setdefault(kind, TypeTotals(kind, 0, Totals()))
        entry.count += 1
        entry.totals = entry.totals + r.totals
    return sorted(
        found.values(), key=lambda t: (-sort_key(t.totals.macs), -sort_key(t.totals.params), t.kind)
    )


def type_name(r: LayerResult) -> str:
    layer: Any = r.node.layer
    if r.node.kind == "pool":
        return f"{layer.mode}pool"
    return r.node.kind


def sort_key(value: Size) -> int:
    return value if isinstance(value, int) else 0
