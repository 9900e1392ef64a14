"""One self-contained HTML page per file: summary, diagram, sortable tables, cost charts, warnings.

Everything is inline (CSS, SVG, a little vanilla JavaScript) and a Content
Security Policy forbids the page from fetching anything, so it can be
published as a CI artifact and opened anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

from cnncalc import __version__
from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.errors import CnnCalcError
from cnncalc.render.diagram import svg
from cnncalc.render.plots import Chart, Series, by_kind, by_layer, field_growth, saved_chart
from cnncalc.reports.fold import fold
from cnncalc.reports.jsonreport import DTYPE_BYTES
from cnncalc.reports.tables import axes_text, header, padding_text, share, type_text
from cnncalc.symbolic.arith import Size, is_int

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
:root { color-scheme: light; --ink: #1d2329; --muted: #5b6670; --line: #d7dde2;
  --accent: #3b6ea5; --bar: #6f9bd1; --bar2: #d08a4e; --warn: #9a5b00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f6f8fa; }
header.page, main { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header.page { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
nav ul { padding-left: 20px; margin: 6px 0; }
section.network { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 4px 18px 18px; margin: 18px 0; }
.muted { color: var(--muted); }
dl.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
  gap: 8px; margin: 0; }
dl.summary div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
dl.summary dt { font-size: 12px; color: var(--muted); }
dl.summary dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
details > summary { cursor: pointer; font-weight: 600; margin: 14px 0 6px; }
.diagram { overflow: auto; max-height: 80vh; border: 1px solid var(--line); border-radius: 6px; }
.diagram svg { display: block; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.layers thead th { position: sticky; top: 0; background: #eef2f5; }
table.layers th button { font: inherit; font-weight: 600; border: 0; background: none;
  padding: 0; cursor: pointer; color: inherit; }
table.layers th[aria-sort="ascending"] button::after { content: " \\25B2"; }
table.layers th[aria-sort="descending"] button::after { content: " \\25BC"; }
table.layers tbody tr:hover { background: #f1f6fb; }
tr.warned td:first-child { border-left: 3px solid var(--warn); }
table.chart td.bar { width: 40%; min-width: 120px; }
table.chart td.bar span { display: block; height: 12px; background: var(--bar);
  border-radius: 2px; }
table.chart td.bar.s1 span { background: var(--bar2); }
ul.warnings li { color: var(--warn); }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
footer { max-width: 1200px; margin: 0 auto; padding: 10px 20px 30px; color: var(--muted); }
"""

SCRIPT = """
"use strict";
(function () {
  function sortKey(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw !== null && raw !== "" && !isNaN(Number(raw))) {
      return { number: Number(raw) };
    }
    return { text: cell.textContent.trim() };
  }
  function compare(a, b) {
    if ("number" in a && "number" in b) { return a.number - b.number; }
    if ("number" in a) { return -1; }
    if ("number" in b) { return 1; }
    return a.text.localeCompare(b.text);
  }
  function sortTable(table, column, direction) {
    var heads = table.tHead.rows[0].cells;
    var index = -1;
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].getAttribute("data-key") === column) { index = i; }
      heads[i].removeAttribute("aria-sort");
    }
    if (index < 0) { return; }
    heads[index].setAttribute("aria-sort", direction);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var c = compare(sortKey(r1.cells[index]), sortKey(r2.cells[index]));
      if (direction === "descending") { c = -c; }
      if (c === 0) { c = Number(r1.dataset.index) - Number(r2.dataset.index); }
      return c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var next = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
        if (th.getAttribute("aria-sort") === null && !th.classList.contains("num")) {
          next = "ascending";
        }
        sortTable(table, th.getAttribute("data-key"), next);
      });
    });
  });
  var wanted = /^#sort=([^:]+):([^:]+):(ascending|descending)$/.exec(window.location.hash);
  if (wanted) {
    var table = document.getElementById(decodeURIComponent(wanted[1]));
    if (table) { sortTable(table, decodeURIComponent(wanted[2]), wanted[3]); }
  }
  document.documentElement.setAttribute("data-ready", "true");
})();
"""


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def exact(value: Size) -> str:
    return f"{value:,}" if is_int(value) else str(value)


