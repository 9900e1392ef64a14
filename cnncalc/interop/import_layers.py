"""Layer builders shared by the module and the call mappings: a convolution from its
weight, pooling and adaptive pooling, linear, layer norm, resampling, pixel shuffles."""

from __future__ import annotations

import operator
from typing import Any

from cnncalc.interop.import_map import Mapper, identity


def ints(v: Any, n: int) -> list[int]:
    return [int(x) for x in v] if isinstance(v, tuple | list) else [int(v)] * n


def one(v: list[Any]) -> Any:
    return v[0] if len(set(v)) == 1 else v


def conv_keys(
    weight: Any, bias: bool, stride: Any, dilation: Any, groups: int, transposed: bool
) -> dict[str, Any]:
    """A convolution from its weight's shape (torch's ``[out, in/groups, k…]``, transposed
    ``[in, out/groups, k…]``), without its padding."""
    n = len(weight) - 2
    groups = int(groups)
    if transposed:
        keys: dict[str, Any] = {"type": "conv_transpose", "filters": int(weight[1]) * groups}
    else:
        keys = {"type": "conv", "filters": int(weight[0])}
    keys["kernel"] = one([int(k) for k in weight[2:]])
    if any(s != 1 for s in ints(stride, n)):
        keys["stride"] = one(ints(stride, n))
    if any(d != 1 for d in ints(dilation, n)):
        keys["dilation"] = one(ints(dilation, n))
    if groups != 1:
        keys["groups"] = groups
    if not bias:
        keys["bias"] = False
    return keys


def source(mp: Mapper, node: Any) -> Any:
    """The input of a conv or pool, looking through an F.pad folded into it."""
    x = node.args[0]
    return x.args[0] if node in mp.pad else x


def pool(
    mp: Mapper,
    node: Any,
    is_max: bool,
    kernel: Any,
    stride: Any,
    padding: Any,
    ceil: bool,
    dilation: Any = 1,
) -> None:
    n = len(mp.shape(node)) - 2
    if any(d != 1 for d in ints(dilation, n)):
        return mp.refuse(node, "pooling with dilation")
    keys: dict[str, Any] = {"type": "maxpool" if is_max else "avgpool"}
    keys["kernel"] = one(ints(kernel, n))
    if stride is not None and stride != [] and ints(stride, n) != ints(kernel, n):
        keys["stride"] = one(ints(stride, n))
    pads = mp.pad.get(node) or one(ints(padding, n))
    if pads:
        keys["padding"] = pads
    if ceil:
        keys["ceil"] = True
    mp.add(node, keys, [source(mp, node)], op="maxpool" if is_max else "avgpool")


