"""The ONNX operator table, continued: merges, layout, reshaping, padding and resampling."""

from __future__ import annotations

from typing import Any

from cnncalc.interop.imported import Refused, need
from cnncalc.interop.onnx_ops import compact, one, op, optional, text
from cnncalc.interop.onnx_translate import Translator

BIAS_TAKERS = ("fc", "conv", "conv_transpose", "scale")


def operands(t: Translator, node: Any) -> tuple[list[str], list[str]]:
    """A binary node's tensor inputs and constant inputs."""
    tensors: list[str] = []
    consts: list[str] = []
    for i in node.input:
        (consts if i in t.g.consts else tensors).append(i)
    return tensors, consts


def size_of(t: Translator, name: str) -> int:
    c = t.g.consts[name]
    return c.size


@op("Add", "Sub", "Mul", "Div")
def arithmetic(t: Translator, node: Any, a: dict[str, Any]) -> None:
    if id(node) in t.silu:
        return t.activation(node, "silu", x=t.silu[id(node)])
    tensors, consts = operands(t, node)
    if len(tensors) == 2:
        for i in range(2):
            t.tensor(node, i)
        if len({t.layout.get(i) for i in tensors} - {"flat"}) > 1:
            raise Refused("operands in different layouts")
        kind = "add" if node.op_type in ("Add", "Sub") else "multiply"
        need(kind)
        layout = max((t.layout.get(i, "cf") for i in tensors), key=lambda v: v != "flat")
        t.add(node, {"type": kind}, tensors, layout=layout)
        return None
    if len(tensors) != 1:
        raise Refused("both operands are constants")
    x = tensors[0]
    t.tensor(node, list(node.input).index(x))
    size = size_of(t, consts[0])
    if size == 1:  # a Python number in the model's code, not a parameter
        t.net.warnings.append(
            f"left out node '{node.name or node.output[0]}' ({node.op_type} by a constant "
            "number): no parameters, no change of shape"
        )
        return t.alias(node, x)
    channels = t.channels(x)
    if node.op_type == "Add":
        layer = t.made_by(x, *BIAS_TAKERS)
        wanted = layer and (layer.keys.get("units") or layer.keys.get("filters") or channels)
        if layer is not None and layer.keys.get("bias") is False and size == wanted:
            layer.keys["bias"] = True
            return t.alias(node, x)
        raise Refused(f"adds a constant of {size} values that no layer before takes as its bias")
    if node.op_type == "Mul" and size == channels:
        need("scale")
        t.add(node, {"type": "scale"}, [x])
        return None
    raise Refused(f"{node.op_type} by a constant of {size} values")


@op("Concat")
def concat(t: Translator, node: Any, a: dict[str, Any]) -> None:
    xs = [t.tensor(node, k) for k in range(len(node.input))]
    if len(xs) == 1:  # torch.cat of one tensor
        return t.alias(node, xs[0])
    if len({t.layout.get(x) for x in xs}) != 1:
        raise Refused("inputs in different layouts")
    if int(a["axis"]) % t.rank(xs[0]) != t.channel_axis(xs[0]):
        raise Refused("concatenation along an axis other than the channels")
    t.add(node, {"type": "concat"}, xs)


