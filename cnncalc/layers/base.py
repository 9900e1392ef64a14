"""Layer kinds: one frozen dataclass each, registered under its type name and aliases.

A kind's dataclass fields are its TOML keys (the parser validates keys and
values from them), and its methods give the output shape, parameters, MACs
and receptive-field step. Adding a layer kind means adding one class here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from . import arith, fields
from .arith import Size, ceildiv, exact_half, floordiv, maximum, product, settle
from .errors import CnnCalcError
from .values import (
    MISSING,
    Padding,
    boolean,
    choice,
    nonneg_spatial,
    padding,
    positive_int,
    reshape_shape,
    spatial,
    transpose_padding,
)

Shape = tuple[Size, ...]
AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
AXIS_UNITS = {"L": "position", "D": "slice", "H": "row", "W": "column"}
ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax")


def key(coerce: Callable[[Any], Any], default: Any = MISSING, *, main: bool = False) -> Any:
    """Declare a TOML key: how to read its value and its default (none: required)."""
    meta = {"coerce": coerce, "main": main}
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Effect:
    """What one layer does to its inputs: the numbers every report draws from."""

    shape: Shape
    params: Size = 0
    frozen_params: Size = 0
    macs: Size = 0
    padding: tuple[tuple[Size, Size], ...] | None = None
    warnings: tuple[str, ...] = ()
    window: tuple[WindowAxis, ...] | None = None


@dataclass(frozen=True)
class WindowAxis:
    """A sliding window resolved on one spatial axis."""

    size: Size
    kernel: int
    eff: int  # dilated kernel, D*(F-1)+1
    stride: int
    pad_start: Size
    pad_end: Size
    out: Size


@dataclass(frozen=True)
class Field:
    """Receptive field per spatial axis of the network input.

    ``units`` holds the exact field of every unit (see fields.py) and ``size``,
    ``stride`` and ``start`` are read from it: the widest field of any unit, the
    average distance between neighbouring units (a fraction after up-sampling) and
    the centre of unit 0's field. Where the exact rule cannot follow (symbolic sizes
    after up-sampling, merges of fields with different strides) ``units`` is None
    and the numbers come from the closed formulas. ``extent`` is the network input's
    size, which a global field covers.
    """

    size: tuple[Any, ...]
    stride: tuple[Any, ...]
    start: tuple[Any, ...]
    extent: tuple[Size, ...]
    is_global: bool = False
    units: tuple[fields.Units, ...] | None = None

    @staticmethod
    def at_input(spatial_sizes: Sequence[Size]) -> Field:
        n = len(spatial_sizes)
        return Field.exact((fields.Units.pixels(),) * n, tuple(spatial_sizes))

    @staticmethod
    def exact(units: Sequence[fields.Units], extent: tuple[Size, ...]) -> Field:
        return Field(
            tuple(u.widest for u in units),
            tuple(u.stride for u in units),
            tuple(u.start for u in units),
            extent,
            units=tuple(units),
        )

    def whole(self) -> Field:
        """The field of a unit that sees the whole input (fc, flatten, global_pool)."""
        start = tuple(arith.half(e - 1) for e in self.extent)
        return Field(self.extent, self.stride, start, self.extent, True)

    def follow(self, step: Callable[[int, fields.Units], fields.Units]) -> Field | None:
        """The exact field after ``step`` on every axis, or None where it cannot be followed."""
        if self.units is None:
            return None
        try:
            return Field.exact([step(a, u) for a, u in enumerate(self.units)], self.extent)
        except fields.Inexact:
            return None


# --------------------------------------------------------------------------- registry

REGISTRY: dict[str, tuple[type[Layer], dict[str, Any]]] = {}


def register(*names: str, **preset: Any) -> Callable[[type[Layer]], type[Layer]]:
    """Register a kind under its type name and aliases; an alias may preset keys."""

    def add(cls: type[Layer]) -> type[Layer]:
        cls.kind = names[0]
        for name in names:
            REGISTRY[name] = (cls, dict(preset))
        return cls

    return add


class Layer:
    """Base of every kind. Subclasses are frozen keyword-only dataclasses."""

    kind: ClassVar[str] = ""
    view: ClassVar[bool] = False  # reinterprets its input's values: no new activations
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1

    def apply(self, ins: Sequence[Shape]) -> Effect:
        raise NotImplementedError

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Shape-preserving layers leave the field as it was."""
        return ins[0]

    def field_warnings(self, ins: Sequence[Field]) -> tuple[str, ...]:
        """Warnings about the field itself; only merges have any."""
        return ()

    def describe(self) -> str:
        """A short, human summary of the configuration for tables."""
        return ""

    def type_label(self) -> str:
        """The type reports show: the registered name (a folded block shows its block's)."""
        return self.kind

    @classmethod
    def keys(cls) -> tuple[dataclasses.Field[Any], ...]:
        return dataclasses.fields(cls)  # type: ignore[arg-type]

    @classmethod
    def main_key(cls) -> str | None:
        for f in cls.keys():
            if f.metadata.get("main"):
                return f.name
        return None


