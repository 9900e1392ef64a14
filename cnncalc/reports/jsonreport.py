"""The JSON reports: Analysis → the document of the file-format contract (§7).

Apart from the tables (tables.py), so that ``--format json`` does not build the table
classes it never uses.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.symbolic.arith import exact_half, is_int

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


def number(value: Any) -> Any:
    """Exact JSON value: int stays int, a Fraction becomes int or float, a symbol a string."""
    kind = type(value)
    if kind is int:
        return value
    if kind is tuple:  # shapes and fields, once per layer: the common case first
        return [v if type(v) is int else number(v) for v in value]
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    if isinstance(value, tuple | list):
        return [number(v) for v in value]
    from cnncalc.symbolic.text import sympy_text  # a symbolic size: its formula in sympy syntax

    return sympy_text(value)


def effective_padding(r: LayerResult) -> list[Any]:
    """Araujo et al.'s effective padding, (r - 1)/2 - start, per axis."""
    f = r.field
    return [
        exact_half(size - 1) - start if not isinstance(size, float) else None
        for size, start in zip(f.size, f.start, strict=True)
    ]


def has_symbols(a: Analysis) -> bool:
    return not all(is_int(s) for shape in a.network.inputs.values() for s in shape)


def formula_fields(a: Analysis) -> dict[str, Any]:
    """JSON ``symbols`` and ``polynomials`` (only when the input has size symbols)."""
    if not has_symbols(a):
        return {}
    from cnncalc.reports.formula_report import json_fields

    return json_fields(a)


def field_json(r: LayerResult) -> dict[str, Any]:
    f = r.field
    doc = {
        "size": number(f.size),
        "stride": number(f.stride),
        "start": number(f.start),
        "global": f.is_global,
        "effective_padding": number(effective_padding(r)),
    }
    return doc | {"estimate": True} if f.estimate else doc


FIELDS: dict[str, Callable[[LayerResult], Any]] = {
    "padding": lambda r: None if r.effect.padding is None else number(r.effect.padding),
    "params": lambda r: number(r.totals.params),
    "trainable_params": lambda r: number(r.totals.trainable_params),
    "macs": lambda r: number(r.effect.macs),
    "activations": lambda r: number(r.totals.activations),
    "receptive_field": field_json,
}
TOTAL_FIELDS = ("params", "trainable_params", "macs", "activations")
REPORT_FIELDS = {
    "shapes": ("padding", "activations"),
    "params": ("params", "trainable_params"),
    "receptive-field": ("receptive_field",),
    "macs": ("macs", "activations"),
    "summary": tuple(FIELDS),
}


def by_type_json(a: Analysis) -> list[dict[str, Any]]:
    from cnncalc.reports.fold import by_type

    return [
        {
            "type": t.kind,
            "count": t.count,
            **{k: number(getattr(t.totals, k)) for k in TOTAL_FIELDS},
        }
        for t in by_type(a)
    ]


def network_json(a: Analysis, report: str, dtype: str = "float32") -> dict[str, Any]:
    """One network in the JSON schema of the file-format contract (§7)."""
    wanted = REPORT_FIELDS[report]
    layers = []
    for r in a.layers:
        item: dict[str, Any] = {
            "name": r.name,
            "type": r.node.kind,
            "inputs": list(r.inputs),
            "output": number(r.shape),
        }
        for key in wanted:
            item[key] = FIELDS[key](r)
        if r.node.activation:
            item["activation"] = r.node.activation
        if r.shared_from is not None:
            item["shared_from"] = r.shared_from
            item["shared_params"] = number(r.own_params)
        if r.node.block is not None:
            item["block"] = r.node.block
        if r.folded is not None:
            item["layers"] = getattr(r.node.layer, "count", 0)
        if r.field_via is not None and "receptive_field" in wanted:
            item["receptive_field"]["via"] = r.field_via
        item["warnings"] = [w.message for w in r.warnings]
        layers.append(item)
    totals_all = a.totals
    totals = {
        k: number(getattr(totals_all, k))
        for k in TOTAL_FIELDS
        if k in wanted or report == "summary"
    }
    size = DTYPE_BYTES[dtype]
    if "params" in totals:
        totals["params_bytes"] = number(totals_all.params * size)
    if "activations" in totals:
        totals["activations_bytes"] = number(totals_all.activations * size)
    net = a.network
    inputs = {k: number(v) for k, v in net.inputs.items()}
    outputs = {k: number(v) for k, v in a.outputs.items()}
    return {
        "name": net.name,
        "input": next(iter(inputs.values())) if len(inputs) == 1 else inputs,
        "output": next(iter(outputs.values())) if len(outputs) == 1 else list(outputs.values()),
        "outputs": outputs,
        "dtype": dtype,
        "layers": layers,
        "totals": totals,
        **formula_fields(a),
    }
