"""Convolutions: conv and conv_transpose, in 1-D, 2-D and 3-D."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from cnncalc.errors import CnnCalcError
from cnncalc.layers import fields
from cnncalc.layers.base import (
    AXIS_NAMES,
    KEEPS_INPUT,
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    WindowAxis,
    Windowed,
    check_divides,
    dilation_of,
    fmt_axes,
    key,
    new_tensor,
    per_axis,
    register,
    resolve_padding,
    slide,
    spatial_axes,
)
from cnncalc.layers.values import (
    Padding,
    boolean,
    nonneg_spatial,
    padding,
    positive_int,
    spatial,
    transpose_padding,
)
from cnncalc.records import record
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import ceildiv, floordiv, product


@register("conv")
@record(frozen=True, kw_only=True)
class Conv(Windowed):
    filters: int = key(positive_int, main=True)
    kernel: tuple[int, ...] = key(spatial)
    stride: tuple[int, ...] = key(spatial, (1,))
    padding: Padding = key(padding, "valid")
    dilation: tuple[int, ...] = key(spatial, (1,))
    groups: int = key(positive_int, 1)
    bias: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        shape = ins[0]
        axes, warnings = slide(shape, "conv", self.kernel, self.stride, self.dilation, self.padding)
        c, k, g = shape[-1], self.filters, self.groups
        check_divides(g, c, "input channels")
        check_divides(g, k, "filters")
        taps = product(w.kernel for w in axes) * (c // g if arith.is_int(c) else c / g)
        out = tuple(w.out for w in axes) + (k,)
        return Effect(
            shape=out,
            params=(taps + (1 if self.bias else 0)) * k,
            macs=product(w.out for w in axes) * k * taps,
            padding=tuple((w.pad_start, w.pad_end) for w in axes),
            warnings=warnings,
            window=axes,
        )

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input, for the weights' gradient; padding that differs between the two ends
        of an axis is a padded copy first (torch's own ``padding`` is symmetric), and the
        copy is what the convolution keeps."""
        assert effect.window is not None
        if all(w.pad_start == w.pad_end for w in effect.window):
            return (KEEPS_INPUT,)
        sizes = product(w.size + w.pad_start + w.pad_end for w in effect.window)
        return (new_tensor(sizes * ins[0][-1]),)

    def weight_tensors(self) -> int:
        return 2 if self.bias else 1

    def describe(self) -> str:
        text = f"{self.filters}, {fmt_axes(self.kernel)}/{fmt_axes(self.stride)}"
        if self.dilation != (1,):
            text += f" d{fmt_axes(self.dilation)}"
        if self.groups != 1:
            text += f" g{self.groups}"
        return text


@register("conv_transpose", "deconv")
@record(frozen=True, kw_only=True)
class ConvTranspose(Layer):
    filters: int = key(positive_int, main=True)
    kernel: tuple[int, ...] = key(spatial)
    stride: tuple[int, ...] = key(spatial, (1,))
    padding: Padding = key(transpose_padding, (0,))
    output_padding: tuple[int, ...] = key(nonneg_spatial, (0,))
    dilation: tuple[int, ...] = key(spatial, (1,))
    groups: int = key(positive_int, 1)
    bias: bool = key(boolean, True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        shape = ins[0]
        n = spatial_axes(shape, "conv_transpose")
        kernel = per_axis("kernel", self.kernel, n)
        stride = per_axis("stride", self.stride, n)
        dilation = per_axis("dilation", self.dilation, n)
        extra = per_axis("output_padding", self.output_padding, n)
        if self.padding == "same" and any(extra):
            raise CnnCalcError(
                'output_padding cannot be combined with padding = "same", '
                "which already gives an output of input * stride",
                key="output_padding",
            )
        axes: list[WindowAxis] = []
        for a in range(n):
            size, f, s, d, op = shape[a], kernel[a], stride[a], dilation[a], extra[a]
            if op >= max(s, d):
                raise CnnCalcError(
                    f"output_padding {op} must be smaller than the stride ({s}) "
                    f"or the dilation ({d})",
                    key="output_padding",
                )
            eff = d * (f - 1) + 1
            if self.padding == "same":
                total = eff - s
                p0, p1 = (ceildiv(total, 2), floordiv(total, 2)) if total >= 0 else (0, 0)
                out = size * s
            else:
                p0, p1 = resolve_padding(self.padding, size, eff, s, a)
                out = (size - 1) * s - p0 - p1 + eff + op
            if arith.known_below(out, 1):
                raise CnnCalcError(
                    f"output size {out} on axis {AXIS_NAMES[n][a]} is below 1: "
                    f"({size} - 1) * {s} - {p0} - {p1} + {eff} + {op} = {out}; "
                    "expected less padding",
                    key="padding",
                )
            axes.append(WindowAxis(size, f, eff, s, p0, p1, out))
        c, k, g = shape[-1], self.filters, self.groups
        check_divides(g, c, "input channels")
        check_divides(g, k, "filters")
        taps = product(kernel) * (k // g)
        return Effect(
            shape=tuple(w.out for w in axes) + (k,),
            params=c * taps + (k if self.bias else 0),
            macs=product(shape[:-1]) * c * taps,
            padding=tuple((w.pad_start, w.pad_end) for w in axes),
            window=tuple(axes),
        )

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Output t reads input i where t + P_start = i*S + m*D for a tap m: exact per unit.

        The closed formulas (a fallback) give the widest field for dilation 1, and a
        start midway between the outputs' centres.
        """
        f = ins[0]
        if f.is_global:
            return f
        assert effect.window is not None
        w = effect.window[: len(f.size)]
        exact = f.follow(
            lambda a, u: fields.transpose(
                u, w[a].kernel, dilation_of(w[a]), w[a].stride, w[a].pad_start
            )
        )
        if exact is not None:
            return exact
        size, stride, start = [], [], []
        for a, wa in enumerate(w):
            j = f.stride[a]
            size.append(f.size[a] + (ceildiv(wa.eff, wa.stride) - 1) * j)
            step = Fraction(1, wa.stride)  # a Fraction times j: exact for formulas too
            start.append(f.start[a] + (wa.pad_start - Fraction(wa.eff - 1, 2)) * step * j)
            stride.append(j * step)
        return Field(tuple(size), tuple(stride), tuple(start), f.extent)

    def field_warnings(self, ins: Sequence[Field], shapes: Sequence[Shape]) -> tuple[str, ...]:
        """Outputs that no input reaches: a stride wider than the kernel leaves gaps."""
        out = []
        n = len(ins[0].size) if ins[0].units is not None else 0
        for a in range(n):
            kernel = per_axis("kernel", self.kernel, n)[a]
            stride = per_axis("stride", self.stride, n)[a]
            dilation = per_axis("dilation", self.dilation, n)[a]
            if stride * kernel > fields.MAX_WORK:
                continue
            gaps = fields.transpose(fields.Units.pixels(), kernel, dilation, stride, 0).empty
            if gaps:
                out.append(
                    f"{gaps} of every {stride} outputs on axis {AXIS_NAMES[n][a]} read no input "
                    f"(stride {stride}, kernel {kernel}"
                    + (f", dilation {dilation}" if dilation > 1 else "")
                    + "): they hold only the bias"
                )
        return tuple(out)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input; uneven padding crops the output afterwards, which keeps nothing."""
        return (KEEPS_INPUT,)

    def weight_tensors(self) -> int:
        return 2 if self.bias else 1

    def describe(self) -> str:
        return f"{self.filters}, {fmt_axes(self.kernel)}/{fmt_axes(self.stride)}"