# --------------------------------------------------------------------------- helpers


def spatial_axes(shape: Shape, kind: str) -> int:
    """Number of spatial axes a windowed layer sees; a flat input has none."""
    n = len(shape) - 1
    if n < 1:
        raise CnnCalcError(
            f"{kind} needs an input with spatial axes and channels, got the flat shape "
            f"{fmt_shape(shape)}; expected [L, C], [H, W, C] or [D, H, W, C] (use reshape)"
        )
    if n > 3:
        raise CnnCalcError(
            f"{kind} works on 1, 2 or 3 spatial axes, got the shape {fmt_shape(shape)}"
        )
    return n


def per_axis(name: str, values: tuple[Any, ...], n: int) -> tuple[Any, ...]:
    """Broadcast one value to every spatial axis, or check there is one per axis."""
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise CnnCalcError(
            f"{len(values)} values given for {n} spatial ax{'is' if n == 1 else 'es'}; "
            f"expected one value, or {n}",
            key=name,
        )
    return values


def fmt_shape(shape: Sequence[Any]) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def resolve_padding(
    pad: Padding, size: Size, eff: int, stride: int, axis: int
) -> tuple[Size, Size]:
    """(start, end) padding of one axis, with the CS 230 split for "same"."""
    if pad == "valid":
        return 0, 0
    if pad == "same":
        total = maximum(stride * ceildiv(size, stride) - size + eff - stride, 0)
        return ceildiv(total, 2), floordiv(total, 2)
    if pad == "full":
        return eff - 1, eff - 1
    assert isinstance(pad, tuple)
    item = pad[0] if len(pad) == 1 else pad[axis]
    return (item, item) if isinstance(item, int) else item


