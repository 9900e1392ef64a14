"""Normalisation layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.layers.base import (
    KEEPS_INPUT,
    Effect,
    Layer,
    Saved,
    Shape,
    new_tensor,
    register,
)


@register("batchnorm", "bn")
@dataclass(frozen=True, kw_only=True)
class BatchNorm(Layer):
    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], params=2 * c, frozen_params=2 * c)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input and the batch's mean and inverse deviation per channel: in the
        input's dtype on the CPU, in float32 (the accumulation type) on CUDA."""
        stats = new_tensor(fixed=ins[0][-1], itemsize=4 if device == "cuda" else 0)
        return (KEEPS_INPUT, stats, stats)

    def weight_tensors(self) -> int:
        return 2
