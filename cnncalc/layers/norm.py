"""Normalisation layers, and the learned per-channel scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Shape,
    check_divides,
    key,
    register,
    spatial_axes,
)
from cnncalc.layers.values import boolean, choice, positive_int
from cnncalc.symbolic.arith import product


@register("batchnorm", "bn")
@dataclass(frozen=True, kw_only=True)
class BatchNorm(Layer):
    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], params=2 * c, frozen_params=2 * c)


class Normalize(Layer):
    """Normalisation over positions: an output reads its channel at every position."""

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole() if len(shapes[0]) > 1 and self.global_stats() else ins[0]

    def global_stats(self) -> bool:
        """Statistics taken over the spatial axes of each sample (not kept from training)."""
        return True


@register("layernorm")
@dataclass(frozen=True, kw_only=True)
class LayerNorm(Normalize):
    """Over the channels at every position (ConvNeXt's LayerNorm2d), or over every axis."""

    over: str = key(choice("channels", "all"), "channels")
    affine: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        normalized = ins[0][-1] if self.over == "channels" else product(ins[0])
        return Effect(shape=ins[0], params=2 * normalized if self.affine else 0)

    def global_stats(self) -> bool:
        return self.over == "all"

    def describe(self) -> str:
        return "all axes" if self.over == "all" else ""


@register("groupnorm")
@dataclass(frozen=True, kw_only=True)
class GroupNorm(Normalize):
    groups: int = key(positive_int, main=True)
    affine: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        check_divides(self.groups, c, "channels")
        return Effect(shape=ins[0], params=2 * c if self.affine else 0)

    def describe(self) -> str:
        return f"g{self.groups}"


@register("instancenorm")
@dataclass(frozen=True, kw_only=True)
class InstanceNorm(Normalize):
    """PyTorch's defaults: no affine weights, no running statistics (so each sample's own)."""

    affine: bool = key(boolean, False)
    track_running_stats: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        spatial_axes(ins[0], "instancenorm")
        c = ins[0][-1]
        return Effect(
            shape=ins[0],
            params=2 * c if self.affine else 0,
            frozen_params=2 * c if self.track_running_stats else 0,
        )

    def global_stats(self) -> bool:
        """In inference, kept running statistics make it a per-value affine map."""
        return not self.track_running_stats


@register("scale")
@dataclass(frozen=True, kw_only=True)
class Scale(Layer):
    """A learned multiplier per channel (ConvNeXt's layer scale), and a shift with bias."""

    bias: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], params=2 * c if self.bias else c)
