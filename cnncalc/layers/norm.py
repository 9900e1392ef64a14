"""Normalisation layers, and the learned per-channel scale."""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import (
    KEEPS_INPUT,
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    check_divides,
    key,
    new_tensor,
    register,
    spatial_axes,
)
from cnncalc.layers.values import boolean, choice, positive_int
from cnncalc.records import record
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import product


def stats_size(device: str) -> int:
    """Bytes of a normalisation statistic: the input's dtype on the CPU (0), float32 (the
    accumulation type) on CUDA."""
    return 4 if device == "cuda" else 0


@register("batchnorm", "bn")
@record(frozen=True, kw_only=True)
class BatchNorm(Layer):
    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], params=2 * c, frozen_params=2 * c)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input and the batch's mean and inverse deviation per channel."""
        stats = new_tensor(fixed=ins[0][-1], itemsize=stats_size(device))
        return (KEEPS_INPUT, stats, stats)

    def weight_tensors(self) -> int:
        return 2


class Normalize(Layer):
    """Normalisation over positions: an output reads its channel at every position."""

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole() if len(shapes[0]) > 1 and self.global_stats() else ins[0]

    def global_stats(self) -> bool:
        """Statistics taken over the spatial axes of each sample (not kept from training)."""
        return True


@register("layernorm")
@record(frozen=True, kw_only=True)
class LayerNorm(Normalize):
    """Over the channels at every position (ConvNeXt's LayerNorm2d), or over every axis."""

    over: str = key(choice("channels", "all"), "channels")
    affine: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        normalized = ins[0][-1] if self.over == "channels" else product(ins[0])
        return Effect(shape=ins[0], params=2 * normalized if self.affine else 0)

    def global_stats(self) -> bool:
        return self.over == "all"

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input and a mean and inverse deviation per normalised group of values: per
        position over the channels, one per sample over every axis."""
        groups = product(ins[0][:-1]) if self.over == "channels" else 1
        stats = new_tensor(groups, itemsize=stats_size(device))
        return (KEEPS_INPUT, stats, stats)

    def weight_tensors(self) -> int:
        return 2 if self.affine else 0

    def describe(self) -> str:
        return "all axes" if self.over == "all" else ""


@register("groupnorm")
@record(frozen=True, kw_only=True)
class GroupNorm(Normalize):
    groups: int = key(positive_int, main=True)
    affine: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        check_divides(self.groups, c, "channels")
        if (
            arith.is_int(c)
            and all(arith.is_int(s) for s in ins[0])
            and product(ins[0]) == self.groups
        ):
            raise CnnCalcError(
                "groupnorm over groups of one value has nothing to normalise (PyTorch refuses "
                "it); expected more channels per group or more positions",
                key="groups",
            )
        return Effect(shape=ins[0], params=2 * c if self.affine else 0)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input and a mean and inverse deviation per group of each sample."""
        stats = new_tensor(self.groups, itemsize=stats_size(device))
        return (KEEPS_INPUT, stats, stats)

    def weight_tensors(self) -> int:
        return 2 if self.affine else 0

    def describe(self) -> str:
        return f"g{self.groups}"


@register("instancenorm")
@record(frozen=True, kw_only=True)
class InstanceNorm(Normalize):
    """PyTorch's defaults: no affine weights, no running statistics (so each sample's own)."""

    affine: bool = key(boolean, False)
    track_running_stats: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        spatial_axes(ins[0], "instancenorm")
        c = ins[0][-1]
        if not self.track_running_stats and all(arith.is_int(s) and s == 1 for s in ins[0][:-1]):
            raise CnnCalcError(
                "instancenorm over one position has nothing to normalise (PyTorch refuses "
                "it); expected more than one position, or track_running_stats = true"
            )
        return Effect(
            shape=ins[0],
            params=2 * c if self.affine else 0,
            frozen_params=2 * c if self.track_running_stats else 0,
        )

    def global_stats(self) -> bool:
        """In inference, kept running statistics make it a per-value affine map."""
        return not self.track_running_stats

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """torch runs it as a batchnorm over (1, N*C, …): the input, a mean and inverse
        deviation per channel of each sample, and the weights and running statistics it
        repeats per sample to do so (tensors of their own)."""
        c = ins[0][-1]
        stats = new_tensor(c, itemsize=stats_size(device))
        repeated = new_tensor(c)
        copies = (1 if self.affine else 0) + (2 if self.track_running_stats else 0)
        return (KEEPS_INPUT, stats, stats) + (repeated,) * copies

    def weight_tensors(self) -> int:
        return 2 if self.affine else 0


@register("standardize", "normalization")
@record(frozen=True, kw_only=True)
class Standardize(Layer):
    """Fixed statistics per channel: (x - mean) / sqrt(variance), the mean and variance
    measured on data beforehand (Keras's adapted Normalization) and never trained. With
    ``count`` the number of samples they were measured on is kept too, as Keras keeps it."""

    count: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], frozen_params=2 * c + (1 if self.count else 0))

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The divisor, sqrt(variance) per channel, a tensor of its own; never the input."""
        return (new_tensor(fixed=ins[0][-1]),)

    def describe(self) -> str:
        return "with count" if self.count else ""


@register("scale")
@record(frozen=True, kw_only=True)
class Scale(Layer):
    """A learned multiplier per channel (ConvNeXt's layer scale), and a shift with bias."""

    bias: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], params=2 * c if self.bias else c)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input, for the scale's gradient; the shift keeps nothing."""
        return (KEEPS_INPUT,)

    def weight_tensors(self) -> int:
        return 2 if self.bias else 1
