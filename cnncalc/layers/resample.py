"""Up-sampling: nearest, linear (bilinear, trilinear) and bicubic, by a scale, to a size, or
to the size of another layer.

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
from typing import Any, ClassVar

from cnncalc.errors import CnnCalcError
from cnncalc.layers import fields
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    fmt_axes,
    fmt_shape,
    key,
    per_axis,
    register,
    spatial_axes,
)
from cnncalc.layers.values import boolean, choice, layer_name, per_axis_list, show, spatial
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
    """By ``scale`` (output floor(I * scale), torch's rule), to ``size``, or to the spatial
    size of the layer ``to`` names (DeepLab's ASPP pooling, FPN's top-down path)."""

    scale: tuple[int | float, ...] | None = key(scales, None, main=True)
    size: tuple[int, ...] | None = key(spatial, None)
    to: str | None = key(layer_name, None)
    mode: str = key(choice(*MODES), "nearest")
    align_corners: bool = key(boolean, False)
    max_inputs = 2
    value_inputs = 1
    reads: ClassVar[str] = "to"  # a key whose layer is read as a second input, for its size

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "upsample")
        given = [k for k in ("scale", "size", "to") if getattr(self, k) is not None]
        if len(given) != 1:
            got = ", ".join(given[:-1]) + " and " + given[-1] if given else "none"
            raise CnnCalcError(
                f"expected one of scale (factors), size (sizes) or to (a layer name), got {got}",
                key=given[-1] if given else None,
            )
        if len(ins) > 1 and self.to is None:
            raise CnnCalcError(
                f"upsample reads one input, got {len(ins)}; expected the layer whose size "
                "it takes in to",
                key="inputs",
            )
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
        if self.to is not None:
            return Effect(shape=(*self.target(ins[-1], n), ins[0][-1]))
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

    def target(self, shape: Shape, n: int) -> Shape:
        """The spatial sizes of ``to``'s output, which must have as many spatial axes."""
        if len(shape) - 1 != n:
            axes = f"{n} spatial ax{'is' if n == 1 else 'es'}"
            raise CnnCalcError(
                f"cannot up-sample to {self.to}: its output {fmt_shape(shape)} has "
                f"{len(shape) - 1} spatial ax{'is' if len(shape) == 2 else 'es'}, the input "
                f"has {n}; expected a layer with {axes} and channels",
                key="to",
            )
        return shape[:-1]

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

        def stride(a: int, j: Any) -> Any:
            """I * j / O, by the scale or over the output size. A symbolic size of the layer
            ``to`` names has no quotient: that layer's own stride is its value for large
            sizes (its units tile the same input)."""
            s = scale[a]
            if s is not None:
                return settle(j / Fraction(s))
            if arith.is_formula(out[a]):
                return ins[-1].stride[a]
            return settle(sizes[a] * j / out[a])

        reach = TAPS[how] - 1
        size = tuple(settle(r + reach * j) for r, j in zip(f.size, f.stride, strict=False))
        strides = tuple(stride(a, j) for a, j in enumerate(f.stride))
        return Field(size, strides, f.start, f.extent)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Every mode's backward needs only the sizes, so autograd keeps no tensor."""
        return ()

    def describe(self) -> str:
        how = "" if self.mode == "nearest" else f" {self.mode}"
        if self.to is not None:
            return f"to {self.to}{how}"
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
