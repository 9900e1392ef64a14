"""Attention modules and the token layouts around them → cnncalc's transformer layers.

Attention is mapped at module level: ``nn.MultiheadAttention``, torchvision's Swin
``ShiftedWindowAttention`` and ``PatchMerging`` and MaxViT's
``RelativePositionalMultiHeadAttention`` are leaves of the trace, and each becomes one
``attention`` (or ``patch_merging``) layer read off the module's own settings and weights.
Their insides (a ``qkv`` projection, a reshape into heads, two batched products, a softmax,
masks and rolls for shifted windows) are implementation: tracing through them would leave
a graph of reshapes that says less than the module's name. MaxViT's window partition and
departition are leaves too: a partitioned tensor is the same cnncalc tensor, its tokens
grouped by window, so they are layout changes (the attention layer says which grouping it
attends over). ``F.scaled_dot_product_attention`` written out in a user's own module is
read with the projections around it (``import_sdpa``). A learned tensor added to the
tokens or put before them (ViT's position embedding and class token) is a ``param``.
"""

from __future__ import annotations

from typing import Any

from cnncalc.interop.import_map import Mapper
from cnncalc.interop.import_trace import is_leaf, module_path


def without_biases(keys: dict[str, Any], qkv_bias: bool, proj_bias: bool) -> None:
    """Write ``qkv_bias = false`` and ``proj_bias = false`` where the projections have no
    bias: true is the keys' default, so a file states only what differs."""
    if not qkv_bias:
        keys["qkv_bias"] = False
    if not proj_bias:
        keys["proj_bias"] = False


def module(mp: Mapper, node: Any, m: Any) -> bool:
    """Map an attention-family module; False when the module is none of them."""
    name = type(m).__name__
    nn = mp.torch.nn
    if isinstance(m, nn.MultiheadAttention):
        multihead(mp, node, m)
    elif name in ("ShiftedWindowAttention", "ShiftedWindowAttentionV2") and is_leaf(m):
        shifted_window(mp, node, m)
    elif name == "PatchMerging" and is_leaf(m):
        patch_merging(mp, node, m)
    elif name == "RelativePositionalMultiHeadAttention" and is_leaf(m):
        partition_attention(mp, node, m)
    elif name == "WindowPartition" and is_leaf(m):
        x = node.args[0]
        if mp.layout(x) != tuple(range(4)):
            mp.refuse(node, "a window partition of a tensor that is not (N, C, H, W)")
        else:  # (N, C, H, W) → (N, windows, tokens, C): the same values, grouped
            mp.alias(node, x, (0, 2, 3, 1))
    elif name == "WindowDepartition" and is_leaf(m):
        x = node.args[0]
        if mp.layout(x)[-1] != 1:
            mp.refuse(node, "a window departition of a tensor that was not partitioned")
        else:
            mp.alias(node, x, (0, 1, 2, 3))
    elif name == "Attention" and is_leaf(m):
        own_attention(mp, node, m)
    elif name == "Param" and is_leaf(m):
        own_param(mp, node, m)
    else:
        return False
    return True


def owned(m: Any, target: str) -> tuple[str, ...]:
    return tuple(f"{target}.{n}" for n, _ in m.named_parameters())


def channels_last(mp: Mapper, node: Any, x: Any, what: str) -> bool:
    """The module reads its features from torch's last axis: it must hold the channels."""
    if mp.layout(x)[-1] == 1:
        return True
    mp.refuse(node, f"{what} on a tensor whose last axis is not the channels")
    return False


def channels_first(mp: Mapper, node: Any, x: Any, what: str) -> bool:
    """cnncalc's own modules read (N, C, spatial…) in that order."""
    if mp.layout(x) == tuple(range(len(mp.shape(x)))):
        return True
    mp.refuse(node, f"{what} on a tensor that is not (N, C, spatial…)")
    return False


