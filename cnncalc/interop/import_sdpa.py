"""``F.scaled_dot_product_attention`` with the projections around it → one ``attention``.

A module that writes attention itself (timm's ``Attention``, a user's own) projects its
input to queries, keys and values with linear layers, splits them into heads with reshapes
and permutes, calls ``F.scaled_dot_product_attention``, merges the heads back and projects
the result. Read node by node, those are a linear layer on a 4-D tensor of heads and
reshapes cnncalc has no layer for; read as a whole, they are one ``attention`` layer with
its four projections. ``find`` looks for that whole before the walk, from each call back to
its projections and on to the output projection, and claims its nodes; the walk then
writes the attention layer where the output projection was. A call whose surroundings are
not that pattern is left to the walk, which refuses it, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnncalc.interop.import_attention import without_biases
from cnncalc.interop.import_map import Mapper

# Operations that only move values between the projections and the call: splitting into
# heads and back, picking q, k or v out of one projection, scaling by a number.
MOVES = {
    *("view", "reshape", "transpose", "permute", "contiguous", "unflatten", "flatten"),
    *("chunk", "split", "unbind", "getitem", "movedim", "swapaxes", "mul", "truediv"),
}

SIZES = {"getattr", "size", "dim"}  # reads of a tensor's shape, not of its values


@dataclass
class Found:
    """One attention: its projections, the call, and every node in between."""

    query: Any  # the tensor the queries are projected from
    source: Any  # the tensor the keys and values are projected from
    projections: list[Any]  # the q, k, v linear nodes (one node may serve all three)
    out: Any  # the output projection, whose result the attention layer stands for
    heads: int
    nodes: set[Any] = field(default_factory=set)  # claimed: the walk writes none of them


def op(mp: Mapper, node: Any) -> str:
    from cnncalc.interop.import_calls import op_name

    if node.op == "call_module":
        m = mp.gm.get_submodule(node.target)
        if isinstance(m, mp.torch.nn.Linear):
            return "linear"
        if isinstance(m, mp.torch.nn.Identity):
            return "identity"
        return "module"
    return op_name(node) if node.op in ("call_function", "call_method") else node.op


def find(mp: Mapper) -> dict[Any, Found]:
    """Every attention call that matches, by each node it claims."""
    claimed: dict[Any, Found] = {}
    for node in mp.gm.graph.nodes:
        if node.op == "call_function" and op(mp, node) == "scaled_dot_product_attention":
            found = match(mp, node)
            if found is not None:
                for n in found.nodes:
                    claimed[n] = found
    return claimed


def back(mp: Mapper, node: Any, nodes: set[Any]) -> Any:
    """From q, k or v back through moves to the linear node that made it, or None."""
    while True:
        name = op(mp, node)
        if name == "linear":
            return node
        if name not in MOVES and name != "identity":
            return None
        if name in ("mul", "truediv") and any(
            hasattr(a, "op") for a in list(node.args)[1:] + list(node.kwargs.values())
        ):
            return None  # scaled by a tensor, not a number
        nodes.add(node)
        node = node.args[0]
        if not hasattr(node, "op"):
            return None


def match(mp: Mapper, call: Any) -> Found | None:
    if call.kwargs.get("attn_mask") is not None or call.kwargs.get("is_causal"):
        return None  # a mask changes what each query reads: left to the walk, which refuses
    if len(call.args) > 3 and call.args[3] is not None or len(call.args) > 5 and call.args[5]:
        return None
    nodes: set[Any] = {call}
    projections = [back(mp, a, nodes) for a in call.args[:3]]
    if any(p is None for p in projections):
        return None
    shape = mp.shape(call)
    if len(shape) != 4:
        return None
    heads = shape[1]
    # forward: merge the heads back, then the output projection
    node, out = call, None
    while len(node.users) == 1:
        (node,) = node.users
        name = op(mp, node)
        if name == "linear":
            out = node
            break
        if name not in MOVES and name != "identity":
            return None
        nodes.add(node)
    if out is None:
        return None
    inputs = [linear_input(p) for p in projections]
    query, source = inputs[0], inputs[1]
    if inputs[2] is not source:
        return None
    nodes.update(p for p in projections)
    nodes.add(out)
    for n in nodes - {out}:  # nothing outside reads what happens in between, but sizes
        if any(u not in nodes and op(mp, u) not in SIZES for u in n.users):
            return None
    return Found(query, source, list(dict.fromkeys(projections)), out, heads, nodes)


def linear_input(node: Any) -> Any:
    return node.args[0]


def weights(mp: Mapper, node: Any) -> tuple[Any, Any, str, tuple[str, ...]]:
    """(weight, bias) tensors of a linear node, its owner and its parameter names."""
    if node.op == "call_module":
        m = mp.gm.get_submodule(node.target)
        names = tuple(f"{node.target}.{n}" for n, _ in m.named_parameters())
        return m.weight, m.bias, str(node.target), names
    from cnncalc.interop.import_calls import arg

    w, b = arg(node, 1, "weight"), arg(node, 2, "bias")
    if not mp.is_param(w) or (b is not None and not mp.is_param(b)):
        raise ValueError("a projection whose weight is computed in forward")
    names = tuple(mp.target(p) for p in (w, b) if p is not None)
    return mp.tensor(w), (mp.tensor(b) if b is not None else None), mp.target(w), names


def write(mp: Mapper, node: Any, found: Found) -> None:
    """At each claimed node: nothing, until the output projection, which is the layer."""
    if node is not found.out:
        return
    what = "F.scaled_dot_product_attention with its projections"
    try:
        parts = [weights(mp, p) for p in found.projections]
        out = weights(mp, found.out)
    except ValueError as error:
        return mp.refuse(node, f"{what}: {error}")
    dims = {int(w.shape[0]) for w, *_ in parts}
    in_q = mp.shape(found.query)[-1]
    dim = int(out[0].shape[0])
    total = sum(int(w.shape[0]) for w, *_ in parts)
    if len(parts) == 1:
        qkv = {total // 3} if total % 3 == 0 else set()
    elif len(parts) == 3:
        qkv = dims
    else:
        qkv = set()
    biases = {b is not None for _, b, *_ in parts}
    x, kv = found.query, found.source
    if qkv != {dim} or int(out[0].shape[1]) != dim or len(biases) != 1:
        return mp.refuse(node, f"{what}: projections of different widths or biases")
    for t in {x, kv}:
        if mp.layout(t)[-1] != 1 or mp.layout(t)[0] != 0:
            return mp.refuse(node, f"{what} on a tensor whose last axis is not the channels")
    if mp.shape(node)[:-1] != mp.shape(x)[:-1]:
        return mp.refuse(node, f"{what} whose output is laid out unlike its input")
    keys: dict[str, Any] = {"type": "attention", "heads": found.heads}
    if dim != in_q:
        keys["dim"] = dim
    without_biases(keys, biases.pop(), out[1] is not None)
    if kv is not x:
        keys["kv"] = mp.ref.get(kv, "")
    params = tuple(n for *_, names in [*parts, out] for n in names)
    if mp.kind(node, "attention", what):
        mp.add(node, keys, [x], op="attention", owner=out[2], params=params)
        mp.keep_layout(node, x)
    return None
