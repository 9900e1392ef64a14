"""Folding the small subgraphs that compute shapes, scales and pads (Shape → Gather → Concat …).

Exporters leave these in a graph when they cannot fold them; their values decide
what a Reshape or Resize does. Only a handful of integer operators are evaluated,
each on at most ``MAX_FOLDED`` values, with numpy: nothing of the file is run.
"""

from __future__ import annotations

from typing import Any

from cnncalc.interop.onnx_graph import MAX_FOLDED, Const, Graph

FOLDABLE = {
    "Constant",
    "Identity",
    "Cast",
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Slice",
    "Reshape",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Floor",
    "Ceil",
    "ConstantOfShape",
}


def attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def fold(node: Any, g: Graph) -> bool:
    """Evaluate ``node`` when every input is a known constant; False when it is a layer."""
    op = node.op_type
    if op not in FOLDABLE or len(node.output) != 1:
        return False
    if op == "Shape":
        dims = g.dims(node.input[0])
        if dims is None or any(d is None for d in dims):
            return False
        a = attrs(node)
        start, end = a.get("start", 0), a.get("end", len(dims))
        return put(g, node, ints(dims[start:end]))
    if op == "Identity" and g.const(node.input[0]) is not None:
        g.consts[node.output[0]] = g.consts[node.input[0]]  # a shared weight: dims suffice
        return True
    if op == "Constant":
        return constant(node, g)
    inputs = [g.const(i) if i else None for i in node.input]
    if any(i and (c is None or c.value is None) for i, c in zip(node.input, inputs, strict=True)):
        return False
    import numpy as np

    v = [c.value if c is not None else None for c in inputs]
    a = attrs(node)
    try:
        with np.errstate(all="raise"):
            out = evaluate(np, op, v, a)
    except Exception:  # an input this small evaluator does not handle: a layer, or refused
        return False
    return out is not None and put(g, node, out)


def evaluate(np: Any, op: str, v: list[Any], a: dict[str, Any]) -> Any:
    x = v[0]
    if op == "Cast" or op == "Identity":
        return x
    if op == "Gather":
        return np.take(x, v[1], axis=a.get("axis", 0))
    if op in ("Unsqueeze", "Squeeze"):
        axes = a.get("axes") if len(v) < 2 or v[1] is None else v[1].tolist()
        if op == "Squeeze":
            return np.squeeze(x, axis=tuple(axes) if axes is not None else None)
        if axes is None:
            return None
        for ax in sorted(int(k) % (x.ndim + len(axes)) for k in axes):
            x = np.expand_dims(x, ax)
        return x
    if op == "Concat":
        return np.concatenate([np.atleast_1d(t) for t in v], axis=a.get("axis", 0))
    if op == "Slice":
        starts, ends = v[1].tolist(), v[2].tolist()
        axes = v[3].tolist() if len(v) > 3 and v[3] is not None else list(range(len(starts)))
        steps = v[4].tolist() if len(v) > 4 and v[4] is not None else [1] * len(starts)
        index = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps, strict=True):
            index[ax] = slice(s, e, st)
        return x[tuple(index)]
    if op == "Reshape":
        return x.reshape([int(d) if d != 0 else x.shape[k] for k, d in enumerate(v[1])])
    if op in ("Add", "Sub", "Mul", "Div"):
        if op == "Div" and x.dtype.kind in "iu":
            return x // v[1]
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](
            x, v[1]
        )
    if op in ("Floor", "Ceil"):
        return np.floor(x) if op == "Floor" else np.ceil(x)
    if op == "ConstantOfShape":
        shape = [int(d) for d in x]
        if int(np.prod(shape)) > MAX_FOLDED:
            return None
        from onnx import numpy_helper

        fill = np.zeros(1, np.float32)
        if "value" in a:
            fill = numpy_helper.to_array(a["value"])
        return np.full(shape, fill.reshape(-1)[0])
    return None


def constant(node: Any, g: Graph) -> bool:
    import numpy as np
    from onnx import numpy_helper

    a = node.attribute[0] if node.attribute else None
    if a is None:
        return False
    if a.name == "value":
        g.consts[node.output[0]] = Const(tuple(int(d) for d in a.t.dims))
        if len(a.t.dims) == 0 or g.consts[node.output[0]].size <= MAX_FOLDED:
            g.consts[node.output[0]].value = numpy_helper.to_array(a.t)
        return True
    simple = {
        "value_int": lambda: np.array(a.i, np.int64),
        "value_ints": lambda: np.array(list(a.ints), np.int64),
        "value_float": lambda: np.array(a.f, np.float32),
        "value_floats": lambda: np.array(list(a.floats), np.float32),
    }
    if a.name not in simple:
        return False
    return put(g, node, simple[a.name]())  # type: ignore[no-untyped-call]


def ints(values: list[Any]) -> Any:
    import numpy as np

    return np.array([int(d) for d in values], np.int64)


def put(g: Graph, node: Any, value: Any) -> bool:
    import numpy as np

    value = np.asarray(value)
    if value.size > MAX_FOLDED:
        return False
    g.consts[node.output[0]] = Const(tuple(int(d) for d in value.shape), value)
    return True
