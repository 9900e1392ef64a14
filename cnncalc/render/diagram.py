"""Architecture diagrams: Analysis → boxes and edges → SVG (our own layout) or Graphviz DOT.

The SVG is self-contained (no fonts, scripts or links fetched) and
deterministic: the same network gives the same bytes.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.errors import printable
from cnncalc.layers.base import fmt_shape
from cnncalc.render.layout import Box, Item, Layout, Route, layered
from cnncalc.reports.tables import axes_text, type_text
from cnncalc.symbolic.arith import Size, is_int

FONT = 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace'
CHAR_EM = 0.6  # advance of one monospace character, in ems
NAME_SIZE, DETAIL_SIZE, LABEL_SIZE = 12.0, 11.0, 10.0
PAD_X, BOX_HEIGHT, MIN_WIDTH = 10.0, 40.0, 72.0
STEM = 18.0
SCALE_WIDTH, SCALE_HEIGHT = 320.0, 150.0  # the costliest box under --scale
HEADER = 78.0

# Box colours (fill, stroke) by layer kind, in the order the legend lists them.
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "input / output": ("#ffffff", "#333333", ("input", "output")),
    "conv": ("#d4e4f7", "#3b6ea5", ("conv",)),
    "conv_transpose": ("#d3efe9", "#2b7d6f", ("conv_transpose",)),
    "pool": ("#dcefd3", "#4d8a3a", ("pool", "global_pool")),
    "fc": ("#fde3c8", "#bf7426", ("fc",)),
    "batchnorm": ("#fff3c4", "#a88f1c", ("batchnorm",)),
    "activation, dropout": (
        "#ececec",
        "#777777",
        ("relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "dropout", "lrn"),
    ),
    "merge (add, concat)": ("#f7d0d0", "#b2443f", ("add", "concat")),
    "reshape": ("#e7ddf3", "#7857a6", ("flatten", "reshape")),
    "upsample": ("#f6dcea", "#a64d7e", ("upsample",)),
    "block": ("#dde5ea", "#45606f", ("block",)),
}
GROUP_OF = {kind: group for group, (_, _, kinds) in GROUPS.items() for kind in kinds}
PILLS = ("input", "output", "add", "concat")


# --------------------------------------------------------------------------- the graph


@dataclass(frozen=True)
class Unit:
    """One box: a layer, a folded block instance, a network input or an output."""

    id: str
    name: str
    kind: str  # a layer kind, or "block", "input", "output"
    detail: str
    params: Size = 0
    macs: Size = 0
    layers: tuple[str, ...] = ()
    shape: str = ""

    @property
    def group(self) -> str:
        return GROUP_OF.get(self.kind, "reshape")

    def tooltip(self) -> str:
        lines = [self.name, self.detail]
        if self.shape:
            lines.append(f"output {self.shape}")
        if self.kind not in ("input", "output"):
            lines.append(f"params {count(self.params)}, MACs {count(self.macs)}")
        if len(self.layers) > 1:
            lines.append(f"{len(self.layers)} layers")
        return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Graph:
    name: str
    caption: str
    units: list[Unit]
    links: list[Link]


def shape_text(shape: Sequence[Size]) -> str:
    """``28x28x6``; symbolic sizes keep brackets and commas to stay clear: ``[H - 2, 8]``."""
    return axes_text(shape) if all(is_int(v) for v in shape) else fmt_shape(shape)


def count(value: Size) -> str:
    return f"{value:,}" if is_int(value) else str(value)


def instances(r: LayerResult, blocks: dict[str, str]) -> list[str]:
    """The block instances a layer sits in, outermost first (dotted prefixes of its block)."""
    block = r.node.block
    if block is None:
        return []
    parts = block.split(".")
    chain = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return [c for c in chain if c in blocks] or [block]


def layer_detail(r: LayerResult) -> str:
    layer = r.node.layer
    config = layer.describe()
    if r.node.kind == "pool":
        config = config.removeprefix(f"{getattr(layer, 'mode', '')} ")
    if r.node.kind in ("add", "concat"):
        config = f"{len(r.inputs)} inputs"
    text = f"{type_text(r)} {config}".strip()
    if r.shared_from is not None:
        text += f" (shares {r.shared_from})"
    return text


def build(a: Analysis, depth: int | None = None) -> Graph:
    """Boxes and edges; with ``depth``, block instances deeper than that are one box each."""
    net = a.network
    units: dict[str, Unit] = {}
    unit_of: dict[str, str] = {}  # layer or input name → unit id
    shape_of: dict[str, str] = {}
    for name, shape in net.inputs.items():
        uid = f"n{len(units)}"
        units[uid] = Unit(uid, name, "input", "network input", shape=shape_text(shape))
        unit_of[name] = uid
        shape_of[name] = shape_text(shape)
    folded: dict[str, str] = {}  # block instance → unit id
    members: dict[str, list[LayerResult]] = {}
    for r in a.layers:
        shape_of[r.name] = shape_text(r.shape)
        chain = instances(r, net.blocks)
        if depth is not None and len(chain) >= depth:
            instance = chain[depth - 1]
            if instance not in folded:
                uid = f"n{len(units)}"
                folded[instance] = uid
                units[uid] = Unit(uid, instance, "block", net.blocks.get(instance, "block"))
                members[uid] = []
            unit_of[r.name] = folded[instance]
            members[folded[instance]].append(r)
        else:
            uid = f"n{len(units)}"
            units[uid] = Unit(
                uid,
                r.name,
                r.node.kind,
                layer_detail(r),
                r.totals.params,
                r.effect.macs,
                (r.name,),
                shape_text(r.shape),
            )
            unit_of[r.name] = uid
    for uid, rs in members.items():
        u = units[uid]
        n = len(rs)
        detail = f"{u.detail} · {n} layer{'' if n == 1 else 's'}"
        owners = {unit_of.get(r.shared_from) for r in rs if r.shared_from is not None}
        if len(owners) == 1 and all(r.shared_from or not r.own_params for r in rs):
            owner = owners.pop()
            if owner is not None and owner != uid:
                detail += f" · shares {units[owner].name}"
        units[uid] = Unit(
            uid,
            u.name,
            "block",
            detail,
            sum((r.totals.params for r in rs), 0),
            sum((r.effect.macs for r in rs), 0),
            tuple(r.name for r in rs),
            shape_text(rs[-1].shape),
        )
    labels: dict[tuple[str, str], list[str]] = {}
    for r in a.layers:
        for name in r.inputs:
            pair = (unit_of[name], unit_of[r.name])
            if pair[0] != pair[1] and shape_of[name] not in labels.setdefault(pair, []):
                labels[pair].append(shape_of[name])
    for k, (name, shape) in enumerate(a.outputs.items()):
        uid = f"n{len(units)}"
        title = "output" if len(a.outputs) == 1 else f"output {k + 1}"
        units[uid] = Unit(uid, title, "output", name, shape=shape_text(shape))
        labels[(unit_of[name], uid)] = [shape_text(shape)]
    links = [Link(s, t, " | ".join(text)) for (s, t), text in labels.items()]
    t = a.totals
    ins = ", ".join(shape_text(s) for s in net.inputs.values())
    outs = ", ".join(shape_text(s) for s in a.outputs.values())
    caption = f"{ins} → {outs} · {count(t.params)} params · {count(t.macs)} MACs"
    return Graph(net.name, caption, list(units.values()), links)


# --------------------------------------------------------------------------- sizes


def text_width(text: str, size: float) -> float:
    """Width of monospace text; wide East Asian characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return cells * size * CHAR_EM


