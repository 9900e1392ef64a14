"""Fully connected layers: on a flat input, or on the channels at every position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Shape,
    key,
    register,
)
from cnncalc.layers.values import (
    boolean,
    positive_int,
)
from cnncalc.symbolic.arith import product


@register("fc", "dense", "linear")
@dataclass(frozen=True, kw_only=True)
class Dense(Layer):
    units: int = key(positive_int, main=True)
    bias: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        """On a flat input, every unit reads every value; otherwise it acts on the last
        (channel) axis at every position, as Keras' Dense and PyTorch's Linear do."""
        shape = ins[0]
        n_in = shape[-1]
        return Effect(
            shape=(*shape[:-1], self.units),
            params=(n_in + (1 if self.bias else 0)) * self.units,
            macs=product(shape[:-1]) * n_in * self.units,
        )

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole() if len(shapes[0]) == 1 else ins[0]

    def describe(self) -> str:
        return str(self.units)
