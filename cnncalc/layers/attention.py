"""Attention: multi-head attention over tokens or positions, global or in windows (Swin's
shifted windows, MaxViT's block and grid partitions), and Swin's patch merging."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from cnncalc.errors import CnnCalcError
from cnncalc.layers import fields
from cnncalc.layers.base import (
    AXIS_NAMES,
    KEEPS_INPUT,
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    WindowAxis,
    fmt_axes,
    fmt_shape,
    key,
    new_tensor,
    per_axis,
    register,
    spatial_axes,
    window_field,
)
from cnncalc.layers.values import (
    boolean,
    choice,
    layer_name,
    nonneg_spatial,
    positive_int,
    spatial,
)
from cnncalc.records import record
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size, ceildiv, exact_half, product, settle


@record(frozen=True)
class Plan:
    """What one attention layer computes on its input shapes."""

    dim: Size  # the embedding dimension: Q, K, V and output channels
    channels: Size  # the query input's channels
    kv_channels: Size  # the keys' and values' input channels
    queries: Size  # query positions (padded up to whole windows)
    keys: Size  # key positions each query reads: all of them, or one window's
    key_rows: Size  # key positions projected (all tokens of kv, or the padded input)
    window: tuple[int, ...] = ()  # per axis, when windowed
    shift: tuple[Size, ...] = ()  # per axis, as applied (0 where the window covers the axis)


def grid_groups(size: int, window: int) -> list[tuple[int, int]]:
    """MaxViT's grid partition along one axis: output t attends to the positions t mod
    (size / window), spaced size / window apart, as (first, last)."""
    step = size // window
    return [(t % step, t % step + step * (window - 1)) for t in range(size)]


@register("attention")
@record(frozen=True, kw_only=True)
class Attention(Layer):
    """Multi-head attention: Q, K and V projections, softmax(Q Kᵀ / sqrt(d)) V per head, and
    the output projection; over every token, or within windows of a spatial input."""

    tokens_aware = True
    max_inputs = 2
    reads: ClassVar[str] = "kv"  # a key whose layer is read as a second input

    heads: int = key(positive_int, main=True)
    dim: int | None = key(positive_int, None)
    qkv_bias: bool = key(boolean, True)
    proj_bias: bool = key(boolean, True)
    kv: str | None = key(layer_name, None)
    window: tuple[int, ...] | None = key(spatial, None)
    shift: tuple[int, ...] | None = key(nonneg_spatial, None)
    partition: str = key(choice("block", "grid"), "block")
    relative_bias: bool | None = key(boolean, None)

    def table(self) -> bool:
        return self.window is not None if self.relative_bias is None else self.relative_bias

    def plan(self, ins: Sequence[Shape]) -> Plan:
        x = ins[0]
        n = spatial_axes(x, "attention")
        if len(ins) > 1 and self.kv is None:
            raise CnnCalcError(
                "attention reads one input; expected the keys' and values' layer in kv",
                key="inputs",
            )
        c = x[-1]
        dim = c if self.dim is None else self.dim
        if arith.is_int(dim) and dim % self.heads:
            raise CnnCalcError(
                f"heads = {self.heads} does not divide the embedding dimension {dim}; "
                f"expected a divisor of {dim}",
                key="heads",
            )
        if self.window is None:
            shifted = self.shift is not None and any(self.shift)
            for name, given in (("shift", shifted), ("relative_bias", self.relative_bias)):
                if given:
                    raise CnnCalcError(f"{name} needs a window; expected window = N", key=name)
            if self.partition != "block":
                raise CnnCalcError("partition needs a window; expected window = N", key="partition")
            queries = product(x[:-1])
            if self.kv is None:
                return Plan(dim, c, c, queries, queries, queries)
            k = ins[1]
            if len(k) < 2:
                raise CnnCalcError(
                    f"kv {self.kv} is the flat shape {fmt_shape(k)}; expected tokens [L, C] "
                    "or positions [*spatial, C]",
                    key="kv",
                )
            keys = product(k[:-1])
            return Plan(dim, c, k[-1], queries, keys, keys)
        if self.kv is not None:
            raise CnnCalcError(
                "kv (cross-attention) cannot be windowed; expected kv or window, not both",
                key="kv",
            )
        return self.windowed(x, n, dim)

    def windowed(self, x: Shape, n: int, dim: Size) -> Plan:
        assert self.window is not None
        window = per_axis("window", self.window, n)
        shift = per_axis("shift", self.shift or (0,), n)
        padded: list[Size] = []
        applied: list[Size] = []
        for a, (size, w, s) in enumerate(zip(x[:-1], window, shift, strict=True)):
            axis = AXIS_NAMES[n][a]
            if self.partition == "grid":
                if s:
                    raise CnnCalcError(
                        "shift applies to block windows only; expected no shift with "
                        'partition = "grid"',
                        key="shift",
                    )
                if arith.is_int(size) and size % w:
                    raise CnnCalcError(
                        f"a grid partition of {w} needs sizes that are multiples of {w}, got "
                        f"{size} on axis {axis}",
                        key="window",
                    )
                padded.append(size)
                applied.append(0)
                continue
            if s >= w:
                raise CnnCalcError(
                    f"shift {s} on axis {axis} is not smaller than the window {w}; expected "
                    f"0 <= shift < {w}",
                    key="shift",
                )
            whole = ceildiv(size, w) * w  # padded at the end up to whole windows
            padded.append(whole)
            # torchvision's rule: no shift on an axis that one window covers
            applied.append(0 if arith.is_int(whole) and whole <= w else s)
        positions = product(padded)
        return Plan(
            dim,
            x[-1],
            x[-1],
            positions,
            product(window),
            positions,
            window,
            tuple(applied),
        )

    def apply(self, ins: Sequence[Shape]) -> Effect:
        p = self.plan(ins)
        dim = p.dim
        bias = dim if self.qkv_bias else 0
        params: Size = (p.channels * dim + bias) + 2 * (p.kv_channels * dim + bias)
        params += dim * dim + (dim if self.proj_bias else 0)
        if self.table():
            params += self.heads * product(2 * w - 1 for w in p.window)
        macs = (
            p.queries * p.channels * dim  # Q
            + 2 * p.key_rows * p.kv_channels * dim  # K and V
            + p.queries * dim * dim  # the output projection
            + 2 * p.queries * p.keys * dim  # Q Kᵀ and A V, all heads
        )
        return Effect(shape=(*ins[0][:-1], dim), params=params, macs=macs)

    def products(self, ins: Sequence[Shape]) -> Size:
        """The multiply-adds of ``Q Kᵀ`` and ``A V`` (the rest of the MACs are projections)."""
        p = self.plan(ins)
        return 2 * p.queries * p.keys * p.dim

    def bias_adds(self, ins: Sequence[Shape]) -> Size:
        """One add per output value of each projection with a bias."""
        p = self.plan(ins)
        qkv = (p.queries + 2 * p.key_rows) * p.dim if self.qkv_bias else 0
        return qkv + (p.queries * p.dim if self.proj_bias else 0)

    def weights(self, ins: Sequence[Shape]) -> Size:
        """The attention weights: the values the softmax computes, every head's."""
        p = self.plan(ins)
        return self.heads * p.queries * p.keys

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Global attention reads every token (and kv's); a windowed one reads its window,
        per axis (``repeating``, ``grid_groups``)."""
        f = ins[0]
        if self.window is None or f.is_global:
            return f.whole()
        if f.grid is not None:
            raise CnnCalcError(
                f"a window over tokens of the {fmt_axes(f.grid)} grid would slide along the "
                "flattened sequence; expected a spatial input (lay the tokens out with grid)",
                key="window",
            )
        p = self.plan(shapes)
        sizes = shapes[0][:-1]
        if self.partition == "grid":
            if not all(arith.is_int(sizes[a]) for a in range(len(f.size))):
                return f.whole()
            exact = f.follow(lambda a, u: spans(u, grid_groups(sizes[a], p.window[a])))
            return f.whole() if exact is None else exact
        periodic = f.follow(lambda a, u: repeating(u, p.window[a], p.shift[a]))
        if periodic is not None:
            return periodic
        size, stride, start = [], [], []
        for a in range(len(f.size)):
            w, s, j = p.window[a], p.shift[a], f.stride[a]
            size.append(settle(f.size[a] + (w - 1) * j))
            stride.append(j)
            centre = exact_half(w - 1) if not s else s - exact_half(w + 1)
            start.append(settle(f.start[a] + centre * j))
        return Field(tuple(size), tuple(stride), tuple(start), f.extent)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Attention as the PyTorch export writes it (each projection a batched product of
        the input itself, ``Q Kᵀ`` and ``A V`` batched products of views, ``softmax``): the
        input (and kv's) for the projections' weights, or the copy padded to whole windows
        when there is padding; Q, K and V for the two products, the softmax's output (for
        its own gradient and A V's), and the heads' output for the last projection."""
        p = self.plan(ins)
        inputs = (KEEPS_INPUT,) if self.kv is None else (KEEPS_INPUT, Saved("input", 1))
        if arith.sizes_match(p.queries, product(ins[0][:-1])) is False:
            inputs = (new_tensor(p.queries * p.channels),)  # padded to whole windows: a copy
        rows = new_tensor(p.queries * p.dim)
        keys = new_tensor(p.key_rows * p.dim)
        weights = new_tensor(self.heads * p.queries * p.keys)
        return (*inputs, rows, keys, keys, weights, rows)

    def weight_tensors(self) -> int:
        """Q, K, V and output projections, each a weight and a bias, and the bias table."""
        return 4 + (3 if self.qkv_bias else 0) + (1 if self.proj_bias else 0) + self.table()

    def describe(self) -> str:
        text = f"{self.heads} heads"
        if self.window is not None:
            text += f", {self.partition} {fmt_axes(self.window)}"
            if self.shift and any(self.shift):
                text += f" shift {fmt_axes(self.shift)}"
        if self.kv is not None:
            text += f", kv {self.kv}"
        return text


def spans(u: fields.Units, reads: list[tuple[int, int]]) -> fields.Units:
    """Output t reads the input units ``reads[t]`` (first, last), over one whole axis."""
    size = len(reads)
    return fields.mapped(u, size, size, lambda m: range(reads[m][0], reads[m][1] + 1))


def repeating(u: fields.Units, window: int, shift: Size) -> fields.Units:
    """Block windows along one axis, repeating every ``window`` outputs: output t reads
    ``w*floor(t/w)`` .. ``+ w - 1``, or with a shift s the groups [s - w, s), [s, s + w), …
    (torchvision's Swin rolls by -s and masks the last window's part that wrapped around
    from the other end). Positions beyond the input, the padding up to whole windows and
    that masked part, count as a convolution counts its padding: inside the span, outside
    the input. So the pattern is the same at every size, and exact for symbols too."""
    if not arith.is_int(shift):
        raise fields.Inexact
    s = int(shift)

    def reads(m: int) -> range:
        if not s:
            return range(0, window)
        return range(s - window, s) if m < s else range(s, s + window)

    return fields.mapped(u, window, window, reads)


@register("patch_merging")
@record(frozen=True, kw_only=True)
class PatchMerging(Layer):
    """Swin's down-sampling: every 2 x 2 block's channels side by side (odd sizes padded at
    the end), a layernorm over them, and a linear layer without bias to ``filters`` (2C)."""

    filters: int | None = key(positive_int, None)

    def merged(self, ins: Sequence[Shape]) -> Shape:
        """The blocks side by side: what the layernorm normalises and the linear reads."""
        n = len(ins[0]) - 1
        return (*(ceildiv(s, 2) for s in ins[0][:-1]), 2**n * ins[0][-1])

    def apply(self, ins: Sequence[Shape]) -> Effect:
        spatial_axes(ins[0], "patch_merging")
        *out, merged = self.merged(ins)
        k = 2 * ins[0][-1] if self.filters is None else self.filters
        return Effect(
            shape=(*out, k), params=2 * merged + merged * k, macs=product(out) * merged * k
        )

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Output t reads inputs 2t and 2t + 1: a window of 2 with stride 2."""
        return window_field(ins[0], [WindowAxis(0, 2, 2, 2, 0, 0, 0)] * len(ins[0].size))

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The blocks side by side (a tensor of its own, which the layernorm keeps), its
        mean and inverse deviation per position, and its output (the linear layer's)."""
        positions = product(effect.shape[:-1])
        merged = new_tensor(product(self.merged(ins)))
        stats = new_tensor(positions)
        return (merged, stats, stats, merged)

    def weight_tensors(self) -> int:
        return 3

    def describe(self) -> str:
        return "" if self.filters is None else str(self.filters)