def cost(unit: Unit, scale: str | None) -> float | None:
    value = unit.params if scale == "params" else unit.macs
    return float(value) if is_int(value) and unit.kind not in ("input", "output") else None


def box_size(unit: Unit, scale: str | None, most: float) -> tuple[float, float]:
    """Big enough for the text; under ``scale``, area in proportion to the cost as well."""
    width = max(
        MIN_WIDTH,
        text_width(unit.name, NAME_SIZE) + 2 * PAD_X,
        text_width(unit.detail, DETAIL_SIZE) + 2 * PAD_X,
    )
    height = BOX_HEIGHT
    c = cost(unit, scale)
    if scale is not None and c is not None and most > 0:
        side = math.sqrt(c / most)
        width = max(width, SCALE_WIDTH * side)
        height = max(height, SCALE_HEIGHT * side)
    return round(width, 1), round(height, 1)


def stem_labels(graph: Graph) -> dict[str, str]:
    """The tensor shape written beside the edge that leaves each box."""
    out: dict[str, list[str]] = {}
    for link in graph.links:
        texts = out.setdefault(link.source, [])
        if link.label not in texts:
            texts.append(link.label)
    return {k: " | ".join(v) for k, v in out.items()}


def place(graph: Graph, scale: str | None = None) -> Layout:
    costs = [c for u in graph.units if (c := cost(u, scale)) is not None]
    most = max(costs, default=0.0)
    labels = stem_labels(graph)
    items = []
    for u in graph.units:
        w, h = box_size(u, scale, most)
        label = labels.get(u.id, "")
        right = text_width(label, LABEL_SIZE) + 8 if label else 0.0
        items.append(Item(u.id, w, h, round(right, 1)))
    return layered(items, [(link.source, link.target) for link in graph.links], stem=STEM)


