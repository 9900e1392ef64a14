"""Up-sampling: nearest, linear (bilinear, trilinear) and bicubic, by a scale or to a size.

PyTorch computes each output's source coordinate in single precision on the CPU.
Where the exact coordinate is a whole number, float32 may land a hair beside it,
and torch then reads a neighbouring pixel with a weight near 1e-8, which autograd
sees. So the pixels each output reads are worked out here with torch's own
arithmetic (``area_pixel_compute_source_index``, rounded as float32 rounds; the
linear kernel fuses its multiply and add), checked against autograd unit by unit.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.layers import fields
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    fmt_axes,
    key,
    per_axis,
    register,
    spatial_axes,
)
from cnncalc.layers.values import boolean, choice, per_axis_list, show, spatial
from cnncalc.records import record
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size, floordiv, settle

MODES = ("nearest", "linear", "bilinear", "trilinear", "bicubic")
AXES_OF = {"bilinear": 2, "trilinear": 3, "bicubic": 2}  # torch's modes for one rank
TAPS = {"nearest": 1, "linear": 2, "cubic": 4}


def positive_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise CnnCalcError(f"expected a positive number, got {show(value)}")
    return value


scales = per_axis_list(positive_number, "a positive number")


def f32(value: Fraction | int) -> Fraction:
    """``value`` rounded to the nearest float32 (ties to even), as an exact fraction."""
    q = Fraction(value)
    if q == 0:
        return q
    sign, q = (-1 if q < 0 else 1), abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    scaled = q / Fraction(2) ** (e - 23)
    n = math.floor(scaled)
    rest = scaled - n
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and n % 2):
        n += 1
    return sign * n * Fraction(2) ** (e - 23)


def to_f32(value: float) -> Fraction:
    """A double cast to float, as C++'s ``static_cast<float>``."""
    return Fraction(struct.unpack("f", struct.pack("f", value))[0])


def taps(family: str, size: int, out: int, scale: float | None, corners: bool, o: int) -> list[int]:
    """The input pixels output ``o`` reads with a nonzero weight, clamped to the axis."""
    if out == size:
        return [o]  # torch copies
    given = scale is not None and scale > 0
    if family == "nearest":
        if out == 2 * size:
            return [o >> 1]
        r = to_f32(1.0 / scale) if given else f32(f32(size) / out)  # type: ignore[operator]
        return [min(math.floor(f32(o * r)), size - 1)]
    if corners:
        r = f32(f32(size - 1) / (out - 1)) if out > 1 else Fraction(0)
    else:
        r = to_f32(1.0 / scale) if given else f32(f32(size) / out)  # type: ignore[operator]
    half = Fraction(1, 2)
    if family == "linear":
        src = f32(r * o) if corners else max(f32(r * (o + half) - half), Fraction(0))
        i0 = min(math.floor(src), size - 1)
        lam1 = min(max(f32(src - i0), Fraction(0)), Fraction(1))
        i1 = i0 + (1 if i0 < size - 1 else 0)
        return sorted({i for i, w in ((i0, f32(1 - lam1)), (i1, lam1)) if w != 0})
    src = f32(r * o) if corners else f32(f32(r * (o + half)) - half)
    i = math.floor(src)
    near = [i] if f32(src - i) == 0 else [i - 1, i, i + 1, i + 2]
    return sorted({min(max(v, 0), size - 1) for v in near})


def family(mode: str) -> str:
    return {"nearest": "nearest", "bicubic": "cubic"}.get(mode, "linear")


@register("upsample")
@record(frozen=True, kw_only=True)
class Upsample(Layer):
    """By ``scale`` (output floor(I * scale), torch's rule) or to ``size``."""

    scale: tuple[int | float, ...] | None = key(scales, None, main=True)
    size: tuple[int, ...] | None = key(spatial, None)
    mode: str = key(choice(*MODES), "nearest")
    align_corners: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "upsample")
        if (self.scale is None) == (self.size is None):
            raise CnnCalcError("expected either scale or size", key="scale")
        want = AXES_OF.get(self.mode)
        if want is not None and want != n:
            raise CnnCalcError(
                f'mode "{self.mode}" interpolates {want} spatial axes, the input has {n}'
                + ('; use mode = "linear"' if self.mode != "bicubic" else ""),
                key="mode",
            )
        if self.align_corners and self.mode == "nearest":
            raise CnnCalcError(
                'align_corners applies to the linear and bicubic modes, not "nearest"',
                key="align_corners",
            )
        if self.size is not None:
            return Effect(shape=(*per_axis("size", self.size, n), ins[0][-1]))
        factors = per_axis("scale", self.scale or (), n)
        out = [out_size(s, k) for s, k in zip(ins[0][:-1], factors, strict=True)]
        for a, o in enumerate(out):
            if arith.known_below(o, 1):
                raise CnnCalcError(
                    f"output size {o} is below 1 on axis {a + 1}: floor({ins[0][a]} * "
                    f"{factors[a]}); expected a larger scale",
                    key="scale",
                )
        return Effect(shape=(*out, ins[0][-1]))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Each output reads the pixels torch's rule names: 1, 2 (linear) or 4 (cubic)."""
        f = ins[0]
        if f.is_global:
            return f
        sizes, out = shapes[0][:-1], effect.shape[:-1]
        n = len(sizes)
        scale = per_axis("scale", self.scale, n) if self.scale is not None else (None,) * n
        how = family(self.mode)

        def step(a: int, u: fields.Units) -> fields.Units:
            i, o, s = sizes[a], out[a], scale[a]
            sized = arith.is_int(i) and arith.is_int(o)
            if how == "nearest" and isinstance(s, int):  # unit t copies t // s, when torch does
                if not sized or all(taps(how, i, o, s, False, t) == [t // s] for t in range(o)):
                    return fields.upsample(u, s)
            if not sized:
                raise fields.Inexact
            return fields.mapped(u, o, i, lambda t: taps(how, i, o, s, self.align_corners, t))

        exact = f.follow(step)
        if exact is not None:
            return exact
        reach = TAPS[how] - 1
        size = tuple(settle(r + reach * j) for r, j in zip(f.size, f.stride, strict=False))
        stride = tuple(
            settle(j / Fraction(s)) if s is not None else settle(i * j / o)
            for j, i, o, s in zip(f.stride, sizes, out, scale, strict=False)
        )
        return Field(size, stride, f.start, f.extent)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Every mode's backward needs only the sizes, so autograd keeps no tensor."""
        return ()

    def describe(self) -> str:
        how = "" if self.mode == "nearest" else f" {self.mode}"
        if self.size is not None:
            return "to " + fmt_axes(self.size) + how
        return "x" + fmt_axes(self.scale or ()) + how


def out_size(size: Size, scale: int | float) -> Size:
    """floor(I * scale) in double precision, as torch computes it."""
    if isinstance(scale, int):
        return size * scale
    if arith.is_int(size):
        return math.floor(float(size) * scale)
    q = Fraction(scale)
    return floordiv(size * q.numerator, q.denominator)