@op("Flatten")
def flatten(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    if int(a.get("axis", 1)) % max(t.rank(x), 1) != 1:
        raise Refused("Flatten that keeps more than the batch axis")
    if t.rank(x) == 2:
        return t.alias(node, x, "flat")
    t.add(node, {"type": "flatten"}, [x], layout="flat")


@op("Squeeze")
def squeeze(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    if t.rank(node.output[0]) != 2:
        raise Refused("Squeeze to anything but (N, features)")
    t.add(node, {"type": "flatten"}, [x], layout="flat")


@op("Reshape")
def reshape(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    out = t.g.dims(node.output[0])
    target = t.g.values(node.input[1]) if optional(node, 1) else None
    rank = len(out) if out is not None else len(target) if target is not None else None
    if rank == 2:
        if t.rank(x) == 2:
            t.alias(node, x, "flat")
        else:
            t.add(node, {"type": "flatten"}, [x], layout="flat")
        return
    if out is None or any(d is None for d in out):
        raise Refused("Reshape to sizes onnx.shape_inference cannot tell; give --input")
    if out[0] != 1:
        raise Refused("Reshape that folds the batch axis")
    dims = [int(d) for d in out[1:] if d is not None]
    layout = t.layout.get(x, "cf")
    shape = dims if len(dims) == 1 or layout == "cl" else [*dims[1:], dims[0]]
    if shape == t.shape(x):
        return t.alias(node, x)
    t.add(node, {"type": "reshape", "shape": shape}, [x], layout=layout if rank else "cf")


@op("Transpose")
def transpose(t: Translator, node: Any, a: dict[str, Any]) -> None:
    """Only a change of layout: channels to the end (NCHW → NHWC) or back."""
    x = t.tensor(node)
    r = t.rank(x)
    perm = [int(p) for p in a.get("perm", range(r - 1, -1, -1))]
    to_last = [0, *range(2, r), 1]
    to_first = [0, r - 1, *range(1, r - 1)]
    layout = t.layout.get(x, "cf")
    if perm == list(range(r)):
        return t.alias(node, x)
    if r > 2 and layout == "cf" and perm == to_last:
        return t.alias(node, x, "cl")
    if r > 2 and layout == "cl" and perm == to_first:
        return t.alias(node, x, "cf")
    raise Refused(f"Transpose {perm} of a {layout} tensor is not a change of layout")


@op("Pad")
def pad(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    r = t.rank(x)
    pads = a.get("pads") or (t.g.values(node.input[1]) if optional(node, 1) else None)
    if pads is None:
        raise Refused("its pads are computed")
    axes = list(range(r))
    if optional(node, 3):
        given = t.g.values(node.input[3])
        if given is None:
            raise Refused("its axes are computed")
        axes = [int(k) % r for k in given]
    full = [[0, 0] for _ in range(r)]
    for k, ax in enumerate(axes):
        full[ax] = [int(pads[k]), int(pads[k + len(axes)])]
    if t.layout.get(x) != "cf" or full[0] != [0, 0] or full[1] != [0, 0]:
        raise Refused("padding of the batch or channel axes")
    pairs = full[2:]
    mode = text(a.get("mode", "constant"))
    readers = t.readers.get(node.output[0], [])
    if (
        mode == "constant"
        and all(p >= 0 for pair in pairs for p in pair)
        and len(readers) == 1
        and readers[0] is not None
        and readers[0].op_type in ("Conv", "MaxPool", "AveragePool")
        and readers[0].input[0] == node.output[0]
    ):
        t.padded[node.output[0]] = (x, pairs)  # the reader's own padding
        return None
    modes = {"constant": "zero", "reflect": "reflect", "edge": "replicate"}
    if mode not in modes:
        raise Refused(f"Pad mode '{mode}'")
    need("pad", "padding", "mode")
    keys: dict[str, Any] = {"type": "pad", "padding": compact(pairs) or 0}
    if mode != "constant":
        keys["mode"] = modes[mode]
    t.add(node, keys, [x])


@op("Resize", "Upsample")
def resize(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    n = t.spatial(x)
    before = t.dims(x)[2:]
    after = (t.g.dims(node.output[0]) or [None] * (n + 2))[2:]
    if any(d is None for d in [*before, *after]):
        raise Refused("Resize to sizes onnx.shape_inference cannot tell; give --input")
    mode = text(a.get("mode", "nearest"))
    keys: dict[str, Any] = {"type": "upsample"}
    if all(b and o % b == 0 for b, o in zip(before, after, strict=True)):  # type: ignore[operator]
        keys["scale"] = one([o // b for b, o in zip(before, after, strict=True)])  # type: ignore[operator]
    else:
        need("upsample", "size")
        keys["size"] = one(list(after))
    if mode != "nearest":
        need("upsample", "mode")
        keys["mode"] = {"linear": ("linear", "bilinear", "trilinear")[n - 1], "cubic": "bicubic"}[
            mode
        ]
    if text(a.get("coordinate_transformation_mode", "")) == "align_corners":
        need("upsample", "align_corners")
        keys["align_corners"] = True
    t.add(node, keys, [x])


@op("DepthToSpace", "SpaceToDepth")
def depth_to_space(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    t.spatial(x)
    kind = "pixel_shuffle" if node.op_type == "DepthToSpace" else "pixel_unshuffle"
    need(kind, "factor")
    t.add(node, {"type": kind, "factor": int(a["blocksize"])}, [x])


def channel_range(t: Translator, x: str, start: int, end: int) -> dict[str, Any]:
    need("slice", "start", "end")
    c = t.channels(x)
    start, end = (min(max(v + c if v < 0 else v, 0), c) for v in (start, end))
    if start >= end:
        raise Refused(f"an empty channel range {start}:{end}")
    return {"type": "slice", "start": start, "end": end}


@op("Slice")
def slice_channels(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    values = [t.g.values(node.input[k]) if optional(node, k) else None for k in range(1, 5)]
    starts, ends, axes, steps = values
    if starts is None or ends is None or (optional(node, 3) and axes is None):
        raise Refused("its starts, ends or axes are computed")
    axes = axes or list(range(len(starts)))
    if [int(k) % t.rank(x) for k in axes] != [t.channel_axis(x)] or any(
        s != 1 for s in steps or [1]
    ):
        raise Refused("a Slice of anything but a range of channels")
    t.add(node, channel_range(t, x, int(starts[0]), int(ends[0])), [x])


@op("Split")
def split(t: Translator, node: Any, a: dict[str, Any]) -> None:
    """Each output a slice of the channels."""
    x = t.tensor(node)
    if int(a.get("axis", 0)) % t.rank(x) != t.channel_axis(x):
        raise Refused("a Split along an axis other than the channels")
    c, n = t.channels(x), len(node.output)
    sizes = a.get("split") or (t.g.values(node.input[1]) if optional(node, 1) else None)
    if sizes is None:
        sizes = [-(-c // n)] * (n - 1) + [c - -(-c // n) * (n - 1)]
    start = 0
    for k, size in enumerate(sizes):
        keys = channel_range(t, x, start, start + int(size))
        start += int(size)
        part = type(node)()
        part.CopyFrom(node)
        del part.output[:]
        part.output.append(node.output[k])
        part.name = f"{node.name or node.output[0]}_{k}"
        t.add(part, keys, [x])