def slide(
    shape: Shape,
    kind: str,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    pad: Padding,
    ceil_mode: bool = False,
) -> tuple[tuple[WindowAxis, ...], tuple[str, ...]]:
    """Resolve a sliding window on every spatial axis, with the warnings it raises."""
    n = spatial_axes(shape, kind)
    kernel = per_axis("kernel", kernel, n)
    stride = per_axis("stride", stride, n)
    dilation = per_axis("dilation", dilation, n)
    if isinstance(pad, tuple) and len(pad) not in (1, n):
        per_axis("padding", pad, n)
    axes: list[WindowAxis] = []
    warnings: list[str] = []
    names = AXIS_NAMES[n]
    for a in range(n):
        size, f, s, d = shape[a], kernel[a], stride[a], dilation[a]
        eff = d * (f - 1) + 1
        p0, p1 = resolve_padding(pad, size, eff, s, a)
        span = size + p0 + p1 - eff
        if pad == "same" and not arith.is_int(size):
            out = ceildiv(size, s)  # what "same" padding gives, in its simplest formula
        elif ceil_mode:
            out = ceildiv(span, s) + 1
            if arith.is_int(out):
                if (out - 1) * s >= size + p0:
                    out -= 1  # a window may not start in the end padding (PyTorch's rule)
            else:  # the same rule: (out - 1)*s - size - p0 = p1 - eff + (-span mod s)
                out = out - arith.at_least(arith.mod(-span, s), eff - p1, s)
        else:
            out = floordiv(span, s) + 1
        if arith.known_below(out, 1):
            raise CnnCalcError(
                f"output size {out} on axis {names[a]} is below 1: "
                f"({size} - {eff} + {p0} + {p1}) // {s} + 1 = {out} "
                f"(input {size}, kernel {f}"
                + (f" dilated to {eff}" if d > 1 else "")
                + f", padding {p0}+{p1}, stride {s}); expected an input of at least "
                f"{eff - p0 - p1} on this axis",
                key="kernel",
            )
        if arith.is_int(out):
            unread = size + p0 - ((out - 1) * s + eff)
            if unread > 0:
                what = AXIS_UNITS[names[a]] + ("s" if unread > 1 else "")
                count = f"{unread} input {what} are" if unread > 1 else f"input {what} is"
                warnings.append(
                    f"the last {count} never read on axis {names[a]}: "
                    f"{size} - {eff} + {p0} + {p1} = {span} is not a multiple of stride {s}"
                )
        axes.append(WindowAxis(size, f, eff, s, p0, p1, out))
    return tuple(axes), tuple(warnings)


def window_field(f: Field, axes: Sequence[WindowAxis]) -> Field:
    """A sliding window on every axis; axes past the field's (split channels) do not count."""
    if f.is_global:
        return f
    axes = axes[: len(f.size)]
    exact = f.follow(
        lambda a, u: fields.window(
            u, axes[a].kernel, dilation_of(axes[a]), axes[a].stride, axes[a].pad_start
        )
    )
    if exact is not None:
        return exact
    size, stride, start = [], [], []  # r += (F_eff-1)*j, s += ((F_eff-1)/2 - P_start)*j, j *= S
    for a, w in enumerate(axes):
        j = f.stride[a]
        size.append(settle(f.size[a] + (w.eff - 1) * j))
        start.append(settle(f.start[a] + (exact_half(w.eff - 1) - w.pad_start) * j))
        stride.append(settle(j * w.stride))
    return Field(tuple(size), tuple(stride), tuple(start), f.extent)


def dilation_of(w: WindowAxis) -> int:
    return (w.eff - 1) // (w.kernel - 1) if w.kernel > 1 else 1


def check_divides(groups: int, channels: Size, what: str) -> None:
    if arith.is_int(channels) and channels % groups:
        raise CnnCalcError(
            f"groups = {groups} does not divide the {channels} {what}; "
            f"expected a divisor of {channels}",
            key="groups",
        )


def fmt_axes(values: Sequence[Any], sep: str = "x") -> str:
    return sep.join(str(v) for v in values)


# --------------------------------------------------------------------------- kinds


class Windowed(Layer):
    """conv and pool: a window slides over the input, so the field grows by its reach."""

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        assert effect.window is not None
        return window_field(ins[0], effect.window)


@register("conv")
@dataclass(frozen=True, kw_only=True)
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

    def describe(self) -> str:
        text = f"{self.filters}, {fmt_axes(self.kernel)}/{fmt_axes(self.stride)}"
        if self.dilation != (1,):
            text += f" d{fmt_axes(self.dilation)}"
        if self.groups != 1:
            text += f" g{self.groups}"
        return text


@register("conv_transpose", "deconv")
@dataclass(frozen=True, kw_only=True)
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
            start.append(f.start[a] + (wa.pad_start - Fraction(wa.eff - 1, 2)) * j / wa.stride)
            stride.append(Fraction(j) / wa.stride)
        return Field(tuple(size), tuple(stride), tuple(start), f.extent)

    def field_warnings(self, ins: Sequence[Field]) -> tuple[str, ...]:
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

    def describe(self) -> str:
        return f"{self.filters}, {fmt_axes(self.kernel)}/{fmt_axes(self.stride)}"


