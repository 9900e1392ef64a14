"""Charts of an analysis: cost per layer and per layer type, receptive-field growth.

A chart here holds labels, bar values and the text beside each bar; the
terminal renderer (render/formats.py) and the HTML report draw the same charts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.reports.tables import axes_text, header, share, text, type_text
from cnncalc.symbolic.arith import Size, is_int

PLOTS = ("macs", "params", "receptive-field")


@dataclass(frozen=True)
class Series:
    """One column of bars: a value per row (None: nothing to draw) and the text beside it."""

    title: str
    values: list[float | None]
    texts: list[str]


@dataclass
class Chart:
    title: str
    labels: list[str]
    series: list[Series]
    notes: list[str] = field(default_factory=list)


def bar_value(value: Any) -> float | None:
    """A number a bar can be drawn for; symbolic sizes have none."""
    if is_int(value) or isinstance(value, Fraction | float):
        return float(value)
    return None


def short(value: Size) -> str:
    """138357544 → '138.36 M'; exact below a thousand and for symbols."""
    if not is_int(value):
        return text(value)
    for size, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if abs(value) >= size:
            return f"{value / size:.2f} {unit}"
    return str(value)


def percent(part: Size, whole: Size) -> str:
    s = share(part, whole)
    return "" if s is None else f"{float(s) * 100:.1f}%"


def cost_of(metric: str) -> Callable[[LayerResult], Size]:
    if metric == "macs":
        return lambda r: r.effect.macs
    return lambda r: r.totals.params


def by_layer(a: Analysis, metric: str) -> Chart:
    """MACs or parameters of every layer, with its share of the network's total."""
    value = cost_of(metric)
    whole = a.totals.macs if metric == "macs" else a.totals.params
    values = [value(r) for r in a.layers]
    label = "MACs" if metric == "macs" else "Params"
    series = Series(
        label,
        [bar_value(v) for v in values],
        [f"{short(v)} {percent(v, whole)}".strip() for v in values],
    )
    notes = [f"total {label}: {whole:,}" if is_int(whole) else f"total {label}: {whole}"]
    return Chart(f"{header(a)} · {label} per layer", [r.name for r in a.layers], [series], notes)


def kinds(a: Analysis, metric: str) -> tuple[list[str], list[Size]]:
    """Layer types in order of first use, with the summed cost of each."""
    value = cost_of(metric)
    totals: dict[str, Size] = {}
    for r in a.layers:
        kind = type_text(r).split("+", 1)[0]
        totals[kind] = totals.get(kind, 0) + value(r)
    return list(totals), list(totals.values())


def by_kind(a: Analysis, metric: str) -> Chart:
    whole = a.totals.macs if metric == "macs" else a.totals.params
    names, values = kinds(a, metric)
    label = "MACs" if metric == "macs" else "Params"
    series = Series(
        label,
        [bar_value(v) for v in values],
        [f"{short(v)} {percent(v, whole)}".strip() for v in values],
    )
    return Chart(f"{a.network.name} · {label} per layer type", names, [series])


def field_growth(a: Analysis) -> Chart:
    """Receptive-field size and stride after each layer, in input pixels (largest axis)."""
    labels, sizes, size_texts, strides, stride_texts = [], [], [], [], []
    globals_: list[int] = []
    for name, f in a.input_fields.items():
        if f.size:
            labels.append(name)
            sizes.append(bar_value(max(f.size)))
            size_texts.append(axes_text(f.size))
            strides.append(bar_value(max(f.stride)))
            stride_texts.append(axes_text(f.stride))
    for r in a.layers:
        f = r.field
        labels.append(r.name)
        numeric = f.size and all(bar_value(v) is not None for v in f.size + f.stride)
        sizes.append(bar_value(max(f.size)) if numeric else None)
        size_texts.append(axes_text(f.size) + (" (global)" if f.is_global else ""))
        strides.append(bar_value(max(f.stride)) if numeric else None)
        stride_texts.append(axes_text(f.stride))
        if f.is_global:
            globals_.append(len(sizes) - 1)
    # A global field sees the whole input: its bar is as long as the longest, even where a
    # field before it (padding included) spanned more pixels than the input has.
    longest = max((v for v in sizes if v is not None), default=None)
    for i in globals_:
        if sizes[i] is not None:
            sizes[i] = longest
    return Chart(
        f"{header(a)} · receptive field",
        labels,
        [Series("Field size", sizes, size_texts), Series("Stride", strides, stride_texts)],
        [
            "size and stride in input pixels, per spatial axis; bars show the largest axis, "
            "and a global field (the whole input) in full"
        ],
    )


def charts(a: Analysis, report: str) -> list[Chart]:
    """The charts ``cnncalc REPORT --plot`` draws for one network."""
    if report == "receptive-field":
        return [field_growth(a)]
    return [by_layer(a, report), by_kind(a, report)]


def saved_chart(a: Analysis, m: Any) -> Chart:
    """Bytes each layer leaves for backward (a ``reports.memory.Memory``), as ``macs --plot``."""
    values = [lm.saved_bytes for lm in m.layers]
    series = Series(
        "Saved bytes",
        [bar_value(v) for v in values],
        [f"{short(v)} {percent(v, m.saved_bytes)}".strip() for v in values],
    )
    s = m.settings
    notes = [
        f"total saved for backward: {m.saved_bytes:,} bytes at batch {s.batch}, {s.dtype}, "
        f"{s.device}"
    ]
    return Chart(
        f"{header(a)} · saved for backward per layer", [r.name for r in a.layers], [series], notes
    )
