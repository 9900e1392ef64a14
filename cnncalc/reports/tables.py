"""The tables of the reports (shapes, params, receptive field, macs, summary): Analysis → Table.

A report chooses columns and fields; it never formats a number for a
particular output. Renderers (cnncalc.render) turn any Table into any format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult, Totals
from cnncalc.layers.base import fmt_shape
from cnncalc.reports.jsonreport import DTYPE_BYTES, effective_padding, has_symbols
from cnncalc.symbolic.arith import is_int

# Cell kinds tell a renderer how to show a value: text as is, a count in human units
# in tables (exact elsewhere), a share of a total as a percentage with a bar.
TEXT, COUNT, SHARE = "text", "count", "share"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = TEXT
    fold: bool = False  # may wrap onto several lines in a narrow terminal (names, not numbers)
    optional: bool = False  # hidden first when a terminal is too narrow for the whole table
    # written shorter when the table is too wide: bn+relu for batchnorm+relu, 56x56x64
    abbreviate: Callable[[str], str] | None = None
    csv_only: bool = False  # in CSV, not in tables drawn for reading


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    totals: list[Any] | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def for_reading(self) -> Table:
        """The table without the columns only CSV has (a layer's warnings are listed below)."""
        keep = [i for i, c in enumerate(self.columns) if not c.csv_only]
        if len(keep) == len(self.columns):
            return self
        return Table(
            self.title,
            [self.columns[i] for i in keep],
            [[row[i] for i in keep] for row in self.rows],
            None if self.totals is None else [self.totals[i] for i in keep],
            self.notes,
            self.warnings,
        )


# --------------------------------------------------------------------------- values


def count(value: Any) -> str:
    return f"{value:,}" if is_int(value) else str(value)


def text(value: Any) -> str:
    if isinstance(value, Fraction):
        return str(int(value)) if value.denominator == 1 else str(float(value))
    return str(value)


def axes_text(values: Any) -> str:
    parts = [text(v) for v in values]
    if not parts:
        return "-"
    return (" × " if any(" " in p for p in parts) else "x").join(parts)  # formulas have spaces


def padding_text(r: LayerResult) -> str:
    pad = r.effect.padding
    if pad is None:
        return ""
    if all(a == b for a, b in pad):
        return axes_text([a for a, _ in pad])
    return " ".join(f"{text(a)}+{text(b)}" for a, b in pad)


def type_text(r: LayerResult) -> str:
    kind = r.node.kind
    layer = r.node.layer
    if kind == "pool":
        kind = f"{getattr(layer, 'mode', '')}pool"
    if r.node.activation:
        kind += f"+{r.node.activation}"
    return kind


SHORT_TYPES = {
    "batchnorm": "bn",
    "conv_transpose": "deconv",
    "global_pool": "gpool",
    "leaky_relu": "lrelu",
}


def short_type(kind: str) -> str:
    """``batchnorm+relu`` → ``bn+relu``: layer types for a narrow table."""
    return "+".join(SHORT_TYPES.get(part, part) for part in kind.split("+"))


def short_shape(shape: str) -> str:
    """``[56, 56, 64]`` → ``56x56x64``: shapes for a narrow table, as the header writes them."""
    if not (shape.startswith("[") and shape.endswith("]")):
        return shape
    return axes_text(shape[1:-1].split(", "))


def share(part: Any, whole: Any) -> Any:
    if is_int(part) and is_int(whole):
        return Fraction(part, whole) if whole else Fraction(0)
    return None


ESTIMATE_NOTE = (
    "estimate: cnncalc cannot follow every unit's field here (up-sampling of a symbolic "
    "size other than nearest by a whole scale, merged fields whose strides differ, a size-1 "
    "axis (or one that may be 1) broadcast over a symbolic size, a pattern longer than 512 "
    "units), so the size, stride and start come from the closed formulas"
)


def estimate_notes(a: Analysis, mark: str) -> list[str]:
    return [f"{mark}{ESTIMATE_NOTE}"] if any(r.field.estimate for r in a.layers) else []


# --------------------------------------------------------------------------- tables


def header(a: Analysis) -> str:
    net = a.network
    ins = ", ".join(axes_text(s) for s in net.inputs.values())
    outs = ", ".join(axes_text(s) for s in a.outputs.values())
    return f"{net.name}: {ins} → {outs}"


def binary_size(n: Any) -> str:
    """1,048,576 → '1.00 MiB'; the exact byte count is given alongside."""
    if not is_int(n):
        return f"{n} bytes"
    value, unit = float(n), "bytes"
    for step in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, step
    shown = f"{n:,} bytes" if unit == "bytes" else f"{value:.2f} {unit} ({n:,} bytes)"
    return shown


def memory_notes(t: Totals, dtype: str) -> list[str]:
    size = DTYPE_BYTES[dtype]
    return [
        f"parameter memory: {binary_size(t.params * size)} as {dtype}",
        f"activation memory: {binary_size(t.activations * size)} as {dtype} "
        "(one sample, every layer output)",
    ]


def formula_notes(a: Analysis) -> list[str]:
    """How to read counts that are formulas (only when the input has size symbols)."""
    if not has_symbols(a):
        return []
    from cnncalc.reports.formula_report import table_notes

    return table_notes(a)


def warning_lines(a: Analysis) -> list[str]:
    return [f"{r.name}: {w.message}" for r in a.layers for w in r.warnings]


def base_row(r: LayerResult) -> list[Any]:
    return [r.name, type_text(r)]


BASE = [
    Column("name", "Layer", fold=True),
    Column("type", "Type", fold=True, optional=True, abbreviate=short_type),
]


def shapes_table(a: Analysis, dtype: str) -> Table:
    branched = any(
        len(r.inputs) > 1 or (i and r.inputs != (a.layers[i - 1].name,))
        for i, r in enumerate(a.layers)
    )
    cols = BASE + [Column("config", "Config", fold=True, optional=True)]
    if branched:
        cols.append(Column("inputs", "Inputs", fold=True, optional=True))
    cols += [Column("output", "Output", abbreviate=short_shape), Column("padding", "Padding")]
    rows = []
    for r in a.layers:
        row = base_row(r) + [r.node.layer.describe()]
        if branched:
            row.append(", ".join(r.inputs))
        rows.append(row + [fmt_shape(r.shape), padding_text(r)])
    return Table(header(a), cols, rows, warnings=warning_lines(a))


def params_table(a: Analysis, dtype: str) -> Table:
    t = a.totals
    cols = BASE + [
        Column("output", "Output", abbreviate=short_shape),
        Column("params", "Params", COUNT),
        Column("trainable", "Trainable", COUNT, optional=True),
        Column("frozen", "Non-trainable", COUNT, optional=True),
        Column("share", "Share", SHARE, optional=True),
    ]
    rows = []
    for r in a.layers:
        lt = r.totals
        name = r.name + (f" (shares {r.shared_from})" if r.shared_from else "")
        rows.append(
            [
                name,
                type_text(r),
                fmt_shape(r.shape),
                lt.params,
                lt.trainable_params,
                lt.frozen_params,
                share(lt.params, t.params),
            ]
        )
    totals = [
        "Total",
        "",
        "",
        t.params,
        t.trainable_params,
        t.frozen_params,
        share(t.params, t.params),
    ]
    notes = memory_notes(t, dtype)[:1] + formula_notes(a)
    return Table(header(a), cols, rows, totals, notes, warning_lines(a))


def field_table(a: Analysis, dtype: str) -> Table:
    merges = any(r.field_via for r in a.layers)
    cols = BASE + [
        Column("output", "Output", abbreviate=short_shape),
        Column("size", "Size"),
        Column("stride", "Stride"),
        Column("start", "Start"),
        Column("eff_pad", "Eff. padding", optional=True),
    ]
    if merges:
        cols.append(Column("via", "Widest input", fold=True, optional=True))
    rows = []
    for r in a.layers:
        f = r.field
        row = base_row(r) + [
            fmt_shape(r.shape),
            axes_text(f.size)
            + (" (global)" if f.is_global else "")
            + (" (estimate)" if f.estimate else ""),
            axes_text(f.stride),
            axes_text(f.start),
            axes_text(effective_padding(r)),
        ]
        rows.append(row + [r.field_via or ""] if merges else row)
    notes = [
        "size r, stride j and start s per spatial axis, in input pixels; "
        "effective padding = (r - 1)/2 - s"
    ]
    if merges:
        notes.append("widest input: at a merge, the input whose field sets the merged field")
    notes += estimate_notes(a, "")
    return Table(header(a), cols, rows, notes=notes, warnings=warning_lines(a))


def macs_table(a: Analysis, dtype: str) -> Table:
    t = a.totals
    cols = BASE + [
        Column("output", "Output", abbreviate=short_shape),
        Column("macs", "MACs", COUNT),
        Column("share", "Share", SHARE, optional=True),
    ]
    rows = [
        base_row(r) + [fmt_shape(r.shape), r.effect.macs, share(r.effect.macs, t.macs)]
        for r in a.layers
    ]
    totals = ["Total", "", "", t.macs, share(t.macs, t.macs)]
    notes = [f"FLOPs = 2 x MACs = {count(2 * t.macs)}"] + formula_notes(a)
    return Table(header(a), cols, rows, totals, notes, warning_lines(a))


def summary_table(a: Analysis, dtype: str) -> Table:
    t = a.totals
    cols = BASE + [
        Column("output", "Output", abbreviate=short_shape),
        Column("params", "Params", COUNT),
        Column("trainable", "Trainable", COUNT, csv_only=True),
        Column("macs", "MACs", COUNT),
        Column("field", "Field", optional=True),
        Column("activations", "Activations", COUNT, optional=True),
    ]
    rows = []
    for r in a.layers:
        lt = r.totals
        name = r.name + (f" (shares {r.shared_from})" if r.shared_from else "")
        field_size = (
            axes_text(r.field.size)
            + ("*" if r.field.is_global else "")
            + ("~" if r.field.estimate else "")
        )
        rows.append(
            [
                name,
                type_text(r),
                fmt_shape(r.shape),
                lt.params,
                lt.trainable_params,
                lt.macs,
                field_size,
                lt.activations,
            ]
        )
    totals = ["Total", "", "", t.params, t.trainable_params, t.macs, "", t.activations]
    notes = [
        f"trainable parameters: {count(t.trainable_params)}, "
        f"non-trainable: {count(t.frozen_params)}",
        *memory_notes(t, dtype),
        "field: receptive-field size; * sees the whole input",
        *estimate_notes(a, "~ an "),
        *formula_notes(a),
    ]
    return Table(header(a), cols, rows, totals, notes, warning_lines(a))


def by_type_table(a: Analysis, dtype: str) -> Table:
    from cnncalc.reports.fold import by_type

    t = a.totals
    cols = [
        Column("type", "Type", fold=True),
        Column("count", "Layers", COUNT),
        Column("params", "Params", COUNT),
        Column("params_share", "Params share", SHARE, optional=True),
        Column("macs", "MACs", COUNT),
        Column("macs_share", "MACs share", SHARE, optional=True),
    ]
    rows = [
        [
            k.kind,
            k.count,
            k.totals.params,
            share(k.totals.params, t.params),
            k.totals.macs,
            share(k.totals.macs, t.macs),
        ]
        for k in by_type(a)
    ]
    totals = [
        "Total",
        len(a.layers),
        t.params,
        share(t.params, t.params),
        t.macs,
        share(t.macs, t.macs),
    ]
    return Table(header(a) + " (by layer type)", cols, rows, totals)


def with_warnings(make: Callable[[Analysis, str], Table]) -> Callable[[Analysis, str], Table]:
    """A report whose rows are the layers, with each layer's warnings in a CSV column."""

    def table(a: Analysis, dtype: str) -> Table:
        t = make(a, dtype)
        t.columns = t.columns + [Column("warnings", "Warnings", csv_only=True)]
        for row, r in zip(t.rows, a.layers, strict=True):
            row.append("; ".join(w.message for w in r.warnings))
        if t.totals is not None:
            t.totals = t.totals + [""]
        return t

    return table


TABLES: dict[str, Callable[[Analysis, str], Table]] = {
    "shapes": with_warnings(shapes_table),
    "params": with_warnings(params_table),
    "receptive-field": with_warnings(field_table),
    "macs": with_warnings(macs_table),
    "summary": with_warnings(summary_table),
}