def multihead(mp: Mapper, node: Any, m: Any) -> None:
    """``nn.MultiheadAttention``: self-attention when key and value are the query, else
    cross-attention over the tokens of its key (which must also be its value)."""
    args = list(node.args) + [None] * 3
    q = args[0] if args[0] is not None else node.kwargs.get("query")
    k = args[1] if args[1] is not None else node.kwargs.get("key")
    v = args[2] if args[2] is not None else node.kwargs.get("value")
    what = "nn.MultiheadAttention"
    if m.bias_k is not None or m.add_zero_attn:
        return mp.refuse(node, f"{what} with add_bias_kv or add_zero_attn")
    masks = [node.kwargs.get(k) for k in ("key_padding_mask", "attn_mask")]
    if any(m is not None for m in masks + list(node.args[3:4] + node.args[5:6])):
        return mp.refuse(node, f"{what} with a mask")
    if node.kwargs.get("is_causal") or (len(node.args) > 7 and node.args[7]):
        return mp.refuse(node, f"{what} with a mask")
    if k is not v:
        return mp.refuse(node, f"{what} whose key and value are different tensors")
    batch_axis = 0 if m.batch_first else 1
    for t in (q, k):
        if mp.layout(t)[batch_axis] != 0 or len(mp.shape(t)) != 3:
            return mp.refuse(node, f"{what} on a tensor that is not a sequence of tokens")
        if not channels_last(mp, node, t, what):
            return None
    keys: dict[str, Any] = {"type": "attention", "heads": int(m.num_heads)}
    without_biases(keys, m.in_proj_bias is not None, m.out_proj.bias is not None)
    if k is not q:  # the layer reads kv's layer as its second input
        keys["kv"] = mp.ref.get(k, "")
    attention(mp, node, keys, [q], owned(m, str(node.target)))
    mp.special[node] = ("first",)  # (output, weights): weights are None or refused
    mp.perm[node] = mp.layout(q)


def shifted_window(mp: Mapper, node: Any, m: Any) -> None:
    """Swin's window attention on (N, H, W, C), with its relative position bias table."""
    x = node.args[0]
    what = type(m).__name__
    if hasattr(m, "logit_scale"):
        return mp.refuse(
            node,
            f"{what}: Swin V2's cosine attention with a learned logit scale and a "
            "position-bias MLP",
        )
    if not channels_last(mp, node, x, what):
        return None
    window, shift = [int(w) for w in m.window_size], [int(s) for s in m.shift_size]
    keys: dict[str, Any] = {"type": "attention", "heads": int(m.num_heads)}
    keys["window"] = window[0] if len(set(window)) == 1 else window
    if any(shift):  # the layer, as torch, shifts no axis that one window covers
        keys["shift"] = shift[0] if len(set(shift)) == 1 else shift
    without_biases(keys, m.qkv.bias is not None, m.proj.bias is not None)
    attention(mp, node, keys, [x], owned(m, str(node.target)))
    mp.keep_layout(node, x)


def partition_attention(mp: Mapper, node: Any, m: Any) -> None:
    """MaxViT's attention over the tokens of a window partition: the enclosing
    ``PartitionAttentionLayer`` says whether the groups are blocks or a grid."""
    x = node.args[0]
    paths, classes = module_path(node)
    layer = None
    for path, cls in zip(reversed(paths), reversed(classes), strict=True):
        if cls == "PartitionAttentionLayer":
            layer = mp.model.get_submodule(path)
            break
    what = "RelativePositionalMultiHeadAttention"
    if layer is None:
        return mp.refuse(node, f"{what} outside a PartitionAttentionLayer")
    if not channels_last(mp, node, x, what):
        return None
    grid = layer.partition_type == "grid"
    keys: dict[str, Any] = {"type": "attention", "heads": int(m.n_heads)}
    if m.n_heads * m.head_dim != m.to_qkv.in_features:
        keys["dim"] = int(m.n_heads * m.head_dim)
    keys["window"] = int(layer.g if grid else layer.p)
    if grid:
        keys["partition"] = "grid"
    without_biases(keys, m.to_qkv.bias is not None, m.merge.bias is not None)
    attention(mp, node, keys, [x], owned(m, str(node.target)))
    mp.keep_layout(node, x)


