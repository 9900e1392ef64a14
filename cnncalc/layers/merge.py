"""Merges: add, multiply and concat, whose field is the union of their inputs' fields."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from cnncalc.layers import fields
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    MismatchError,
    Saved,
    Shape,
    fmt_axes,
    fmt_shape,
    register,
)
from cnncalc.records import record
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size, product


def union(ins: Sequence[Field]) -> tuple[Field, tuple[str, ...]]:
    """The union of the fields a merge reads, warning when their strides differ."""
    if any(f.is_global for f in ins):
        return next(f for f in ins if f.is_global), ()
    first = ins[0]
    warnings = stride_warnings(ins)
    if all(f.units is not None for f in ins):
        try:
            axes = [fields.union([f.units[a] for f in ins]) for a in range(len(first.size))]  # type: ignore[index]
            return Field.exact(axes, first.extent), warnings
        except fields.Inexact:
            pass
    return closed(ins), warnings


def closed(ins: Sequence[Field]) -> Field:
    """The closed formulas of a union: the widest extent, the finest stride (an estimate)."""
    first = ins[0]
    size, stride, start = [], [], []
    for a in range(len(first.size)):
        lo = arith.smallest([f.start[a] - arith.half(f.size[a] - 1) for f in ins])
        hi = arith.largest([f.start[a] + arith.half(f.size[a] - 1) for f in ins])
        size.append(hi - lo + 1)
        start.append((lo + hi) / 2)
        stride.append(arith.smallest([f.stride[a] for f in ins]))
    return Field(tuple(size), tuple(stride), tuple(start), first.extent)


def stride_warnings(ins: Sequence[Field]) -> tuple[str, ...]:
    """The warning of a merge whose inputs' fields step by different strides."""
    if any(f.is_global for f in ins):
        return ()
    strides = {f.stride for f in ins}
    if len(strides) > 1:
        try:
            ordered = sorted(strides)
        except TypeError:  # symbolic strides whose order depends on the sizes
            ordered = sorted(strides, key=fmt_axes)
        shown = ", ".join(fmt_axes(s) for s in ordered)
        return (f"the merged inputs have different receptive-field strides ({shown})",)
    return ()


def symbolic_match(ins: Sequence[Shape], axes: int) -> tuple[str, ...]:
    """A warning for merged sizes that are equal only for some values of the symbols."""
    for other in ins[1:]:
        if arith.shapes_match(other[:axes], ins[0][:axes]) is None:
            return (
                f"the merged sizes {fmt_shape(ins[0][:axes])} and {fmt_shape(other[:axes])} "
                "are equal only for some input sizes; `cnncalc solve` lists them",
            )
    return ()


class Merge(Layer):
    """add and concat: several inputs, a field that is the union of theirs."""

    min_inputs = 2
    max_inputs = None

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return union(ins)[0]

    def field_warnings(self, ins: Sequence[Field], shapes: Sequence[Shape]) -> tuple[str, ...]:
        return stride_warnings(ins)


def one(size: Size) -> bool:
    return arith.is_int(size) and size == 1


def maybe_one(size: Size) -> bool:
    """1 for some values of the symbols, and not for all: a broadcast that may or may not be."""
    return not arith.is_int(size) and arith.sizes_match(size, 1) is None


def broadcast(ins: Sequence[Shape], kind: str) -> tuple[Shape, tuple[str, ...]]:
    """NumPy's broadcasting on channels-last shapes: sizes equal, or 1, on every axis.

    A flat ``[C]`` input (a gate from an fc layer) counts as ``[1, …, 1, C]``. Where a
    symbol meets another size the output is what it is at every valid size: a number
    other than 1 (``W`` and ``3`` broadcast only at W = 3 or W = 1, to 3 both times), else
    the largest of the symbolic sizes (``W`` and ``H``: equal, or one of them 1, so the
    other, ``max(H, W)``).
    """
    rank = max(len(s) for s in ins)
    for j, other in enumerate(ins):
        if len(other) not in (rank, 1):
            raise MismatchError(f"{kind} needs inputs of one rank, or a flat [C] vector", ins, j)
    shapes = [(1,) * (rank - len(s)) + tuple(s) for s in ins]
    out: list[Size] = []
    some: list[str] = []  # the axes that broadcast only for some values of the symbols
    pair: tuple[int, int] | None = None
    for a in range(rank):
        wide = [i for i, s in enumerate(shapes) if not one(s[a])]
        unsure = ""
        for n, i in enumerate(wide):
            for j in wide[n + 1 :]:
                x, y = shapes[i][a], shapes[j][a]
                same = arith.sizes_match(y, x)
                if same is False and not (maybe_one(x) or maybe_one(y)):
                    raise MismatchError(
                        f"{kind} needs sizes that are equal or 1 on every axis (NumPy's "
                        "broadcasting, aligned at the channels)",
                        ins,
                        j,
                        i,
                    )
                if same is not True and not unsure:
                    unsure = broadcast_rule(x, y)
                    pair = pair or (i, j)
        if unsure:
            some.append(unsure)
        numbers = [shapes[i][a] for i in wide if arith.is_int(shapes[i][a])]
        if numbers:
            out.append(numbers[0])
        else:
            out.append(arith.largest([shapes[i][a] for i in wide]) if wide else 1)
    warnings: tuple[str, ...] = ()
    if pair is not None:
        first, other = shapes[pair[0]], shapes[pair[1]]
        if all(rule.endswith(EITHER) for rule in some):
            some = [f"on every axis {EITHER}"]
        warnings = (
            f"the merged sizes {fmt_shape(first)} and {fmt_shape(other)} broadcast only for "
            f"some input sizes ({'; '.join(some)}); `cnncalc solve` lists them",
        )
    return tuple(out), warnings