def adaptive_pool(mp: Mapper, node: Any, x: Any, mode: str, output: Any) -> None:
    """Global pooling for size 1; a plain pool where the bins are equal; else adaptive_pool."""
    before, after = mp.shape(x)[2:], mp.shape(node)[2:]
    if all(a == 1 for a in after):
        keys: dict[str, Any] = {"type": "global_pool"}
        if mode == "max":
            keys["mode"] = "max"
        mp.add(node, keys, [x], op="pool")
        return None
    if all(b % a == 0 for a, b in zip(after, before, strict=True)):
        k = one([b // a for a, b in zip(after, before, strict=True)])
        mp.add(node, {"type": f"{mode}pool", "kernel": k}, [x], op="pool")
        return None
    if mp.kind(node, "adaptive_pool", f"adaptive {mode} pooling to {list(after)}"):
        mp.add(node, {"type": "adaptive_pool", "mode": mode, "output": one(list(after))}, [x])


def linear(
    mp: Mapper, node: Any, x: Any, units: int, bias: bool, owner: str, params: tuple[str, ...]
) -> None:
    """fc: on a flat tensor, or on the channels of a channels-last one (torch's last axis)."""
    rank = len(mp.shape(x))
    if rank > 2 and mp.layout(x)[-1] != 1:
        return mp.refuse(node, "Linear over an axis that is not the channels")
    keys: dict[str, Any] = {"type": "fc", "units": units}
    if not bias:
        keys["bias"] = False
    mp.add(node, keys, [x], op="fc", owner=owner, params=params)
    mp.keep_layout(node, x)


def layernorm(
    mp: Mapper, node: Any, x: Any, normalized: Any, affine: bool, owner: str, params: Any
) -> None:
    """Over the channels (the last axis, channels-last) or over every non-batch axis."""
    shape, dims = mp.shape(x), tuple(int(d) for d in normalized)
    keys: dict[str, Any] = {"type": "layernorm"}
    if len(shape) > 2 and dims == shape[1:]:
        keys["over"] = "all"
    elif len(dims) != 1 or (len(shape) > 2 and mp.layout(x)[-1] != 1):
        return mp.refuse(node, "LayerNorm over axes other than the channels, or all")
    if not affine:
        keys["affine"] = False
    mp.add(node, keys, [x], op="layernorm", owner=owner, params=params)
    mp.keep_layout(node, x)


MODES = ("nearest", "linear", "bilinear", "trilinear", "bicubic")


def resample(
    mp: Mapper,
    node: Any,
    x: Any,
    mode: str,
    align_corners: Any,
    scale: Any = None,
    like: Any = None,
) -> None:
    """upsample: with the scale the call gave (torch maps coordinates by it), to the size of
    the tensor ``like`` when the call read it off that tensor's shape, else the size."""
    before, after = mp.shape(x)[2:], mp.shape(node)[2:]
    whole = all(b and a % b == 0 for a, b in zip(after, before, strict=True))
    if mode not in MODES:
        return mp.refuse(node, f"{mode} resampling")
    keys: dict[str, Any] = {"type": "upsample"}
    if mode != "nearest":
        keys["mode"] = mode
    if like is not None:
        keys["to"] = mp.ref[like]
    elif scale is not None:
        factors = list(scale) if isinstance(scale, list | tuple) else [scale] * len(after)
        keys["scale"] = one([int(f) if float(f).is_integer() else float(f) for f in factors])
    elif mode == "nearest" and whole:
        keys["scale"] = one([a // b for a, b in zip(after, before, strict=True)])
    else:
        keys["size"] = one(list(after))
    if align_corners:
        keys["align_corners"] = True
    cls = mp_kind_class(mp, "upsample")
    if mode != "nearest" and (cls is None or "mode" not in {k.name for k in cls.keys()}):
        return mp.refuse(node, f"{mode} resampling: needs cnncalc's upsample with a mode")
    mp.add(node, keys, [x], op="upsample")
    return mp.keep_layout(node, x)


def shape_source(mp: Mapper, size: Any, x: Any) -> Any:
    """The tensor whose spatial sizes ``size`` is (``y.shape[2:]``, ``y.size()[-2:]``, as
    torch.fx records them: DeepLab's and an FPN's F.interpolate), when cnncalc can name it
    as upsample's ``to``; else None. (torch.export records such sizes as numbers.)"""
    if getattr(size, "target", None) is not operator.getitem or not hasattr(size.args[0], "op"):
        return None
    shape, part = size.args
    if shape.target is getattr and shape.args[1] == "shape":
        like = shape.args[0]
    elif shape.op == "call_method" and shape.target == "size" and len(shape.args) == 1:
        like = shape.args[0]
    else:
        return None
    rank = len(mp.shape(like))
    spatial = isinstance(part, slice) and part.stop is None and part.step in (None, 1)
    if not spatial or part.start not in (2, 2 - rank) or rank != len(mp.shape(x)):
        return None
    if like not in mp.ref or {mp.layout(like), mp.layout(x)} != {identity(rank)}:
        return None  # torch's axes 2… are not the spatial ones of both
    return like


def mp_kind_class(mp: Mapper, kind: str) -> Any:
    from cnncalc.layers import REGISTRY

    found = REGISTRY.get(kind)
    return found[0] if found else None


def pixel_shuffle(mp: Mapper, node: Any, x: Any, up: bool, factor: int) -> None:
    kind = "pixel_shuffle" if up else "pixel_unshuffle"
    if mp.kind(node, kind, kind):
        mp.add(node, {"type": kind, "factor": int(factor)}, [x], op=kind)
