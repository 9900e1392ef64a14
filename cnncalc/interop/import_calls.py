"""Functional calls, tensor methods and ATen operators → cnncalc layers.

torch.fx records ``F.conv2d``, ``torch.cat`` and ``x.mean`` by their Python names and
torch.export records ``aten.conv2d``, ``aten.cat`` and ``aten.mean``: the same names with
nearly the same arguments, so one table serves both. A weight read in ``forward``
(``get_attr``: timm's ``F.batch_norm`` on its own weights, a layer scale) is counted by
the layer that uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnncalc.interop import import_layout as layout
from cnncalc.interop.import_attention import param
from cnncalc.interop.import_layers import (
    adaptive_pool,
    conv_keys,
    ints,
    layernorm,
    linear,
    mp_kind_class,
    one,
    pixel_shuffle,
    pool,
    resample,
    shape_source,
)
from cnncalc.interop.import_map import Mapper
from cnncalc.interop.torch_import_kinds import pad_keys

ACTIVATIONS = {
    *("relu", "relu6", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "silu"),
    *("hardswish", "hardsigmoid", "mish", "softplus", "selu"),
}
SAME = {"contiguous", "clone", "detach", "to", "type_as", "float", "alias", "lift_fresh_copy"}
RESHAPES = {"view", "reshape", "flatten", "unflatten", "_unsafe_view", "squeeze", "unsqueeze"}
DROPOUTS = {"dropout", "dropout1d", "dropout2d", "dropout3d", "feature_dropout", "alpha_dropout"}
BINARY = {
    "add": "add",
    "iadd": "add",
    "sub": "sub",
    "isub": "sub",
    "rsub": "sub",
    "mul": "mul",
    "imul": "mul",
    "div": "div",
    "truediv": "div",
    "itruediv": "div",
}


def op_name(node: Any) -> str:
    """``F.conv2d``, ``aten.conv2d.default`` and ``x.conv2d`` all → ``conv2d``."""
    target = node.target
    if node.op == "call_method":
        name = str(target)
    elif hasattr(target, "_schema"):
        name = target._schema.name.split("::")[-1]
    else:
        name = getattr(target, "__name__", str(target))
    if name.endswith("_") and not name.endswith("__") and not name.startswith("_"):
        name = name[:-1]  # in place: relu_, add_
    return name


def arg(node: Any, i: int, *names: str, default: Any = None) -> Any:
    if len(node.args) > i:
        return node.args[i]
    for name in names:
        if name in node.kwargs:
            return node.kwargs[name]
    return default


def is_node(v: Any) -> bool:
    return hasattr(v, "op")


def call(mp: Mapper, node: Any) -> None:
    name = op_name(node)
    x = arg(node, 0, "input", "self")
    handler = HANDLERS.get(name)
    if handler is not None:
        return handler(mp, node, x)
    if name in ACTIVATIONS:
        return mp.activation(node, name, x)
    if name in BINARY:
        return binary(mp, node, BINARY[name])
    if name in SAME:
        return layout.same(mp, node, x)
    if name in RESHAPES:
        return layout.reshape(mp, node, x)
    if name in DROPOUTS:
        mp.add(node, {"type": "dropout"}, [x])
        return mp.keep_layout(node, x)
    if is_node(x) and mp.shape(x) == mp.shape(node) and not has_params(mp, node):
        return mp.leave_out(node, name, x)
    mp.refuse(node, name)


def has_params(mp: Mapper, node: Any) -> bool:
    return any(mp.is_param(a) for a in [*node.args, *node.kwargs.values()])


def structural(mp: Mapper, node: Any) -> None:
    """A node with no tensor shape of its own: a tuple of tensors, or a number."""
    name = op_name(node)
    if node.op == "call_function" and name == "getitem":
        return None
    x = arg(node, 0, "input", "self")
    if name == "chunk":
        n, dim = int(arg(node, 1, "chunks")), int(arg(node, 2, "dim", default=0))
        size = mp.shape(x)[dim]
        step = -(-size // n)
        sizes = [min(step, size - i) for i in range(0, size, step)]
        return layout.pieces(mp, node, x, sizes, dim)
    if name in ("split", "split_with_sizes"):
        given, dim = (
            arg(node, 1, "split_size_or_sections", "split_size", "split_sizes"),
            int(arg(node, 2, "dim", default=0)),
        )
        size = mp.shape(x)[dim]
        if isinstance(given, int):
            sizes = [min(given, size - i) for i in range(0, size, given)]
        else:
            sizes = [int(s) for s in given]
        return layout.pieces(mp, node, x, sizes, dim)
    if name == "_native_batch_norm_legit_no_training":
        batch_norm(mp, node, x, arg(node, 1), arg(node, 2), arg(node, 3))
        mp.special[node] = ("first",)
        return None
    if name in ("max_pool2d_with_indices", "max_pool1d_with_indices", "max_pool3d_with_indices"):
        window(mp, node, x, name)
        mp.special[node] = ("first",)
        return None
    if name in ("native_layer_norm",):
        norm_shape = arg(node, 1)
        weight = arg(node, 2)
        params = tuple(mp.target(w) for w in (weight, arg(node, 3)) if mp.is_param(w))
        owner = mp.target(weight) if mp.is_param(weight) else None
        layernorm(mp, node, x, norm_shape, mp.is_param(weight), owner or node.name, params)
        mp.special[node] = ("first",)
    return None


def getitem(mp: Mapper, node: Any, x: Any) -> None:
    """An item of a tuple (a chunk, the output of a tuple-valued op) or an index of a tensor."""
    index = node.args[1]
    special = mp.special.get(x)
    if special is not None and special[0] == "first" and index == 0:
        return mp.alias(node, x, mp.perm.get(x))
    if special is not None and special[0] == "first" and not node.users:
        return None  # another output nothing reads (nn.MultiheadAttention's weights)
    if special is not None and special[0] == "pieces":
        source, (ranges, dim) = special[1], special[2]
        start, end = ranges[index]
        return layout.channel_range(mp, node, source, dim, start, end)
    if is_node(x) and mp.shape(x):
        return layout.index(mp, node, x, index)
    mp.refuse(node, f"an item of {x.name}")


# ----- layers with weights


def weight_of(mp: Mapper, node: Any, w: Any, what: str) -> bool:
    if mp.is_param(w):
        return True
    mp.refuse(node, f"{what} whose weight is computed in forward, not a parameter")
    return False


def conv(mp: Mapper, node: Any, x: Any) -> None:
    name = op_name(node)
    w, b = arg(node, 1, "weight"), arg(node, 2, "bias")
    if not weight_of(mp, node, w, name):
        return
    weight = mp.tensor(w).shape
    n = len(weight) - 2
    transposed = "transpose" in name
    if name == "convolution":
        transposed = bool(arg(node, 6, "transposed"))
        stride, padding, dilation = arg(node, 3), arg(node, 4), arg(node, 5)
        output_padding, groups = arg(node, 7), arg(node, 8)
    elif transposed:
        stride, padding = arg(node, 3, "stride", default=1), arg(node, 4, "padding", default=0)
        output_padding = arg(node, 5, "output_padding", default=0)
        groups, dilation = arg(node, 6, "groups", default=1), arg(node, 7, "dilation", default=1)
    else:
        stride, padding = arg(node, 3, "stride", default=1), arg(node, 4, "padding", default=0)
        dilation, groups = arg(node, 5, "dilation", default=1), arg(node, 6, "groups", default=1)
        output_padding = 0
    keys = conv_keys(weight, b is not None, stride, dilation, groups, transposed)
    extra = {k: keys.pop(k) for k in ("groups", "bias") if k in keys}
    if isinstance(padding, str):
        if padding == "same":
            totals = [d * (k - 1) for d, k in zip(ints(dilation, n), weight[2:], strict=True)]
            keys["padding"] = [[t // 2, t - t // 2] for t in totals]
    elif node in mp.pad:
        keys["padding"] = mp.pad[node]
    elif any(ints(padding, n)):
        keys["padding"] = one(ints(padding, n))
    if transposed and any(ints(output_padding, n)):
        keys["output_padding"] = one(ints(output_padding, n))
    source = x.args[0] if node in mp.pad else x
    main, *gains = mp.sources(w)
    params = (str(main.target), *(mp.target(p) for p in (b,) if mp.is_param(p)))
    mp.add(node, keys | extra, [source], op="conv", owner=str(main.target), params=params)
    for gain in gains:  # a learned gain per filter in a computed weight: a scale after it
        if mp.tensor_of(gain).numel() != keys["filters"]:
            return mp.refuse(node, f"{name} whose weight is computed from {gain.target}")
        gain_name = str(gain.target)
        mp.add(node, {"type": "scale"}, [node], op="gain", owner=gain_name, params=(gain_name,))


def functional_linear(mp: Mapper, node: Any, x: Any) -> None:
    w, b = arg(node, 1, "weight"), arg(node, 2, "bias")
    if not weight_of(mp, node, w, "linear"):
        return
    params = tuple(mp.target(p) for p in (w, b) if mp.is_param(p))
    units = int(mp.tensor(w).shape[0])
    linear(mp, node, x, units, b is not None, mp.target(w), params)


def batch_norm(mp: Mapper, node: Any, x: Any, weight: Any, bias: Any, mean: Any) -> None:
    if not (mp.is_param(weight) and mp.is_param(bias) and mp.is_param(mean)):
        return mp.refuse(node, "batch_norm without affine weights or running statistics")
    params = (mp.target(weight), mp.target(bias))
    mp.add(node, {"type": "batchnorm"}, [x], op="bn", owner=mp.target(weight), params=params)
    mp.keep_layout(node, x)


def functional_batch_norm(mp: Mapper, node: Any, x: Any) -> None:
    if (
        op_name(node) == "batch_norm"
        and node.op == "call_function"
        and hasattr(node.target, "_schema")
    ):  # aten.batch_norm: input, weight, bias, running_mean, running_var
        weight, bias, mean = arg(node, 1), arg(node, 2), arg(node, 3)
    else:  # F.batch_norm: input, running_mean, running_var, weight, bias
        mean, weight, bias = (
            arg(node, 1, "running_mean"),
            arg(node, 3, "weight"),
            arg(node, 4, "bias"),
        )
    batch_norm(mp, node, x, weight, bias, mean)


def functional_layer_norm(mp: Mapper, node: Any, x: Any) -> None:
    shape, weight, bias = (
        arg(node, 1, "normalized_shape"),
        arg(node, 2, "weight"),
        arg(node, 3, "bias"),
    )
    params = tuple(mp.target(p) for p in (weight, bias) if mp.is_param(p))
    owner = mp.target(weight) if mp.is_param(weight) else node.name
    layernorm(mp, node, x, ints(shape, 1), mp.is_param(weight), owner, params)


def functional_group_norm(mp: Mapper, node: Any, x: Any) -> None:
    groups, weight, bias = arg(node, 1, "num_groups"), arg(node, 2, "weight"), arg(node, 3, "bias")
    keys: dict[str, Any] = {"type": "groupnorm", "groups": int(groups)}
    if not mp.is_param(weight):
        keys["affine"] = False
    params = tuple(mp.target(p) for p in (weight, bias) if mp.is_param(p))
    owner = mp.target(weight) if mp.is_param(weight) else None
    mp.add(node, keys, [x], op="gn", owner=owner, params=params)


# ----- windows, means and resampling


def window(mp: Mapper, node: Any, x: Any, name: str = "") -> None:
    name = name or op_name(node)
    kernel = arg(node, 1, "kernel_size")
    stride = arg(node, 2, "stride", default=None) or kernel
    padding = arg(node, 3, "padding", default=0)
    if name.startswith("max"):
        dilation, ceil = (
            arg(node, 4, "dilation", default=1),
            arg(node, 5, "ceil_mode", default=False),
        )
    else:
        dilation, ceil = 1, arg(node, 4, "ceil_mode", default=False)
    pool(mp, node, name.startswith("max"), kernel, stride, padding, bool(ceil), dilation)


def functional_adaptive(mp: Mapper, node: Any, x: Any) -> None:
    mode = "max" if "max" in op_name(node) else "avg"
    adaptive_pool(mp, node, x, mode, arg(node, 1, "output_size"))


def mean(mp: Mapper, node: Any, x: Any) -> None:
    """A mean over every spatial axis is a global average pool (then a flatten, unless
    ``keepdim``)."""
    dims = arg(node, 1, "dim", default=None)
    keep = bool(arg(node, 2, "keepdim", default=False))
    rank = len(mp.shape(x))
    dims = list(range(2, rank)) if dims is None else ints(dims, 1)
    logical = sorted(mp.layout(x)[d % rank] for d in dims)
    if logical != list(range(2, rank)) or rank < 3:
        return mp.refuse(node, "a mean over axes other than every spatial one")
    if keep:
        mp.add(node, {"type": "global_pool"}, [x], op="mean")
        return mp.keep_layout(node, x)
    mp.add(node, {"type": "global_pool"}, [x], op="mean")
    mp.add(node, {"type": "flatten"}, [node], op="flatten")


def interpolate(mp: Mapper, node: Any, x: Any) -> None:
    name = op_name(node)
    if name.startswith("upsample_"):  # aten.upsample_bilinear2d(input, size, align_corners…)
        mode = name[len("upsample_") :].rstrip("123d").rstrip("_")
        corners = arg(node, 2, "align_corners") if mode != "nearest" else None
        scales = arg(node, 3, "scale_factors")  # the .vec overload; .default has none
        scales = scales if isinstance(scales, list | tuple) and scales else None
        return resample(mp, node, x, mode, corners, scales)
    mode = arg(node, 3, "mode", default="nearest")
    corners = arg(node, 4, "align_corners", default=None)
    recompute = arg(node, 5, "recompute_scale_factor", default=None)
    scale = None if recompute else arg(node, 2, "scale_factor", default=None)
    like = shape_source(mp, arg(node, 1, "size"), x)
    resample(mp, node, x, mode, corners, scale, like)


# ----- merges


def binary(mp: Mapper, node: Any, op: str) -> None:
    """add/sub/mul/div of two tensors broadcast as NumPy does; with a parameter, a ``scale``;
    with a number, nothing cnncalc counts (left out, with a warning)."""
    a, b = node.args[0], node.args[1] if len(node.args) > 1 else node.kwargs.get("other")
    tensors = [v for v in (a, b) if is_node(v) and mp.shape(v) and not mp.is_param(v)]
    params = [v for v in (a, b) if is_node(v) and mp.is_param(v)]
    if len(tensors) == 1 and not params:
        return mp.leave_out(node, f"arithmetic with a number ({op})", tensors[0])
    if len(tensors) == 1 and params:
        return learned(mp, node, op, tensors[0], params[0])
    if len(tensors) != 2:
        return mp.refuse(node, f"{op} of {a} and {b}")
    kind = "add" if op in ("add", "sub") else "multiply"
    if not mp.kind(node, kind, op):
        return None
    full = [t for t in tensors if mp.shape(t) == mp.shape(node)]
    ranks = {len(mp.shape(t)) for t in tensors}
    if len(ranks) != 1:
        return mp.refuse(node, f"{op} of tensors of different ranks")
    perms = {mp.layout(t) for t in tensors if any(s != 1 for s in mp.shape(t)[2:])}
    if len(perms) > 1:
        return mp.refuse(node, f"{op} of tensors in different axis orders")
    order = full + [t for t in tensors if t not in full]
    mp.add(node, {"type": kind}, order, op=op)
    if full:
        mp.keep_layout(node, full[0])


def learned(mp: Mapper, node: Any, op: str, x: Any, p: Any) -> None:
    """``x * gamma`` with gamma one value per channel: a ``scale`` (ConvNeXt's layer scale);
    ``+ beta`` after it is the scale's bias."""
    shape = mp.shape(p) or tuple(mp.tensor(p).shape)
    rank = len(mp.shape(x))
    padded = (1,) * (rank - len(shape)) + shape
    axes = [mp.layout(x)[i] for i, s in enumerate(padded) if s != 1]
    if op == "add" and rank > 2 and axes not in ([1], []) and padded[0] == 1:
        return param(mp, node, x, p, padded, "add")
    if axes not in ([1], []):
        what = f"{op} with the learned tensor {mp.target(p)} of shape {list(shape)}"
        return mp.refuse(node, what)
    if op == "mul":
        mp.add(node, {"type": "scale"}, [x], op="scale", owner=mp.target(p), params=(mp.target(p),))
        return mp.keep_layout(node, x)
    before = mp.layer_of.get(mp.ref.get(x, ""))
    if op == "add" and before is not None and before.keys["type"] == "scale" and len(x.users) == 1:
        if "bias" not in before.keys and "activation" not in before.keys:
            before.keys["bias"] = True
            mp.used.add(mp.target(p))
            return mp.alias(node, x)
    mp.refuse(node, f"{op} with the learned tensor {mp.target(p)}")


def cat(mp: Mapper, node: Any, x: Any) -> None:
    tensors = list(arg(node, 0, "tensors"))
    dim = int(arg(node, 1, "dim", default=0))
    rank = len(mp.shape(node))
    if len(tensors) == 1:
        return mp.alias(node, tensors[0])
    learned = [t for t in tensors if mp.is_param(t)]
    if len(tensors) == 2 and learned == tensors[:1] and rank == 3:
        x = tensors[1]
        if mp.layout(x)[dim % rank] == 2:  # a class token before the tokens
            return param(mp, node, x, learned[0], mp.shape(learned[0]), "concat")
    if any(mp.layout(t)[dim % rank] != 1 for t in tensors):
        return mp.refuse(node, "torch.cat along an axis other than the channels")
    mp.add(node, {"type": "concat"}, tensors, op="cat")
    mp.keep_layout(node, tensors[0])


# ----- padding


def fold_pad(mp: Mapper, node: Any, x: Any) -> None:
    """F.pad before a conv or pool is its padding; negative F.pad after a transposed conv
    is its crop (cnncalc's padding of a transposed convolution); any other, a ``pad``."""
    if any(is_node(p) for p in arg(node, 1, "pad")):
        return mp.refuse(node, "F.pad by amounts computed in forward")
    pad = [int(p) for p in arg(node, 1, "pad")]
    mode = arg(node, 2, "mode", default="constant")
    n = len(mp.shape(node)) - 2
    users = list(node.users)
    pairs = pairs_from_pad(pad, n)
    if mode == "constant" and all(p >= 0 for p in pad) and len(users) == 1:
        if windowed(mp, users[0], n):
            mp.pad[users[0]] = pairs
            return mp.alias(node, x)
    if mode == "constant" and all(p <= 0 for p in pad) and x.op == "call_module":
        m = mp.gm.get_submodule(x.target)
        layer = mp.layer_of.get(mp.ref.get(x, ""))
        if getattr(m, "transposed", False) and layer is not None and len(x.users) == 1:
            if not any(ints(m.padding, n)):
                layer.keys["padding"] = pairs_from_pad([-p for p in pad], n)
                return mp.alias(node, x)
    keys = pad_keys(pad, mode, n)
    if keys is None:
        mp.refuse(node, f"F.pad {pad} with mode {mode!r}")
    elif mp.kind(node, "pad", f"F.pad {pad} ({mode})"):
        mp.add(node, keys, [x], op="pad")
        mp.keep_layout(node, x)


def windowed(mp: Mapper, user: Any, n: int) -> bool:
    """A conv or pool (module or call) without padding of its own."""
    nn = mp.torch.nn
    if user.op == "call_module":
        m = mp.gm.get_submodule(user.target)
        windows = (
            nn.modules.conv._ConvNd,
            nn.modules.pooling._MaxPoolNd,
            nn.modules.pooling._AvgPoolNd,
        )
        return (
            isinstance(m, windows)
            and not isinstance(getattr(m, "padding", 0), str)
            and not any(ints(getattr(m, "padding", 0), n))
            and not getattr(m, "transposed", False)
        )
    name = op_name(user)
    if name in (f"conv{n}d", f"max_pool{n}d", f"avg_pool{n}d"):
        index = 4 if name.startswith("conv") else 3
        padding = arg(user, index, "padding", default=0)
        return not isinstance(padding, str) and not any(ints(padding, n))
    return False


def pairs_from_pad(pad: list[int], n: int) -> list[list[int]]:
    """F.pad's (last-axis-first) amounts → [start, end] per spatial axis, first axis first."""
    out = [[0, 0] for _ in range(n)]
    for i in range(len(pad) // 2):
        out[n - 1 - i] = [pad[2 * i], pad[2 * i + 1]]
    return out


# ----- channel surgery and the rest


def shuffle(mp: Mapper, node: Any, x: Any) -> None:
    if mp.kind(node, "channel_shuffle", "channel_shuffle"):
        mp.add(node, {"type": "channel_shuffle", "groups": int(arg(node, 1, "groups"))}, [x])


def drop_path(mp: Mapper, node: Any, x: Any) -> None:
    """Stochastic depth: nothing at inference; ``drop_path`` where cnncalc has it."""
    kind = "drop_path" if mp_kind_class(mp, "drop_path") else "dropout"
    mp.add(node, {"type": kind}, [x], op="drop_path")
    mp.keep_layout(node, x)


def softmax(mp: Mapper, node: Any, x: Any) -> None:
    dim = arg(node, 1, "dim")
    rank = len(mp.shape(x))
    if dim is not None and mp.layout(x)[int(dim) % rank] == 1:
        return mp.activation(node, "softmax", x)
    mp.refuse(node, "softmax over an axis other than the channels")


def hardtanh(mp: Mapper, node: Any, x: Any) -> None:
    low, high = arg(node, 1, "min_val", "min", default=-1.0), arg(node, 2, "max_val", "max")
    if (low, high) == (0, 6) or (low, high) == (0.0, 6.0):
        return mp.activation(node, "relu6", x)
    if op_name(node) == "clamp" and (low, high) == (0, None):
        return mp.activation(node, "relu", x)
    mp.leave_out(node, op_name(node), x)


HANDLERS: dict[str, Callable[[Mapper, Any, Any], None]] = {
    **{f"conv{n}d": conv for n in (1, 2, 3)},
    **{f"conv_transpose{n}d": conv for n in (1, 2, 3)},
    "convolution": conv,
    "linear": functional_linear,
    "batch_norm": functional_batch_norm,
    "layer_norm": functional_layer_norm,
    "group_norm": functional_group_norm,
    **{f"{k}_pool{n}d": window for k in ("max", "avg") for n in (1, 2, 3)},
    **{f"adaptive_{k}_pool{n}d": functional_adaptive for k in ("max", "avg") for n in (1, 2, 3)},
    "mean": mean,
    "interpolate": interpolate,
    "upsample": interpolate,
    **{
        f"upsample_{m}{n}d": interpolate
        for m in ("nearest", "bilinear", "bicubic")
        for n in (1, 2, 3)
    },
    "upsample_linear1d": interpolate,
    "upsample_trilinear3d": interpolate,
    "cat": cat,
    "concat": cat,
    "concatenate": cat,
    "pad": fold_pad,
    "constant_pad_nd": fold_pad,
    "getitem": getitem,
    "permute": lambda mp, node, x: layout.permute(
        mp, node, x, ints(node.args[1:] if len(node.args) > 2 else arg(node, 1, "dims"), 1)
    ),
    **{
        name: lambda mp, node, x: layout.transpose(
            mp, node, x, int(arg(node, 1, "dim0", "axis0")), int(arg(node, 2, "dim1", "axis1"))
        )
        for name in ("transpose", "swapaxes", "swapdims")
    },
    "movedim": lambda mp, node, x: layout.movedim(
        mp, node, x, int(arg(node, 1, "source")), int(arg(node, 2, "destination"))
    ),
    "channel_shuffle": shuffle,
    "native_channel_shuffle": shuffle,
    "pixel_shuffle": lambda mp, node, x: pixel_shuffle(
        mp, node, x, True, arg(node, 1, "upscale_factor")
    ),
    "pixel_unshuffle": lambda mp, node, x: pixel_shuffle(
        mp, node, x, False, arg(node, 1, "downscale_factor")
    ),
    "stochastic_depth": drop_path,
    "drop_path": drop_path,
    "softmax": softmax,
    "_softmax": softmax,
    "log_softmax": softmax,
    "hardtanh": hardtanh,
    "clamp": hardtanh,
    "identity": lambda mp, node, x: mp.alias(node, x),
    "scaled_dot_product_attention": lambda mp, node, x: mp.refuse(
        node,
        "scaled_dot_product_attention: cnncalc reads it with linear projections of one "
        "input (or one for the queries, one for keys and values) before it and one after, "
        "and without a mask",
    ),
}
