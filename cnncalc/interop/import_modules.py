"""torch.nn modules (the leaves torch.fx keeps whole) → cnncalc layers."""

from __future__ import annotations

from typing import Any

from cnncalc.interop.import_layers import (
    adaptive_pool,
    conv_keys,
    ints,
    layernorm,
    linear,
    one,
    pixel_shuffle,
    pool,
    resample,
    source,
)
from cnncalc.interop.import_layout import reshape
from cnncalc.interop.import_map import Mapper

ACTIVATIONS = {
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "GELU": "gelu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "SiLU": "silu",
    "Hardswish": "hardswish",
    "Hardsigmoid": "hardsigmoid",
    "ReLU6": "relu6",
    "Mish": "mish",
    "Softplus": "softplus",
    "SELU": "selu",
}


def owned(m: Any, target: str) -> tuple[str, ...]:
    return tuple(f"{target}.{n}" for n, _ in m.named_parameters())


def module(mp: Mapper, node: Any, m: Any) -> None:
    nn = mp.torch.nn
    x = node.args[0] if node.args else None
    kind = type(m).__name__
    n = len(mp.shape(node)) - 2
    if isinstance(m, nn.modules.conv._ConvNd):
        keys = conv_keys(
            m.weight.shape, m.bias is not None, m.stride, m.dilation, m.groups, m.transposed
        )
        keys = conv_padding(mp, node, keys, m, n)
        mp.add(node, keys, [source(mp, node)], owner=node.target, params=owned(m, node.target))
        if m.padding_mode != "zeros":
            mp.net.warnings.append(
                f"{node.name}: padding_mode '{m.padding_mode}' counts as zero padding"
            )
    elif isinstance(m, nn.modules.pooling._MaxPoolNd | nn.modules.pooling._AvgPoolNd):
        pool(
            mp,
            node,
            "Max" in kind,
            m.kernel_size,
            m.stride,
            m.padding,
            m.ceil_mode,
            getattr(m, "dilation", 1),
        )
    elif kind.startswith("Adaptive") and "Pool" in kind:
        adaptive_pool(mp, node, x, "max" if "Max" in kind else "avg", m.output_size)
    elif isinstance(m, nn.Linear):
        linear(mp, node, x, m.out_features, m.bias is not None, node.target, owned(m, node.target))
    elif isinstance(m, nn.modules.batchnorm._BatchNorm):
        if not m.affine or not m.track_running_stats:
            return mp.refuse(node, f"{kind} without affine weights or running statistics")
        mp.add(node, {"type": "batchnorm"}, [x], owner=node.target, params=owned(m, node.target))
    elif isinstance(m, nn.LayerNorm):
        layernorm(
            mp,
            node,
            x,
            m.normalized_shape,
            m.elementwise_affine,
            node.target,
            owned(m, node.target),
        )
    elif isinstance(m, nn.GroupNorm):
        keys = {"type": "groupnorm", "groups": m.num_groups}
        if not m.affine:
            keys["affine"] = False
        mp.add(node, keys, [x], owner=node.target, params=owned(m, node.target))
    elif isinstance(m, nn.modules.instancenorm._InstanceNorm):
        keys = {"type": "instancenorm"}
        if m.affine:
            keys["affine"] = True
        if m.track_running_stats:
            keys["track_running_stats"] = True
        mp.add(node, keys, [x], owner=node.target, params=owned(m, node.target))
    elif kind == "LayerScale" and hasattr(m, "weight"):  # cnncalc's own export
        keys = {"type": "scale"} | ({"bias": True} if m.bias is not None else {})
        mp.add(node, keys, [x], owner=node.target, params=owned(m, node.target))
    elif kind == "Standardize" and hasattr(m, "variance"):  # cnncalc's own export
        keys = {"type": "standardize"} | ({"count": True} if m.count is not None else {})
        mp.add(node, keys, [x], owner=node.target, params=owned(m, node.target))
    elif isinstance(m, nn.Flatten):
        reshape(mp, node, x)
    elif isinstance(m, nn.Upsample):
        scale = None if m.recompute_scale_factor else m.scale_factor
        resample(mp, node, x, m.mode, m.align_corners, scale)
    elif isinstance(m, nn.Identity):
        mp.alias(node, x)
    else:
        other(mp, node, kind, m, x)


def other(mp: Mapper, node: Any, kind: str, m: Any, x: Any) -> None:
    nn = mp.torch.nn
    if kind in ACTIVATIONS and type(m).__module__.startswith("torch.nn"):
        return mp.activation(node, ACTIVATIONS[kind], x)
    if isinstance(m, nn.Hardtanh) and (m.min_val, m.max_val) == (0.0, 6.0):
        return mp.activation(node, "relu6", x)
    if isinstance(m, nn.PReLU):
        if m.num_parameters == 1:
            mp.used.update(owned(m, node.target))
            return mp.activation(node, "prelu", x)
        keys = {"type": "prelu", "per_channel": True}
        mp.add(node, keys, [x], owner=node.target, params=owned(m, node.target))
        return None
    if isinstance(m, nn.Softmax | nn.LogSoftmax) and m.dim in (1, -3):
        return mp.activation(node, "softmax", x)
    if isinstance(m, nn.modules.dropout._DropoutNd):
        mp.add(node, {"type": "dropout"}, [x])
        return mp.keep_layout(node, x)
    if isinstance(m, nn.LocalResponseNorm):
        mp.add(node, {"type": "lrn"}, [x])
        return None
    if isinstance(m, nn.ChannelShuffle):
        if mp.kind(node, "channel_shuffle", "ChannelShuffle"):
            mp.add(node, {"type": "channel_shuffle", "groups": m.groups}, [x])
        return None
    if isinstance(m, nn.PixelShuffle | nn.PixelUnshuffle):
        factor = getattr(m, "upscale_factor", None) or m.downscale_factor
        return pixel_shuffle(mp, node, x, isinstance(m, nn.PixelShuffle), factor)
    params = sum(p.numel() for p in m.parameters())
    if x is not None and params == 0 and mp.shape(node) == mp.shape(x):
        return mp.leave_out(node, kind, x)
    mp.refuse(node, f"{kind}{f' ({params:,} parameters)' if params else ''}")


def conv_padding(mp: Mapper, node: Any, keys: dict[str, Any], m: Any, n: int) -> dict[str, Any]:
    """Padding after the other keys: "same" as torch places it, or a folded F.pad."""
    padding, dilation = m.padding, ints(m.dilation, n)
    pairs: Any = None
    if isinstance(padding, str):
        if padding == "same":  # torch puts the odd pixel at the end
            totals = [d * (k - 1) for d, k in zip(dilation, ints(m.kernel_size, n), strict=True)]
            pairs = [[t // 2, t - t // 2] for t in totals]
        else:
            pairs = "valid"
    elif node in mp.pad:
        pairs = mp.pad[node]
    elif any(ints(padding, n)):
        pairs = one(ints(padding, n))
    out = {k: v for k, v in keys.items() if k not in ("groups", "bias")}
    if pairs is not None:
        out["padding"] = pairs
    if m.transposed and any(ints(m.output_padding, n)):
        out["output_padding"] = one(ints(m.output_padding, n))
    out |= {k: v for k, v in keys.items() if k in ("groups", "bias")}
    return out
