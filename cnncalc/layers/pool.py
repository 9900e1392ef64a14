"""Pooling: windowed max and average pooling, and global pooling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Shape,
    Windowed,
    fmt_axes,
    key,
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