@register("pool")
@register("maxpool", mode="max")
@register("avgpool", mode="avg")
@dataclass(frozen=True, kw_only=True)
class Pool(Windowed):
    kernel: tuple[int, ...] = key(spatial, main=True)
    mode: str = key(choice("max", "avg"), "max")
    stride: tuple[int, ...] | None = key(spatial, None)
    padding: Padding = key(padding, "valid")
    ceil: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        stride = self.stride if self.stride is not None else self.kernel
        axes, warnings = slide(ins[0], "pool", self.kernel, stride, (1,), self.padding, self.ceil)
        return Effect(
            shape=tuple(w.out for w in axes) + (ins[0][-1],),
            padding=tuple((w.pad_start, w.pad_end) for w in axes),
            warnings=warnings,
            window=axes,
        )

    def describe(self) -> str:
        stride = self.stride if self.stride is not None else self.kernel
        return f"{self.mode} {fmt_axes(self.kernel)}/{fmt_axes(stride)}" + (
            " ceil" if self.ceil else ""
        )


@register("global_pool")
@dataclass(frozen=True, kw_only=True)
class GlobalPool(Layer):
    mode: str = key(choice("max", "avg"), "avg")

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "global_pool")
        return Effect(shape=(1,) * n + (ins[0][-1],))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole()

    def describe(self) -> str:
        return self.mode


@register("flatten")
@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    view = True

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=(product(ins[0]),))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole()


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

    def describe(self) -> str:
        return str(self.units)


@dataclass(frozen=True, kw_only=True)
class Elementwise(Layer):
    """Activations, dropout and LRN: no parameters, no change of shape."""

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0])


def _frozen(self: Any, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _elementwise(name: str) -> type[Layer]:
    """One kind per name: a plain subclass, which is a frozen dataclass already and, unlike
    a fresh ``@dataclass``, costs nothing when cnncalc starts."""
    title = name.title().replace("_", "")
    methods = {"__qualname__": title, "__module__": __name__}
    kind = type(title, (Elementwise,), methods | {"__setattr__": _frozen, "__delattr__": _frozen})
    return register(name)(kind)


for _name in (*ACTIVATIONS, "dropout", "lrn"):
    _elementwise(_name)


@register("batchnorm", "bn")
@dataclass(frozen=True, kw_only=True)
class BatchNorm(Layer):
    def apply(self, ins: Sequence[Shape]) -> Effect:
        c = ins[0][-1]
        return Effect(shape=ins[0], params=2 * c, frozen_params=2 * c)


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
        lo = arith.smallest([f.start[a] - Fraction(f.size[a] - 1, 2) for f in ins])
        hi = arith.largest([f.start[a] + Fraction(f.size[a] - 1, 2) for f in ins])
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


@register("upsample")
@dataclass(frozen=True, kw_only=True)
class Upsample(Layer):
    scale: tuple[int, ...] = key(spatial, main=True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "upsample")
        scale = per_axis("scale", self.scale, n)
        return Effect(shape=tuple(ins[0][a] * scale[a] for a in range(n)) + (ins[0][-1],))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Nearest-neighbour: output o copies input floor(o / scale); the stride shrinks."""
        f = ins[0]
        if f.is_global:
            return f
        scale = per_axis("scale", self.scale, len(shapes[0]) - 1)[: len(f.size)]
        exact = f.follow(lambda a, u: fields.upsample(u, scale[a]))
        if exact is not None:
            return exact
        stride = tuple(Fraction(j) / s for j, s in zip(f.stride, scale, strict=True))
        return Field(f.size, stride, f.start, f.extent)

    def describe(self) -> str:
        return "x" + fmt_axes(self.scale)


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


def lookup(type_name: str) -> tuple[type[Layer], dict[str, Any]] | None:
    return REGISTRY.get(type_name)
