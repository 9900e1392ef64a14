"""Layout changes: permute, transpose, view, reshape, flatten, squeeze, and the channel
shuffle and channel pieces built from them.

A permute is no layer: it changes which torch axis holds which logical axis, and the layers
after it read their axes through that (``Mapper.layout``). A reshape is a cnncalc
``flatten`` or ``reshape`` in cnncalc's channels-last order; ShuffleNet's
``view → transpose(1, 2) → view`` is a ``channel_shuffle``; ``chunk``/``split`` and
slices on the channel axis are channel ranges.
"""

from __future__ import annotations

from typing import Any

from cnncalc.interop.import_map import Mapper, channels_last, channels_last_perm, identity
from cnncalc.interop.torch_import_kinds import index_keys


def permute(mp: Mapper, node: Any, x: Any, dims: list[int]) -> None:
    """``x.permute(dims)``: torch axis i now holds what axis ``dims[i]`` held."""
    grouped = mp.special.get(x)
    rank = len(mp.shape(x))
    dims = [d % rank for d in dims]
    if grouped is not None and grouped[0] == "grouped" and dims[:3] == [0, 2, 1]:
        mp.special[node] = ("shuffled", *grouped[1:])
        mp.alias(node, x)
        return
    if grouped is not None:
        return mp.refuse(node, "a permute of channels split into groups, other than a shuffle")
    flat_to_last(mp, x, dims)
    old = mp.layout(x)
    mp.alias(node, x, tuple(old[d] for d in dims))


def flat_to_last(mp: Mapper, x: Any, dims: list[int]) -> None:
    """``v.reshape(n, a, 1).permute(0, 2, 1)`` of a flat ``v`` is cnncalc's reshape to
    ``[a, 1]``, channels last (what the export writes), not the ``[1, a]`` a reshape to
    ``(n, c, 1)`` alone reads as (a squeeze-and-excitation gate): the permute says which."""
    rank = len(mp.shape(x))
    layer = mp.layer_of.get(mp.ref.get(x, ""))
    source = x.args[0] if x.op != "call_module" and x.args else None
    if (
        layer is not None
        and layer.keys.get("type") == "reshape"
        and len(x.users) == 1
        and hasattr(source, "op")
        and len(mp.shape(source)) == 2
        and mp.layout(x) == identity(rank)
        and dims == [0, rank - 1, *range(1, rank - 1)]
        and all(s == 1 for s in mp.shape(x)[2:])
    ):
        layer.keys["shape"] = list(mp.shape(x)[1:])
        mp.perm[x] = channels_last_perm(rank)


def transpose(mp: Mapper, node: Any, x: Any, a: int, b: int) -> None:
    rank = len(mp.shape(x))
    dims = list(range(rank))
    dims[a % rank], dims[b % rank] = dims[b % rank], dims[a % rank]
    permute(mp, node, x, dims)


def movedim(mp: Mapper, node: Any, x: Any, source: int, dest: int) -> None:
    rank = len(mp.shape(x))
    dims = list(range(rank))
    moved = dims.pop(source % rank)
    dims.insert(dest % rank, moved)
    permute(mp, node, x, dims)


def same(mp: Mapper, node: Any, x: Any) -> None:
    """contiguous, clone, detach, to: the same values."""
    if x in mp.special:
        mp.special[node] = mp.special[x]
    mp.alias(node, x)


def reshape(mp: Mapper, node: Any, x: Any) -> None:
    """view, reshape, flatten, squeeze, unsqueeze: a cnncalc flatten or reshape, or nothing."""
    before, after = mp.shape(x), mp.shape(node)
    special = mp.special.get(x)
    if special is not None:
        kind, source, groups = special
        if kind == "shuffled" and after == mp.shape(source):
            if mp.kind(node, "channel_shuffle", "channel shuffle (view, transpose, view)"):
                mp.add(node, {"type": "channel_shuffle", "groups": groups}, [source])
            return None
        return mp.refuse(node, "a reshape of channels split into groups, other than a shuffle")
    perm = mp.layout(x)
    rank = len(before)
    if token_layout(mp, node, x, before, after):
        return None
    if (
        rank > 2
        and perm == identity(rank)
        and len(after) == rank + 1
        and after[1] * after[2] == before[1]
        and after[3:] == before[2:]
    ):  # channels split into groups: the first step of a channel shuffle
        mp.special[node] = ("grouped", x, after[1])
        return mp.alias(node, x)
    if before == after:
        return mp.alias(node, x)
    squeezed = [s for s in before[1:] if s != 1] == [s for s in after[1:] if s != 1]
    if len(after) == 2:
        if rank == 2 or squeezed and rank > 2 and before[1] == after[1]:
            if rank == 2:
                return mp.alias(node, x)
        mp.add(node, {"type": "flatten"}, [x], op="flatten")
        return None
    if rank == 2 and all(s == 1 for s in after[2:]) and after[1] == before[1]:
        # a flat [C] as (N, C, 1, …): cnncalc's [1, …, C]
        mp.add(node, {"type": "reshape", "shape": channels_last(after)}, [x], op="reshape")
        return None
    ordered = rank == 2 or perm == channels_last_perm(rank) or all(s == 1 for s in before[2:])
    if ordered and not (perm == identity(rank) and rank > 2 and squeezed):
        # torch's order is cnncalc's: the new shape is written as it is
        mp.add(node, {"type": "reshape", "shape": list(after[1:])}, [x], op="reshape")
        mp.perm[node] = channels_last_perm(len(after))
        return None
    target = channels_last(after)
    if mp.cnncalc_shape(x) == target:
        return mp.alias(node, x)
    mp.add(node, {"type": "reshape", "shape": target}, [x], op="reshape")
    return None


