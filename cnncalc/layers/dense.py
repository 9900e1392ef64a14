"""Fully connected layers: on a flat input, or on the channels at every position."""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.layers.base import (
    KEEPS_INPUT,
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    key,
    register,
)
from cnncalc.layers.values import (
    boolean,
    positive_int,
)
from cnncalc.records import record
from cnncalc.symbolic.arith import product


@register("fc", "dense", "linear")
@record(frozen=True, kw_only=True)
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

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input, for the weights' gradient. On a spatial input torch's Linear acts on
        the channels moved last, which it folds into rows: a copy once there are two
        samples or more (one sample folds as a strided view), unless moving the channels
        kept the values in order (one channel, or one position). It keeps the rows."""
        shape = ins[0]
        if len(shape) == 1 or shape[-1] == 1 or product(shape[:-1]) == 1:
            return (KEEPS_INPUT,)
        return (Saved("input", copied_from_batch=2),)

    def weight_tensors(self) -> int:
        return 2 if self.bias else 1

    def describe(self) -> str:
        return str(self.units)
