"""Shape: flatten and reshape."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Shape,
    fmt_axes,
    fmt_shape,
    key,
    register,
)
from cnncalc.layers.values import (
    reshape_shape,
)
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size, floordiv, product


@register("flatten")
@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    view = True

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=(product(ins[0]),))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole()


@register("reshape")
@dataclass(frozen=True, kw_only=True)
class Reshape(Layer):
    view = True
    shape: tuple[int, ...] = key(reshape_shape, main=True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        total = product(ins[0])
        known = product(s for s in self.shape if s != -1)
        target: tuple[Size, ...] = self.shape
        if -1 in self.shape:
            if arith.is_int(total) and total % known:
                raise CnnCalcError(
                    f"cannot reshape {fmt_shape(ins[0])} ({total} values) to "
                    f"{fmt_shape(self.shape)}: {total} is not a multiple of {known}",
                    key="shape",
                )
            target = tuple(floordiv(total, known) if s == -1 else s for s in self.shape)
        elif arith.is_int(total) and total != known:
            raise CnnCalcError(
                f"cannot reshape {fmt_shape(ins[0])} ({total} values) to "
                f"{fmt_shape(self.shape)} ({known} values); expected the same number of values",
                key="shape",
            )
        return Effect(shape=target)

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Splitting only the channels (19x19x425 to 19x19x5x85) keeps each cell's field.

        The new axes that come from the channels are not axes of the input: later
        windows along them do not change the field.
        """
        spatial_in = shapes[0][:-1]
        kept = (
            len(shapes[0]) > 1
            and len(effect.shape) - 1 >= len(spatial_in)
            and tuple(effect.shape[: len(spatial_in)]) == spatial_in
        )
        return ins[0] if kept else ins[0].whole()

    def describe(self) -> str:
        return fmt_axes(self.shape)
