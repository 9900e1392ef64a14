"""The values expectations hold (exact counts, SI budgets, shapes, fields) and a network's own."""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.reports.jsonreport import number
from cnncalc.spec.network import Network

EXACT_KEYS = ("params", "trainable_params", "macs")
BUDGET_KEYS = {"max_params": "params", "max_macs": "macs", "max_activations": "activations"}
EXPECT_KEYS = (*EXACT_KEYS, "output", *BUDGET_KEYS, "layers")
LAYER_KEYS = ("output", "receptive_field")
SI_SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_SI = re.compile(r"\s*(\d(?:_?\d)*(?:\.\d+)?)\s*([kKMGT]?)\s*")


json_number = number  # an exact value as JSON and expectations write it


def count_text(value: Any) -> str:
    return f"{value:,}" if type(value) is int else str(value)


def same(a: Any, b: Any) -> bool:
    """Equality that tells true from 1, as TOML does."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def si_value(text: str) -> int | None:
    """``"140M"`` → 140000000, ``"1.5G"`` → 1500000000; None unless a whole count."""
    match = _SI.fullmatch(text)
    if match is None:
        return None
    value = Fraction(match[1].replace("_", "")) * SI_SUFFIXES[match[2]]
    return int(value) if value.denominator == 1 else None


def is_sizes(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            (type(v) is int and v > 0) or (isinstance(v, str) and v.strip() != "") for v in value
        )
    )


def network_output(outputs: Iterable[Any]) -> Any:
    """The network's output as ``output`` expects it: a shape, or a list of them."""
    shapes = [json_number(s) for s in outputs]
    return shapes[0] if len(shapes) == 1 else shapes


def field_sizes(result: LayerResult) -> list[Any]:
    return [json_number(s) for s in result.field.size]


def field_value(sizes: list[Any], written: Any) -> Any:
    """The receptive field written the way the user wrote it: one value, or one per axis."""
    if not isinstance(written, list) and sizes and all(same(s, sizes[0]) for s in sizes):
        return sizes[0]
    return sizes


def current_values(analysis: Analysis) -> dict[str, Any]:
    """The exact values ``--update`` writes into a network's [expect] table."""
    totals = analysis.totals
    values = {k: json_number(getattr(totals, k)) for k in EXACT_KEYS}
    values["output"] = network_output(analysis.outputs.values())
    return values


def resolve_layer(net: Network, names: dict[str, LayerResult], name: str) -> str | None:
    """A reported layer name, or an alias (block instance, repeated layer) for its last layer."""
    seen = 0
    while name not in names and name in net.aliases and seen <= len(net.aliases):
        name = net.aliases[name]
        seen += 1
    return name if name in names else None