def slug(text: str, taken: set[str]) -> str:
    """An id safe in HTML and in a URL fragment, unique on the page."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "network"
    found, k = base, 2
    while found in taken:
        found, k = f"{base}-{k}", k + 1
    taken.add(found)
    return found


# --------------------------------------------------------------------------- parts


def summary(a: Analysis, dtype: str) -> str:
    t = a.totals
    net = a.network
    size = DTYPE_BYTES[dtype]
    ins = ", ".join(
        f"{k} {axes_text(v)}" if len(net.inputs) > 1 else axes_text(v)
        for k, v in net.inputs.items()
    )
    outs = ", ".join(axes_text(v) for v in a.outputs.values())
    facts = [
        ("Input", ins),
        ("Output", outs),
        ("Layers", str(len(a.layers))),
        ("Parameters", exact(t.params)),
        ("Trainable / non-trainable", f"{exact(t.trainable_params)} / {exact(t.frozen_params)}"),
        ("MACs", exact(t.macs)),
        ("FLOPs (2 × MACs)", exact(2 * t.macs)),
        ("Activations", exact(t.activations)),
        (f"Parameter memory ({dtype})", f"{exact(t.params * size)} bytes"),
        (f"Activation memory ({dtype})", f"{exact(t.activations * size)} bytes"),
        ("Warnings", str(len(a.warnings))),
    ]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    return f'<dl class="summary">{items}</dl>'


COLUMNS = (
    ("index", "#", True),
    ("name", "Layer", False),
    ("type", "Type", False),
    ("config", "Config", False),
    ("inputs", "Inputs", False),
    ("output", "Output", False),
    ("padding", "Padding", False),
    ("params", "Params", True),
    ("macs", "MACs", True),
    ("share", "MAC share", True),
    ("field", "Field", True),
    ("stride", "Field stride", True),
    ("activations", "Activations", True),
)


def sort_value(value: Any) -> str:
    return str(value) if is_int(value) else ""


def layer_row(i: int, r: LayerResult, a: Analysis) -> str:
    lt = r.totals
    f = r.field
    field_value = max(f.size) if f.size and all(is_int(v) for v in f.size) else None
    stride_value = max(f.stride) if f.stride and all(is_int(v) for v in f.stride) else None
    mac_share = share(r.effect.macs, a.totals.macs)
    name = r.name + (f" (shares {r.shared_from})" if r.shared_from else "")
    cells = [
        (str(i + 1), str(i + 1)),
        (name, None),
        (type_text(r), None),
        (r.node.layer.describe(), None),
        (", ".join(r.inputs), None),
        (axes_text(r.shape), None),
        (padding_text(r), None),
        (exact(lt.params), sort_value(lt.params)),
        (exact(r.effect.macs), sort_value(r.effect.macs)),
        (
            "" if mac_share is None else f"{float(mac_share) * 100:.1f}%",
            "" if mac_share is None else f"{float(mac_share):.6f}",
        ),
        (axes_text(f.size) + (" (global)" if f.is_global else ""), sort_value(field_value)),
        (axes_text(f.stride), sort_value(stride_value)),
        (exact(lt.activations), sort_value(lt.activations)),
    ]
    tds = []
    for (text, key), (_, _, numeric) in zip(cells, COLUMNS, strict=True):
        attrs = ' class="num"' if numeric else ""
        if key is not None:
            attrs += f' data-sort="{esc(key)}"'
        tds.append(f"<td{attrs}>{esc(text)}</td>")
    warned = ' class="warned"' if r.warnings else ""
    title = f' title="{esc("; ".join(w.message for w in r.warnings))}"' if r.warnings else ""
    return f'<tr data-index="{i}"{warned}{title}>' + "".join(tds) + "</tr>"


def layer_table(a: Analysis, table_id: str) -> str:
    heads = "".join(
        f'<th data-key="{key}"{" class=" + chr(34) + "num" + chr(34) if numeric else ""}>'
        f'<button type="button">{esc(title)}</button></th>'
        for key, title, numeric in COLUMNS
    )
    rows = "\n".join(layer_row(i, r, a) for i, r in enumerate(a.layers))
    t = a.totals
    foot = (
        f'<tr><th colspan="7">Total</th><td class="num">{exact(t.params)}</td>'
        f'<td class="num">{exact(t.macs)}</td><td></td><td></td><td></td>'
        f'<td class="num">{exact(t.activations)}</td></tr>'
    )
    return (
        f'<div class="scroll"><table class="layers sortable" id="{esc(table_id)}">'
        f"<thead><tr>{heads}</tr></thead>\n<tbody>\n{rows}\n</tbody>"
        f"<tfoot>{foot}</tfoot></table></div>"
    )


def combine(title: str, charts: Sequence[Chart]) -> Chart:
    """Charts over the same rows side by side, as one chart of several series."""
    series: list[Series] = [s for c in charts for s in c.series]
    return Chart(title, list(charts[0].labels), series)


def chart_table(chart: Chart, caption: str) -> str:
    heads = "".join(f'<th colspan="2">{esc(s.title)}</th>' for s in chart.series)
    most = [max((v for v in s.values if v is not None), default=0.0) for s in chart.series]
    rows = []
    for i, label in enumerate(chart.labels):
        cells = []
        for k, s in enumerate(chart.series):
            value = s.values[i]
            width = 0.0 if value is None or most[k] <= 0 else value / most[k] * 100
            cells.append(
                f'<td class="bar s{k % 2}"><span style="width:{width:.2f}%"></span></td>'
                f'<td class="num">{esc(s.texts[i])}</td>'
            )
        rows.append(f"<tr><th>{esc(label)}</th>{''.join(cells)}</tr>")
    return (
        f'<div class="scroll"><table class="chart" aria-label="{esc(caption)}">'
        f"<thead><tr><th></th>{heads}</tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table></div>"
    )


def warnings_list(a: Analysis) -> str:
    if not a.warnings:
        return '<p class="muted">No warnings.</p>'
    items = "".join(
        f"<li><code>{esc(r.name)}</code>: {esc(w.message)}</li>"
        for r in a.layers
        for w in r.warnings
    )
    return f'<ul class="warnings">{items}</ul>'


def memory_part(a: Analysis, dtype: str) -> str:
    """Training and inference memory at batch 1 (``cnncalc memory``'s defaults otherwise)."""
    from cnncalc.reports.memory import DTYPE_BYTES as MEMORY_DTYPES
    from cnncalc.reports.memory import Settings, measure

    if dtype not in MEMORY_DTYPES:
        return f'<p class="muted">No memory figures for {esc(dtype)}: training needs floats.</p>'
    try:
        m = measure(a, Settings(batch=1, dtype=dtype))
    except CnnCalcError as error:
        return f'<p class="muted">No memory figures: {esc(error.message)}</p>'
    facts = [
        ("Weights", m.weights_bytes),
        ("Gradients", m.gradients_bytes),
        ("Optimizer states (Adam)", m.optimizer_bytes),
        ("Saved for backward", m.saved_bytes),
        (f"Backward transient (at {m.backward_layer})", m.backward_bytes),
        ("Training peak", m.training_peak_bytes),
        (f"Inference peak (at {m.inference_peak_layer})", m.inference_peak_bytes),
    ]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(exact(v))} bytes</dd></div>" for k, v in facts)
    return (
        f'<p class="muted">Batch 1, {esc(dtype)}, CUDA, Adam; '
        "<code>cnncalc memory</code> gives other settings and the largest batch for a budget.</p>"
        f'<dl class="summary">{items}</dl>'
        + chart_table(saved_chart(a, m), "bytes saved for backward per layer")
    )


