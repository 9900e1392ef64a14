"""ONNX import: an ``.onnx`` file → cnncalc TOML, read with the ``onnx`` package alone.

ONNX tensors are channels-first (N, C, spatial…); cnncalc's are channels-last without
the batch. Each tensor keeps its layout: ``cf`` (N, C, …), ``cl`` (N, …, C: after a
Transpose that is a layout change, as ConvNeXt's LayerNorm makes) or ``flat`` (N, F).
Initializers are the parameters: a node's weight inputs decide its cnncalc keys
(a conv's bias, a PReLU's slopes), and cnncalc counts them from the shapes.
"""

from __future__ import annotations

import os

from cnncalc.errors import CnnCalcError
from cnncalc.interop.imported import Imported, Refused, layer_name
from cnncalc.interop.onnx_fold import attrs, fold
from cnncalc.interop.onnx_graph import Graph
from cnncalc.interop.onnx_ops import OPS
from cnncalc.interop.onnx_shapes import BIAS_TAKERS  # noqa: F401  (registers its operators)
from cnncalc.interop.onnx_translate import Translator


def import_onnx(path: str, shapes: dict[str, list[int]], max_layers: int) -> Imported:
    """Translate the ONNX file at ``path``; ``shapes`` replaces inputs (cnncalc's order)."""
    g = Graph(path, shapes, max_layers)
    stem = os.path.splitext(os.path.basename(path))[0]
    single = len(g.inputs) == 1
    taken = {"input"}
    names = {i: ("input" if single else layer_name(i, "input", taken)) for i in g.inputs}
    net = Imported(
        stem or "model",
        {names[i]: dims for i, dims in g.inputs.items()},
        origin=f"the ONNX file {os.path.basename(path)}",
    )
    t = Translator(g, net)
    for i, name in names.items():
        t.ref[i] = name
        t.layout[i] = "flat" if g.input_rank[i] == 2 else "cf"
    t.prepare()
    for node in g.nodes:
        if fold(node, g):
            continue
        handler = OPS.get(node.op_type)
        if node.domain not in ("", "ai.onnx") or handler is None:
            t.refuse(node, "no cnncalc translation")
            continue
        try:
            handler(t, node, attrs(node))
        except Refused as refused:
            t.refuse(node, str(refused))
    if t.untranslated:
        shown = t.untranslated[:5]
        more = len(t.untranslated) - len(shown)
        raise CnnCalcError(
            "no cnncalc layer for " + "; ".join(shown) + (f"; and {more} more" if more > 0 else ""),
            file=path,
        )
    outs = []
    for o in g.outputs:
        if o in t.failed:
            continue
        if o not in t.ref or o in g.inputs:
            raise CnnCalcError(f"graph output '{o}' is not computed by a layer", file=path)
        outs.append(t.ref[o])
    net.outputs = outs
    if not net.layers:
        raise CnnCalcError("the graph has no layers", file=path)
    return net
