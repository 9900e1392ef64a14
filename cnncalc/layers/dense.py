"""Fully connected layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import (
    KEEPS_INPUT,
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    fmt_shape,
    key,
    register,
)
from cnncalc.layers.values import (
    boolean,
    positive_int,
)


@register("fc", "dense", "linear")
@dataclass(frozen=True, kw_only=True)
class Dense(Layer):
    units: int = key(positive_int, main=True)
    bias: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        shape = ins[0]
        if len(shape) != 1:
            raise CnnCalcError(
                f"fc needs a flat input, got {fmt_shape(shape)}; "
                'add a { type = "flatten" } layer before it'
            )
        n_in = shape[0]
        return Effect(
            shape=(self.units,),
            params=(n_in + (1 if self.bias else 0)) * self.units,
            macs=n_in * self.units,
        )

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole()

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input, for the weights' gradient (the weights themselves are parameters)."""
        return (KEEPS_INPUT,)

    def weight_tensors(self) -> int:
        return 2 if self.bias else 1

    def describe(self) -> str:
        return str(self.units)