def own_attention(mp: Mapper, node: Any, m: Any) -> None:
    """cnncalc's exported ``Attention``: its keys are written on it."""
    x = node.args[0]
    if not channels_first(mp, node, x, "Attention"):
        return None
    keys = {"type": "attention", **m.cnncalc_keys}
    if len(node.args) > 1:
        keys["kv"] = mp.ref.get(node.args[1], "")
    attention(mp, node, keys, [x], owned(m, str(node.target)))
    mp.keep_layout(node, x)


def own_param(mp: Mapper, node: Any, m: Any) -> None:
    """cnncalc's exported ``Param``: (C, …) added, or (1, C, n, …) put first."""
    x = node.args[0]
    if not channels_first(mp, node, x, "Param"):
        return None
    shape = [int(s) for s in m.weight.shape]
    torch_order = shape[1:] if m.concat else shape
    keys = {"type": "param", "shape": [*torch_order[1:], torch_order[0]], **m.cnncalc_keys}
    if mp.kind(node, "param", "Param"):
        params = owned(m, str(node.target))
        mp.add(node, keys, [x], op="param", owner=str(node.target), params=params)
        mp.keep_layout(node, x)


def attention(
    mp: Mapper, node: Any, keys: dict[str, Any], inputs: list[Any], params: tuple[str, ...]
) -> None:
    if mp.kind(node, "attention", "attention"):
        mp.add(node, keys, inputs, op="attention", owner=str(node.target), params=params)


def patch_merging(mp: Mapper, node: Any, m: Any) -> None:
    """Swin's 2x2 space-to-depth, layer norm over 4C, bias-free linear 4C → 2C."""
    x = node.args[0]
    what = "PatchMerging"
    own = hasattr(m, "cnncalc_keys")  # cnncalc's reads (N, C, …), torchvision's (N, …, C)
    if not (channels_first(mp, node, x, what) if own else channels_last(mp, node, x, what)):
        return None
    c, n = mp.logical(x)[1], len(mp.shape(x)) - 2
    keys = {"type": "patch_merging", **getattr(m, "cnncalc_keys", {})}
    k = keys.get("filters", 2 * c)
    if (m.reduction.in_features, m.reduction.out_features) != (2**n * c, k):
        return mp.refuse(node, f"{what} that does not map {2**n}C channels to {k}")
    if m.reduction.bias is not None or not isinstance(m.norm, mp.torch.nn.LayerNorm):
        return mp.refuse(node, f"{what} with a biased reduction or a norm other than LayerNorm")
    if mp.kind(node, "patch_merging", what):
        params = owned(m, str(node.target))
        mp.add(node, keys, [x], owner=str(node.target), params=params)
        mp.keep_layout(node, x)
    return None


def param(mp: Mapper, node: Any, x: Any, p: Any, shape: tuple[int, ...], mode: str) -> None:
    """A learned tensor added to ``x`` or put before its tokens (ViT's position embedding
    and class token): a ``param``, its shape in cnncalc's order through ``x``'s layout."""
    logical = [1] * len(shape)
    for i, d in enumerate(mp.layout(x)):
        logical[d] = shape[i]
    keys = {"type": "param", "shape": channels_last_of(logical)}
    if mode != "add":
        keys["mode"] = mode
    if mp.kind(node, "param", f"the learned tensor {mp.target(p)}"):
        name = mp.target(p)
        params = tuple(str(s.target) for s in mp.sources(p))
        mp.add(node, keys, [x], op=name.rpartition(".")[2], owner=name, params=params)
        mp.keep_layout(node, x)


def channels_last_of(logical: list[int]) -> list[int]:
    return [*logical[2:], logical[1]]
