"""Pooling: windowed max and average pooling, global and adaptive pooling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.layers import fields
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Shape,
    Windowed,
    fmt_axes,
    key,
    per_axis,
    register,
    slide,
    spatial_axes,
)
from cnncalc.layers.values import (
    Padding,
    boolean,
    choice,
    padding,
    spatial,
)
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import ceildiv, exact_half, settle


@register("pool")
@register("maxpool", mode="max")
@register("avgpool", mode="avg")
@dataclass(frozen=True, kw_only=True)
class Pool(Windowed):
    kernel: tuple[int, ...] = key(spatial, main=True)
    mode: str = key(choice("max", "avg"), "max")
    stride: tuple[int, ...] | None = key(spatial, None)
    padding: Padding = key(padding, "valid")
    ceil: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        stride = self.stride if self.stride is not None else self.kernel
        axes, warnings = slide(ins[0], "pool", self.kernel, stride, (1,), self.padding, self.ceil)
        return Effect(
            shape=tuple(w.out for w in axes) + (ins[0][-1],),
            padding=tuple((w.pad_start, w.pad_end) for w in axes),
            warnings=warnings,
            window=axes,
        )

    def describe(self) -> str:
        stride = self.stride if self.stride is not None else self.kernel
        return f"{self.mode} {fmt_axes(self.kernel)}/{fmt_axes(stride)}" + (
            " ceil" if self.ceil else ""
        )


@register("global_pool")
@dataclass(frozen=True, kw_only=True)
class GlobalPool(Layer):
    mode: str = key(choice("max", "avg"), "avg")

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "global_pool")
        return Effect(shape=(1,) * n + (ins[0][-1],))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole()

    def describe(self) -> str:
        return self.mode


@register("adaptive_pool")
@dataclass(frozen=True, kw_only=True)
class AdaptivePool(Layer):
    """PyTorch's adaptive pooling: output i of O pools the input's floor(i*I/O) ..
    ceil((i+1)*I/O) - 1, so neighbouring windows may differ in size (and overlap)."""

    output: tuple[int, ...] = key(spatial, main=True)
    mode: str = key(choice("max", "avg"), "avg")

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "adaptive_pool")
        return Effect(shape=per_axis("output", self.output, n) + (ins[0][-1],))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        f, sizes, out = ins[0], shapes[0], effect.shape
        if f.is_global or all(o == 1 for o in out[:-1]):
            return f.whole()
        axes = range(len(f.size))
        if all(arith.is_int(sizes[a]) for a in axes):
            exact = f.follow(lambda a, u: fields.adaptive(u, sizes[a], out[a]))
            if exact is not None:
                return exact
        size, stride, start = [], [], []  # the widest bin, ceil(I/O) + 1 at most
        for a in axes:
            j = f.stride[a]
            size.append(settle(f.size[a] + ceildiv(sizes[a], out[a]) * j))
            stride.append(settle(j * sizes[a] / out[a]))
            start.append(settle(f.start[a] + exact_half(ceildiv(sizes[a], out[a]) - 1) * j))
        return Field(tuple(size), tuple(stride), tuple(start), f.extent)

    def describe(self) -> str:
        return f"{self.mode} to {fmt_axes(self.output)}"