def section(a: Analysis, ident: str, dtype: str, depth: int | None, scale: str | None) -> str:
    name = a.network.name
    rows = fold(a, depth)  # the layer table and its chart fold as the diagram does
    per_layer = combine("per layer", [by_layer(rows, "macs"), by_layer(rows, "params")])
    per_kind = combine("per layer type", [by_kind(a, "macs"), by_kind(a, "params")])
    return f"""<section class="network" id="{esc(ident)}">
<h2>{esc(name)}</h2>
<p class="muted">{esc(header(a))}</p>
{summary(a, dtype)}
<details open><summary>Diagram</summary>
<div class="diagram">
{svg(a, depth, scale, id_prefix=ident + "-")}</div>
</details>
<details open><summary>Layers</summary>
<p class="muted">Click a column heading to sort.</p>
{layer_table(rows, ident + "-layers")}
</details>
<details open><summary>MACs and parameters per layer type</summary>
{chart_table(per_kind, "MACs and parameters per layer type")}
</details>
<details open><summary>MACs and parameters per layer</summary>
{chart_table(per_layer, "MACs and parameters per layer")}
</details>
<details><summary>Receptive field per layer</summary>
{chart_table(field_growth(a), "receptive-field size and stride per layer")}
</details>
<details><summary>Memory</summary>
{memory_part(a, dtype)}
</details>
<h3>Warnings</h3>
{warnings_list(a)}
</section>"""


def page(
    analyses: Sequence[Analysis],
    title: str,
    dtype: str = "float32",
    depth: int | None = None,
    scale: str | None = None,
) -> str:
    """The whole HTML document, as text."""
    taken: set[str] = set()
    ids = [slug(a.network.name, taken) for a in analyses]
    nav = ""
    if len(analyses) > 1:
        links = "".join(
            f'<li><a href="#{esc(i)}">{esc(a.network.name)}</a> '
            f'<span class="muted">{esc(header(a).split(": ", 1)[-1])}</span></li>'
            for i, a in zip(ids, analyses, strict=True)
        )
        nav = f"<nav><ul>{links}</ul></nav>"
    sections = "\n".join(
        section(a, i, dtype, depth, scale) for i, a in zip(ids, analyses, strict=True)
    )
    count = len(analyses)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cnncalc {esc(__version__)}">
<title>{esc(title)} · cnncalc report</title>
<link rel="icon" href="data:,">
<style>{STYLE}</style>
</head>
<body>
<header class="page">
<h1>{esc(title)}</h1>
<p class="muted">{count} network{"" if count == 1 else "s"} · shapes, parameters, MACs and \
receptive fields computed by cnncalc {esc(__version__)}</p>
{nav}
</header>
<main>
{sections}
</main>
<footer>Made with cnncalc {esc(__version__)}. MACs count one multiply-accumulate per weight \
that touches an output value; FLOPs = 2 × MACs.</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""
