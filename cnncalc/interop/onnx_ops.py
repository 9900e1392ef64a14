"""The ONNX operator table: one function per operator, from a node to cnncalc layers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnncalc.interop.imported import Refused, SameAtEnd, need, need_fc_on_positions
from cnncalc.interop.onnx_translate import Translator

Op = Callable[[Translator, Any, dict[str, Any]], None]
OPS: dict[str, Op] = {}
PLAIN = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "LeakyRelu": "leaky_relu",
    "Elu": "elu",
    "Selu": "selu",
    "Softplus": "softplus",
    "Mish": "mish",
    "Gelu": "gelu",
    "HardSigmoid": "hardsigmoid",
    "HardSwish": "hardswish",
}


def op(*names: str) -> Callable[[Op], Op]:
    def put(fn: Op) -> Op:
        for name in names:
            OPS[name] = fn
        return fn

    return put


def text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def one(v: list[Any]) -> Any:
    return v[0] if len(set(map(str, v))) == 1 else list(v)


def compact(pairs: list[list[int]]) -> Any:
    """[start, end] per axis in the shortest form cnncalc reads the same."""
    if all(s == e for s, e in pairs):
        sizes = [s for s, _ in pairs]
        return one(sizes) if any(sizes) else None
    return pairs


def weight(t: Translator, node: Any, k: int, what: str) -> list[int]:
    name = node.input[k] if k < len(node.input) else ""
    c = t.g.const(name)
    if c is None:
        raise Refused(f"its {what} ('{name}') is computed, not an initializer")
    return list(c.dims)


def optional(node: Any, k: int) -> bool:
    return k < len(node.input) and node.input[k] != ""


# ----- windows: Conv, ConvTranspose, pooling


def window(t: Translator, node: Any, a: dict[str, Any], n: int, kernel: list[int]) -> Any:
    """The padding of a conv or pool: pads, auto_pad, and a Pad folded into it."""
    stride = list(a.get("strides", [1] * n))
    dilation = list(a.get("dilations", [1] * n))
    pads = list(a.get("pads", [0] * 2 * n))
    pairs = [[pads[i], pads[i + n]] for i in range(n)]
    folded = t.padded.get(node.input[0])
    if folded is not None:
        pairs = [
            [p + q for p, q in zip(x, y, strict=True)]
            for x, y in zip(pairs, folded[1], strict=True)
        ]
    auto = text(a.get("auto_pad", "NOTSET"))
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if folded is not None:
            raise Refused("auto_pad SAME after a Pad")
        if auto == "SAME_LOWER":
            return "same"
        return SameAtEnd(tuple(kernel), tuple(stride), tuple(dilation))
    if auto == "VALID":
        return None
    return compact(pairs)


def source(t: Translator, node: Any) -> str:
    """The input of a conv or pool, looking through a Pad folded into it."""
    folded = t.padded.get(node.input[0])
    if folded is not None:
        return folded[0]
    return t.tensor(node)


def common(keys: dict[str, Any], a: dict[str, Any], n: int, padding: Any) -> None:
    stride = list(a.get("strides", [1] * n))
    dilation = list(a.get("dilations", [1] * n))
    if any(s != 1 for s in stride):
        keys["stride"] = one(stride)
    if padding is not None:
        keys["padding"] = padding
    if any(d != 1 for d in dilation):
        keys["dilation"] = one(dilation)


@op("Conv", "ConvTranspose")
def conv(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = source(t, node)
    n = t.spatial(x)
    w = weight(t, node, 1, "weight")
    groups = int(a.get("group", 1))
    kernel = list(a.get("kernel_shape", w[2:]))
    transposed = node.op_type == "ConvTranspose"
    keys: dict[str, Any] = {"type": "conv_transpose" if transposed else "conv"}
    keys["filters"] = w[1] * groups if transposed else w[0]
    keys["kernel"] = one(kernel)
    if transposed and ("output_shape" in a or text(a.get("auto_pad", "NOTSET")) != "NOTSET"):
        raise Refused("output_shape or auto_pad on ConvTranspose; export explicit pads")
    common(keys, a, n, window(t, node, a, n, kernel))
    if transposed and any(a.get("output_padding", [])):
        keys["output_padding"] = one(list(a["output_padding"]))
    if groups != 1:
        keys["groups"] = groups
    if optional(node, 2):
        weight(t, node, 2, "bias")
    else:
        keys["bias"] = False
    t.add(node, keys, [x])


@op("MaxPool", "AveragePool")
def pool(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = source(t, node)
    n = t.spatial(x)
    if any(d != 1 for d in a.get("dilations", [])):
        raise Refused("pooling with dilation")
    if len(node.output) > 1 and node.output[1] and t.readers_of(node.output[1]):
        raise Refused("its indices output is read")
    kernel = list(a["kernel_shape"])
    keys: dict[str, Any] = {"type": "maxpool" if node.op_type == "MaxPool" else "avgpool"}
    keys["kernel"] = one(kernel)
    stride = list(a.get("strides", [1] * n))
    keys["stride"] = one(stride)  # ONNX's default stride is 1, cnncalc's the kernel
    padding = window(t, node, a, n, kernel)
    if padding is not None:
        keys["padding"] = padding
    if a.get("ceil_mode", 0):
        keys["ceil"] = True
    t.add(node, keys, [x])


@op("GlobalAveragePool", "GlobalMaxPool")
def global_pool(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    t.spatial(x)
    t.add(node, {"type": "global_pool", "mode": "max" if "Max" in node.op_type else "avg"}, [x])


@op("ReduceMean", "ReduceMax")
def reduce(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    r = t.rank(x)
    axes = a.get("axes")
    if axes is None and optional(node, 1):
        axes = t.g.values(node.input[1])
        if axes is None:
            raise Refused("its axes are computed")
    spatial = set(range(2, r)) if t.layout.get(x) == "cf" else set(range(1, r - 1))
    if axes is None or {int(k) % r for k in axes} != spatial or not spatial:
        raise Refused("a reduction over axes other than all the spatial ones")
    mode = "avg" if node.op_type == "ReduceMean" else "max"
    layer = t.add(node, {"type": "global_pool", "mode": mode}, [x], layout="cf")
    if not a.get("keepdims", 1):
        t.then(node, layer, {"type": "flatten"}, "flatten")


# ----- dense and normalisation


@op("Gemm")
def gemm(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    if a.get("transA", 0) or t.rank(x) != 2:
        raise Refused("Gemm on a transposed or non-flat input")
    w = weight(t, node, 1, "weight")
    keys: dict[str, Any] = {"type": "fc", "units": w[0] if a.get("transB", 0) else w[1]}
    if optional(node, 2):
        weight(t, node, 2, "bias")
    else:
        keys["bias"] = False
    t.add(node, keys, [x])


@op("MatMul")
def matmul(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    w = weight(t, node, 1, "weight")
    if len(w) != 2:
        raise Refused("MatMul with a weight that is not a matrix")
    if t.layout.get(x) == "cf" and t.rank(x) > 2:
        raise Refused("MatMul over a spatial axis of a channels-first tensor")
    if t.rank(x) > 2:
        need_fc_on_positions()
    t.add(node, {"type": "fc", "units": w[1], "bias": False}, [x])


@op("BatchNormalization")
def batchnorm(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    if t.layout.get(x) == "cl":
        raise Refused("batch normalisation of a channels-last tensor")
    for k, what in enumerate(("scale", "bias", "mean", "variance"), start=1):
        weight(t, node, k, what)
    t.add(node, {"type": "batchnorm"}, [x])


@op("InstanceNormalization")
def instancenorm(t: Translator, node: Any, a: dict[str, Any]) -> None:
    need("instancenorm", "affine")
    x = t.tensor(node)
    t.spatial(x)
    t.add(node, {"type": "instancenorm", "affine": True}, [x])


@op("LayerNormalization")
def layernorm(t: Translator, node: Any, a: dict[str, Any]) -> None:
    need("layernorm", "over")
    x = t.tensor(node)
    r = t.rank(x)
    axis = int(a.get("axis", -1)) % r
    if not optional(node, 2):
        raise Refused("LayerNormalization without a bias (cnncalc's layernorm has both)")
    if axis == r - 1 and t.layout.get(x) != "cf":
        t.add(node, {"type": "layernorm"}, [x])
    elif axis == 1:
        t.add(node, {"type": "layernorm", "over": "all"}, [x])
    else:
        raise Refused(f"LayerNormalization from axis {axis} of a {t.layout.get(x)} tensor")


@op("GroupNormalization")
def groupnorm(t: Translator, node: Any, a: dict[str, Any]) -> None:
    need("groupnorm")
    x = t.tensor(node)
    if weight(t, node, 1, "scale") != [t.channels(x)]:
        raise Refused("GroupNormalization with one scale per group (opset 18); use opset 21")
    t.add(node, {"type": "groupnorm", "groups": int(a["num_groups"])}, [x])


# ----- activations


def plain(t: Translator, node: Any, a: dict[str, Any]) -> None:
    if id(node) in t.skip:
        return None  # the Sigmoid of a SiLU: its Mul is the layer
    t.activation(node, PLAIN[node.op_type])


for _name in PLAIN:
    OPS[_name] = plain


@op("Softmax")
def softmax(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    default = -1 if t.g.opset >= 13 else 1
    if int(a.get("axis", default)) % t.rank(x) != t.channel_axis(x):
        raise Refused("softmax over an axis other than the channels")
    t.activation(node, "softmax")


@op("Clip")
def clip(t: Translator, node: Any, a: dict[str, Any]) -> None:
    bounds = [a.get("min"), a.get("max")]
    for k in (1, 2):
        if optional(node, k):
            v = t.g.values(node.input[k])
            if v is None:
                raise Refused("its bounds are computed")
            bounds[k - 1] = v[0]
    if bounds[0] == 0 and bounds[1] == 6:
        return t.activation(node, "relu6")
    if bounds[0] == 0 and bounds[1] is None:
        return t.activation(node, "relu")
    raise Refused(f"Clip to [{bounds[0]}, {bounds[1]}] (only ReLU6's [0, 6] is a cnncalc layer)")


@op("PRelu")
def prelu(t: Translator, node: Any, a: dict[str, Any]) -> None:
    x = t.tensor(node)
    slopes = weight(t, node, 1, "slope")
    size = 1
    for d in slopes:
        size *= d
    if size == 1:
        return t.activation(node, "prelu")
    if size == t.channels(x):
        need("prelu", "per_channel")
        return t.activation(node, "prelu", {"per_channel": True})
    raise Refused(f"PRelu with {size} slopes (cnncalc's has 1 or one per channel)")


@op("Dropout")
def dropout(t: Translator, node: Any, a: dict[str, Any]) -> None:
    t.add(node, {"type": "dropout"}, [t.tensor(node)])


@op("Identity")
def identity(t: Translator, node: Any, a: dict[str, Any]) -> None:
    t.alias(node, t.tensor(node))
