"""Normalisation layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.layers.base import (
    Effect,
    Layer,
    Shape,
    register,
)


@register("batchnorm", "bn")
@dataclass(frozen=True, kw_only=True)
class BatchNorm(Layer):
    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], params=2 * c, frozen_params=2 * c)