# --------------------------------------------------------------------------- SVG


def esc(text: str) -> str:
    """Escape for XML text and attribute values alike; control characters, which XML
    forbids, are shown as escapes."""
    return (
        printable_lines(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def num(value: float) -> str:
    """Coordinates with at most one decimal, and no '-0' or '.0' noise."""
    text = f"{round(value, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def path_data(route: Route) -> str:
    points = route.points
    parts = [f"M{num(points[0][0])},{num(points[0][1])}"]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if (x0, y0) == (x1, y1):
            continue
        if x0 == x1:
            parts.append(f"V{num(y1)}")
        else:
            mid = (y0 + y1) / 2
            parts.append(f"C{num(x0)},{num(mid)} {num(x1)},{num(mid)} {num(x1)},{num(y1)}")
    return " ".join(parts)


def legend(kinds: Sequence[str], x: float, y: float) -> tuple[list[str], float]:
    groups = [g for g in GROUPS if any(GROUP_OF.get(k, "reshape") == g for k in kinds)]
    out, at = [], x
    for g in groups:
        fill, stroke, _ = GROUPS[g]
        out.append(
            f'<rect x="{num(at)}" y="{num(y)}" width="14" height="10" rx="2" '
            f'fill="{fill}" stroke="{stroke}"/>'
        )
        out.append(
            f'<text x="{num(at + 18)}" y="{num(y + 9)}" font-size="10" fill="#333333">'
            f"{esc(g)}</text>"
        )
        at += 18 + text_width(g, 10) + 14
    return out, at - 14


def svg(
    a: Analysis, depth: int | None = None, scale: str | None = None, id_prefix: str = ""
) -> str:
    """An ``<svg>`` element, without the XML declaration (for inlining in HTML)."""
    graph = build(a, depth)
    lay = place(graph, scale)
    units = {u.id: u for u in graph.units}
    labels = stem_labels(graph)
    title_w = text_width(graph.name, 14) + 24
    caption_w = text_width(graph.caption, 11) + 24
    legend_items, legend_end = legend([u.kind for u in graph.units], 12, 52)
    width = max(lay.width, title_w, caption_w, legend_end + 12)
    height = lay.height + HEADER
    arrow = f"{id_prefix}arrow"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" font-family="{esc(FONT)}" '
        f'role="img" aria-label="{esc(graph.name)}: {esc(graph.caption)}">',
        f"<title>{esc(graph.name)}: {esc(graph.caption)}</title>",
        "<defs>"
        f'<marker id="{esc(arrow)}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker>'
        "</defs>",
        f'<rect x="0" y="0" width="{num(width)}" height="{num(height)}" fill="#ffffff"/>',
        f'<text x="12" y="24" font-size="14" font-weight="bold" fill="#111111">'
        f"{esc(graph.name)}</text>",
        f'<text x="12" y="42" font-size="11" fill="#444444">{esc(graph.caption)}</text>',
        '<g class="legend">',
        *legend_items,
        "</g>",
        f'<g transform="translate(0,{num(HEADER)})">',
        '<g class="edges" fill="none" stroke="#555555" stroke-width="1.2">',
    ]
    for route in lay.routes:
        out.append(
            f'<path d="{path_data(route)}" marker-end="url(#{esc(arrow)})" '
            f'data-from="{esc(units[route.source].name)}" '
            f'data-to="{esc(units[route.target].name)}"/>'
        )
    out.append("</g>")
    out.append(f'<g class="shapes" font-size="{num(LABEL_SIZE)}" fill="#555555">')
    for uid, text in labels.items():
        box = lay.boxes[uid]
        band_bottom = lay.bands[box.rank][1]
        out.append(
            f'<text x="{num(box.x + 5)}" y="{num(band_bottom + STEM / 2 + 3.5)}">{esc(text)}</text>'
        )
    out.append("</g>")
    out.append('<g class="nodes">')
    for u in graph.units:
        out.extend(box_svg(u, lay.boxes[u.id]))
    out.append("</g>")
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def box_svg(u: Unit, box: Box) -> list[str]:
    fill, stroke, _ = GROUPS[u.group]
    rx = box.height / 2 if u.kind in PILLS and box.height <= BOX_HEIGHT else 6.0
    centre = box.y + box.height / 2
    wide = "2" if u.kind in ("add", "concat", "block") else "1.2"
    return [
        f'<g class="node" data-kind="{esc(u.kind)}" data-name="{esc(u.name)}">',
        f"<title>{esc(u.tooltip())}</title>",
        f'<rect x="{num(box.left)}" y="{num(box.y)}" width="{num(box.width)}" '
        f'height="{num(box.height)}" rx="{num(rx)}" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{wide}"/>',
        f'<text x="{num(box.x)}" y="{num(centre - 3)}" text-anchor="middle" '
        f'font-size="{num(NAME_SIZE)}" font-weight="bold" fill="#111111">{esc(u.name)}</text>',
        f'<text x="{num(box.x)}" y="{num(centre + 12)}" text-anchor="middle" '
        f'font-size="{num(DETAIL_SIZE)}" fill="#333333">{esc(u.detail)}</text>',
        "</g>",
    ]


def svg_document(a: Analysis, depth: int | None = None, scale: str | None = None) -> str:
    """A standalone .svg file."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg(a, depth, scale)


# --------------------------------------------------------------------------- DOT


def printable_lines(text: str) -> str:
    """Names from the file made printable, keeping the line breaks of tooltips and labels."""
    return "\n".join(printable(line) for line in text.split("\n"))


def dot_quote(text: str) -> str:
    """A DOT double-quoted string whose text Graphviz shows literally."""
    shown = printable_lines(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + shown.replace("\n", "\\n") + '"'


def dot(a: Analysis, depth: int | None = None, scale: str | None = None) -> str:
    """Graphviz DOT of the same boxes and edges, for users who render with Graphviz."""
    graph = build(a, depth)
    costs = [c for u in graph.units if (c := cost(u, scale)) is not None]
    most = max(costs, default=0.0)
    out = [
        f"digraph {dot_quote(graph.name)} {{",
        f"  graph [rankdir=TB, labelloc=t, fontname=Helvetica, "
        f"label={dot_quote(graph.name + ': ' + graph.caption)}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11];',
        '  edge [fontname=Helvetica, fontsize=9, color="#555555"];',
    ]
    for u in graph.units:
        fill, stroke, _ = GROUPS[u.group]
        attrs = [
            f"label={dot_quote(u.name + chr(10) + u.detail)}",
            f'fillcolor="{fill}"',
            f'color="{stroke}"',
            f"tooltip={dot_quote(u.tooltip())}",
        ]
        if u.kind in PILLS:
            attrs.append("shape=oval" if u.kind in ("input", "output") else "shape=hexagon")
        if scale is not None:
            w, h = box_size(u, scale, most)
            attrs.append(f"width={w / 72:.2f}, height={h / 72:.2f}")
        out.append(f"  {u.id} [{', '.join(attrs)}];")
    for link in graph.links:
        out.append(f"  {link.source} -> {link.target} [label={dot_quote(link.label)}];")
    out.append("}")
    return "\n".join(out) + "\n"