def unsure_inputs(sizes: Sequence[Size], out: Size) -> list[int]:
    """The inputs that broadcast on this axis for some values of the symbols only: a size
    that may be 1 (``W``) where the output's may be more (``3``)."""
    return [
        k for k, s in enumerate(sizes) if maybe_one(s) and arith.sizes_match(s, out) is not True
    ]


def axis_units(units: Sequence[fields.Units], sizes: Sequence[Size], out: Size) -> fields.Units:
    """The fields of a broadcast along one axis, unit by unit. An input whose size is a
    symbol that may be 1 is spread over the output where it is 1 and not where it is not
    (``W`` with ``3``: spread at W = 1, merged unit by unit at W = 3): both fields, each
    weighted by a formula that is 1 where it holds, ``[W = 1] = 1 − min(W − 1, 1)``."""
    unsure = unsure_inputs(sizes, out)
    if not unsure:
        return spread_units(units, [one(s) and not one(out) for s in sizes], out)
    if not arith.is_int(out) or len(unsure) > 3:
        raise fields.Inexact  # spread over a symbolic number of units
    cases = []
    for pattern in itertools.product((False, True), repeat=len(unsure)):
        spread = [one(s) and not one(out) for s in sizes]
        weight: Size = 1
        for k, is_one in zip(unsure, pattern, strict=True):
            spread[k] = is_one and not one(out)
            above = arith.smallest([sizes[k] - 1, 1])  # 0 where the size is 1, else 1
            weight = weight * (1 - above if is_one else above)
        cases.append((weight, spread_units(units, spread, out)))
    return fields.blend(cases)


def spread_units(units: Sequence[fields.Units], spread: Sequence[bool], out: Size) -> fields.Units:
    moving = [u for u, w in zip(units, spread, strict=True) if not w]
    still = [u.at(0) for u, w in zip(units, spread, strict=True) if w]
    return fields.broadcast(moving, still, out)


EITHER = "equal, or one of them 1"


def broadcast_rule(x: Size, y: Size) -> str:
    """What two sizes on one axis must be for a broadcast: ``W must be 3 or 1``."""
    if arith.is_int(x) or arith.is_int(y):
        number, size = (x, y) if arith.is_int(x) else (y, x)
        return f"{size} must be {number} or 1"
    return f"{x} and {y} must be {EITHER}"


class Broadcast(Merge):
    """add and multiply: elementwise over inputs broadcast to one shape."""

    def apply(self, ins: Sequence[Shape]) -> Effect:
        shape, warnings = broadcast(ins, self.kind)
        return Effect(shape=shape, warnings=warnings)

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """An input of size 1 on an axis reaches every output unit with its one unit."""
        out = effect.shape
        if any(f.is_global for f in ins):
            return next(f for f in ins if f.is_global)
        pairs = [(f, s) for f, s in zip(ins, shapes, strict=True) if len(s) == len(out)]
        kept = [f for f, _ in pairs]
        unsure = any(
            unsure_inputs([s[a] for _, s in pairs], out[a]) for a in range(len(kept[0].size))
        )
        spread = [
            [one(s[a]) and not one(out[a]) for a in range(len(kept[0].size))] for _, s in pairs
        ]
        if not unsure and not any(any(row) for row in spread):
            return union(kept)[0]
        if all(f.units is not None for f in kept):
            try:
                axes = [
                    axis_units(
                        [f.units[a] for f in kept],  # type: ignore[index]
                        [s[a] for _, s in pairs],
                        out[a],
                    )
                    for a in range(len(kept[0].size))
                ]
                return Field.exact(axes, kept[0].extent)
            except fields.Inexact:
                pass
        return closed(kept)  # spread over a symbolic number of units: the closed formulas

    def field_warnings(self, ins: Sequence[Field], shapes: Sequence[Shape]) -> tuple[str, ...]:
        """Only inputs of the output's shape step with it: a broadcast one has one unit."""
        out = broadcast(shapes, self.kind)[0]
        same = [f for f, s in zip(ins, shapes, strict=True) if tuple(s) == out]
        return stride_warnings(same or ins[:1])


@register("add")
@record(frozen=True, kw_only=True)
class Add(Broadcast):
    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Each input's gradient is the output's (summed over broadcast axes): nothing kept."""
        return ()


@register("multiply", "mul")
@record(frozen=True, kw_only=True)
class Multiply(Broadcast):
    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """torch multiplies left to right, ``(a * b) * c``: each product keeps one factor for
        the other's gradient, so a factor is kept when the other needs a gradient, and the
        partial products of three or more inputs are tensors of their own."""
        kept: list[Saved] = []
        for i in range(1, len(ins)):
            kept.append(Saved("input", i, needs=tuple(range(i))))
            if i == 1:
                kept.append(Saved("input", 0, needs=(1,)))
            else:
                partial = product(broadcast(ins[:i], self.kind)[0])
                kept.append(Saved("new", per_sample=partial, needs=(i,)))
        return tuple(kept)


@register("concat")
@record(frozen=True, kw_only=True)
class Concat(Merge):
    def apply(self, ins: Sequence[Shape]) -> Effect:
        for j, other in enumerate(ins[1:], 1):
            if len(other) != len(ins[0]) or arith.shapes_match(other[:-1], ins[0][:-1]) is False:
                raise MismatchError(
                    "concat needs inputs whose sizes match on every axis but the channels", ins, j
                )
        channels: Size = sum((s[-1] for s in ins[1:]), ins[0][-1])
        return Effect(
            shape=ins[0][:-1] + (channels,), warnings=symbolic_match(ins, len(ins[0]) - 1)
        )

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Each input's gradient is a slice of the output's: nothing kept."""
        return ()