def token_layout(
    mp: Mapper, node: Any, x: Any, before: tuple[int, ...], after: tuple[int, ...]
) -> bool:
    """The spatial axes flattened into one token axis (``x.flatten(2)``, ViT's
    ``reshape(n, c, h * w)``, channels-last ``(n, h * w, c)``) is ``tokens``; one token
    axis unflattened into spatial axes is ``grid``."""
    perm, rank = mp.layout(x), len(before)
    first = perm == identity(rank)
    if not first and perm != channels_last_perm(rank):
        return False
    c = before[1] if first else before[-1]
    spatial = before[2:] if first else before[1:-1]
    new = after[2:] if first else after[1:-1]
    if (after[1] if first else after[-1]) != c or before[0] != after[0]:
        return False
    if rank > 3 and len(after) == 3 and new[0] == product(spatial):
        if mp.kind(node, "tokens", "spatial axes flattened into tokens"):
            mp.add(node, {"type": "tokens"}, [x], op="tokens")
            mp.perm[node] = identity(3) if first else (0, 2, 1)
        return True
    if rank == 3 and len(after) > 3 and product(new) == spatial[0]:
        if mp.kind(node, "grid", "tokens unflattened into spatial axes"):
            mp.add(node, {"type": "grid", "size": list(new)}, [x], op="grid")
            mp.perm[node] = identity(len(after)) if first else channels_last_perm(len(after))
        return True
    return False


def token_at(mp: Mapper, node: Any, x: Any, i: int) -> None:
    """``x[:, i]`` on the token axis (ViT's class token): a ``slice`` of one token, flat."""
    if mp.kind(node, "slice", f"token {i}"):
        mp.add(node, {"type": "slice", "axis": 0, "start": i, "end": i + 1}, [x], op="token")
        mp.add(node, {"type": "flatten"}, [node], op="flatten")


def product(sizes: tuple[int, ...]) -> int:
    out = 1
    for s in sizes:
        out *= s
    return out


def pieces(mp: Mapper, node: Any, x: Any, sizes: list[int], dim: int) -> None:
    """chunk and split: a tuple of channel ranges, read by ``getitem``."""
    ranges, start = [], 0
    for s in sizes:
        ranges.append((start, start + s))
        start += s
    mp.special[node] = ("pieces", x, (ranges, dim % len(mp.shape(x))))


def channel_range(mp: Mapper, node: Any, x: Any, dim: int, start: int, end: int) -> None:
    """Channels ``start:end`` of ``x`` along torch axis ``dim``: a ``slice`` layer."""
    logical = mp.layout(x)[dim]
    if logical != 1:
        return mp.refuse(node, "a slice along an axis other than the channels")
    if start == 0 and end >= mp.logical(x)[1]:
        return mp.alias(node, x)
    if mp.kind(node, "slice", f"channels {start}:{end}"):
        mp.add(node, {"type": "slice", "start": start, "end": end}, [x], op="slice")
        mp.keep_layout(node, x)
    return None


def index(mp: Mapper, node: Any, x: Any, items: Any) -> None:
    """``x[...]`` on a tensor: new size-1 axes after a flat vector, or a channel range."""
    items = items if isinstance(items, tuple) else (items,)
    if items and items[0] is Ellipsis and all(i is None for i in items[1:]):
        return mp.alias(node, x)  # x[..., None, None]: cnncalc broadcasts a flat [C] so
    rank = len(mp.shape(x))
    cut = [(d, i) for d, i in enumerate(items) if not (isinstance(i, slice) and i == slice(None))]
    one_cut = len(cut) == 1 and isinstance(cut[0][1], slice) and cut[0][1].step in (None, 1)
    if one_cut and mp.layout(x)[cut[0][0] % rank] == 1:
        d, s = cut[0]
        size = mp.shape(x)[d]
        start, end, _ = s.indices(size)
        return channel_range(mp, node, x, d % rank, start, end)
    if len(cut) == 1 and isinstance(cut[0][1], int) and rank == 3 and mp.layout(x)[cut[0][0]] == 2:
        return token_at(mp, node, x, cut[0][1] % mp.shape(x)[cut[0][0]])
    keys = index_keys(items, mp.shape(x))
    if keys is not None and keys["type"] == "crop" and mp.layout(x) == identity(rank):
        if mp.kind(node, "crop", "a spatial crop"):
            mp.add(node, keys, [x], op="crop")
        return None
    mp.refuse(node, f"indexing {items!r}")
    return None
