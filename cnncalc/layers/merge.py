"""Merges: add and concat, whose field is the union of their inputs' fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnncalc.errors import CnnCalcError
from cnncalc.layers import fields
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Shape,
    fmt_axes,
    fmt_shape,
    register,
)
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size


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
    size, stride, start = [], [], []
    for a in range(len(first.size)):
        lo = arith.smallest([f.start[a] - arith.half(f.size[a] - 1) for f in ins])
        hi = arith.largest([f.start[a] + arith.half(f.size[a] - 1) for f in ins])
        size.append(hi - lo + 1)
        start.append((lo + hi) / 2)
        stride.append(min(f.stride[a] for f in ins))
    return Field(tuple(size), tuple(stride), tuple(start), first.extent), warnings


def stride_warnings(ins: Sequence[Field]) -> tuple[str, ...]:
    """The warning of a merge whose inputs' fields step by different strides."""
    if any(f.is_global for f in ins):
        return ()
    strides = {f.stride for f in ins}
    if len(strides) > 1:
        shown = ", ".join(fmt_axes(s) for s in sorted(strides))
        return (f"the merged inputs have different receptive-field strides ({shown})",)
    return ()


class MismatchError(CnnCalcError):
    """Two inputs of a merge disagree; the engine names them, since only it knows the names."""

    def __init__(self, rule: str, shapes: Sequence[Shape], other: int) -> None:
        self.rule, self.shapes, self.other = rule, shapes, other
        super().__init__(self.explain(["first input", f"input {other + 1}"]), key="inputs")

    def explain(self, names: Sequence[str]) -> str:
        first, other = fmt_shape(self.shapes[0]), fmt_shape(self.shapes[self.other])
        return f"{self.rule}, got {names[0]} {first} and {names[1]} {other}"


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

    def field_warnings(self, ins: Sequence[Field]) -> tuple[str, ...]:
        return stride_warnings(ins)


@register("add")
@dataclass(frozen=True, kw_only=True)
class Add(Merge):
    def apply(self, ins: Sequence[Shape]) -> Effect:
        for j, other in enumerate(ins[1:], 1):
            if arith.shapes_match(other, ins[0]) is False:
                raise MismatchError("add needs inputs of one shape", ins, j)
        return Effect(shape=ins[0], warnings=symbolic_match(ins, len(ins[0])))


@register("concat")
@dataclass(frozen=True, kw_only=True)
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
