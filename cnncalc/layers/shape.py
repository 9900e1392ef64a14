"""Shape: flatten and reshape."""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    fmt_axes,
    fmt_shape,
    key,
    register,
)
from cnncalc.layers.values import (
    reshape_shape,
)
from cnncalc.records import record
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size, floordiv, product

BATCH = 2  # any batch above 1: a batch of 1 could only let torch merge more axes


def contiguous_strides(sizes: Sequence[int]) -> list[int]:
    strides, step = [], 1
    for size in reversed(sizes):
        strides.append(step)
        step *= size
    return strides[::-1]


def view_strides(
    sizes: Sequence[int], strides: Sequence[int], target: Sequence[int]
) -> list[int] | None:
    """The strides of ``target`` as a view of a tensor of ``sizes`` and ``strides``, or None
    when it cannot be one and torch's ``reshape`` copies (ATen's ``computeStride``)."""
    new = [0] * len(target)
    view_d = len(target) - 1
    base, tensor_numel, view_numel = strides[-1], 1, 1
    for d in range(len(sizes) - 1, -1, -1):
        tensor_numel *= sizes[d]
        if d == 0 or (sizes[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or target[view_d] == 1):
                new[view_d] = view_numel * base
                view_numel *= target[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base, tensor_numel, view_numel = strides[d - 1], 1, 1
    return None if view_d != -1 else new


def is_contiguous(sizes: Sequence[int], strides: Sequence[int]) -> bool:
    """torch's rule: every axis longer than 1 steps by the product of the later sizes."""
    step = 1
    for size, stride in zip(reversed(sizes), reversed(strides), strict=True):
        if size != 1 and stride != step:
            return False
        step *= size
    return True


def torch_view(shape: Shape, target: Shape) -> bool:
    """Whether the export's channels-last reshape of a contiguous (N, C, …) tensor to
    ``target`` (then back to channels first, made contiguous) leaves the values in place.

    cnncalc orders values spatial-first, channels-last; torch keeps channels first, so the
    export permutes to cnncalc's order, reshapes, and permutes back: a copy unless the
    permutes only move axes of size 1.
    """
    if not all(isinstance(s, int) for s in (*shape, *target)):
        return False
    sizes = [BATCH, *shape]
    if len(shape) > 1:  # the channels-last view of a contiguous channels-first tensor
        first = [BATCH, shape[-1], *shape[:-1]]
        st = contiguous_strides(first)
        strides = [st[0], *st[2:], st[1]]
    else:
        strides = contiguous_strides(sizes)
    view = view_strides(sizes, strides, [BATCH, *target])
    if view is None:
        return False
    if len(target) == 1:
        return True
    order = [0, len(target), *range(1, len(target))]  # back to channels first
    return is_contiguous([([BATCH, *target])[i] for i in order], [view[i] for i in order])


@register("flatten")
@record(frozen=True, kw_only=True)
class Flatten(Layer):
    view = True

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=(product(ins[0]),))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole()

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """A reshape's gradient is a reshape: nothing kept."""
        return ()

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """A view, except where putting the channels last makes torch copy (``torch_view``)."""
        return len(ins[0]) == 1 or torch_view(ins[0], effect.shape)


@register("reshape")
@record(frozen=True, kw_only=True)
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

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """A reshape's gradient is a reshape: nothing kept."""
        return ()

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """A view where the permutes around torch's reshape allow one (``torch_view``)."""
        return torch_view(ins[0], effect.shape)

    def describe(self) -> str:
        return fmt_axes(self.shape)
