"""Layer kinds: one frozen dataclass each, registered under its type name and aliases.

A kind's dataclass fields are its TOML keys (the parser validates keys and
values from them), and its methods give the output shape, parameters, MACs
and receptive-field step. This module holds what every kind shares; each kind is
one class in the module of its family (conv, pool, norm, activation, merge, shape, dense).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any, ClassVar

from cnncalc import records
from cnncalc.errors import CnnCalcError
from cnncalc.layers import fields
from cnncalc.layers.values import (
    MISSING,
    Padding,
)
from cnncalc.records import Spec, record
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size, ceildiv, exact_half, floordiv, maximum, settle

Shape = tuple[Size, ...]
AXIS_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
AXIS_UNITS = {"L": "position", "D": "slice", "H": "row", "W": "column"}
ACTIVATIONS = (
    *("relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax"),
    *("silu", "hardswish", "hardsigmoid", "relu6", "mish", "softplus", "selu", "prelu"),
)
ACTIVATION_ALIASES = {"swish": "silu"}
# A fused activation with weights of its own: PReLU's one learned slope.
FUSED_PARAMS = {"prelu": 1}


def key(coerce: Callable[[Any], Any], default: Any = MISSING, *, main: bool = False) -> Any:
    """Declare a TOML key: how to read its value and its default (none: required)."""
    meta = {"coerce": coerce, "main": main}
    if default is MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


# --------------------------------------------------------------------------- results


@record(frozen=True)
class Effect:
    """What one layer does to its inputs: the numbers every report draws from."""

    shape: Shape
    params: Size = 0
    frozen_params: Size = 0
    macs: Size = 0
    padding: tuple[tuple[Size, Size], ...] | None = None
    warnings: tuple[str, ...] = ()
    window: tuple[WindowAxis, ...] | None = None


@record(frozen=True)
class Saved:
    """One tensor PyTorch's autograd keeps for the backward pass of a layer.

    ``of`` says which: one of the layer's inputs (``index``), its result before a fused
    activation (``core``), its output, or a tensor of its own (``new``) of ``per_sample``
    values per sample plus ``fixed`` values, ``itemsize`` bytes each (0: the dtype's).
    With ``needs``, it is kept only when one of those inputs needs a gradient; with
    ``copied_from_batch``, an input is kept as a copy of its own from that batch size on.
    """

    of: str
    index: int = 0
    per_sample: Size = 0
    fixed: Size = 0
    itemsize: int = 0
    needs: tuple[int, ...] = ()
    copied_from_batch: int = 0


KEEPS_INPUT = Saved("input")
KEEPS_CORE = Saved("core")
KEEPS_OUTPUT = Saved("output")
INT64 = 8  # bytes of the indices max pooling keeps


def new_tensor(per_sample: Size = 0, fixed: Size = 0, itemsize: int = 0) -> Saved:
    return Saved("new", per_sample=per_sample, fixed=fixed, itemsize=itemsize)


class NoMemoryRule(CnnCalcError):
    """A kind whose saved tensors were never measured: the memory report refuses to guess."""


@record(frozen=True)
class WindowAxis:
    """A sliding window resolved on one spatial axis."""

    size: Size
    kernel: int
    eff: int  # dilated kernel, D*(F-1)+1
    stride: int
    pad_start: Size
    pad_end: Size
    out: Size


@record(frozen=True)
class Field:
    """Receptive field per spatial axis of the network input.

    ``units`` holds the exact field of every unit (see fields.py) and ``size``,
    ``stride`` and ``start`` are read from it: the widest field of any unit, the
    average distance between neighbouring units (a fraction after up-sampling) and
    the centre of unit 0's field. Where the exact rule cannot follow (symbolic sizes
    after up-sampling, merges of fields with different strides) ``units`` is None
    and the numbers come from the closed formulas. ``extent`` is the network input's
    size, which a global field covers.

    On a token axis (after ``tokens``) the field stays one per axis of the input: ``grid``
    is the grid the tokens were flattened from, row-major, and token ``lead + i`` has the
    field of grid position ``i`` (``lead`` counts tokens prepended before the grid, such
    as a class token; tokens outside the grid read nothing).
    """

    size: tuple[Any, ...]
    stride: tuple[Any, ...]
    start: tuple[Any, ...]
    extent: tuple[Size, ...]
    is_global: bool = False
    units: tuple[fields.Units, ...] | None = None
    grid: tuple[Size, ...] | None = None
    lead: Size = 0

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

    @property
    def estimate(self) -> bool:
        """The closed formulas, not every unit followed: the reports mark such a field."""
        return self.units is None and not self.is_global

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

# Every type name (aliases included) → the family module that registers it, in the order
# the families register them. A family is imported when one of its names is first looked
# up, so a run imports only the kinds its networks use (each kind is a dataclass, and
# making one costs more than a network's analysis); tests/test_layers.py checks the table.
KIND_MODULES: dict[str, str] = {
    name: f"cnncalc.layers.{family}"
    for family, names in (
        (
            "activation",
            "relu leaky_relu elu gelu sigmoid tanh softmax silu swish hardswish hardsigmoid "
            "relu6 mish softplus selu prelu dropout lrn",
        ),
        ("shape", "flatten reshape"),
        (
            "channels",
            "identity drop_path slice channel_shuffle pixel_shuffle depth_to_space "
            "pixel_unshuffle space_to_depth pad crop",
        ),
        ("conv", "conv conv_transpose deconv"),
        ("dense", "fc dense linear"),
        ("merge", "add multiply mul concat"),
        ("norm", "batchnorm bn layernorm groupnorm instancenorm standardize normalization scale"),
        ("pool", "avgpool maxpool pool global_pool adaptive_pool"),
        ("resample", "upsample"),
        ("tokens", "tokens grid param"),
        ("attention", "attention patch_merging"),
    )
    for name in names.split()
}


class Registry(dict[str, tuple[type["Layer"], dict[str, Any]]]):
    """Type name → (kind, preset): a dict that imports a name's family on first look-up.

    Listing it (iterating, ``items``, ``len``) imports every family first and lists the
    names in the order of :data:`KIND_MODULES`, the order in which importing every family
    registers them.
    """

    def load(self, name: object) -> bool:
        module = KIND_MODULES.get(name) if isinstance(name, str) else None
        if module is None:
            return False
        import importlib

        importlib.import_module(module)
        return dict.__contains__(self, name)

    def __missing__(self, name: str) -> tuple[type[Layer], dict[str, Any]]:
        if self.load(name):
            return dict.__getitem__(self, name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or self.load(name)

    def get(  # type: ignore[override]
        self, name: str, default: tuple[type[Layer], dict[str, Any]] | None = None
    ) -> tuple[type[Layer], dict[str, Any]] | None:
        return self[name] if name in self else default

    def everything(self) -> dict[str, tuple[type[Layer], dict[str, Any]]]:
        """Every kind registered, as a plain dict in the order of KIND_MODULES."""
        for name in KIND_MODULES:
            self.load(name)
        known = {name: dict.__getitem__(self, name) for name in KIND_MODULES}
        return known | {k: v for k, v in dict.items(self) if k not in known}

    def __iter__(self) -> Any:
        return iter(self.everything())

    def __len__(self) -> int:
        return len(self.everything())

    def keys(self) -> Any:
        return self.everything().keys()

    def items(self) -> Any:
        return self.everything().items()

    def values(self) -> Any:
        return self.everything().values()


REGISTRY = Registry()


def register(*names: str, **preset: Any) -> Callable[[type[Layer]], type[Layer]]:
    """Register a kind under its type name and aliases; an alias may preset keys."""

    def add(cls: type[Layer]) -> type[Layer]:
        cls.kind = names[0]
        for name in names:
            REGISTRY[name] = (cls, dict(preset))
        return cls

    return add


class Layer:
    """Base of every kind. Subclasses are frozen keyword-only records (cnncalc.records)."""

    kind: ClassVar[str] = ""
    tokens_aware: ClassVar[bool] = False  # its field rule follows token axes itself
    view: ClassVar[bool] = False  # reinterprets its input's values: no new activations
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    # leading inputs whose values it reads (None: all); crop's and upsample's to give a size
    value_inputs: ClassVar[int | None] = None

    def apply(self, ins: Sequence[Shape]) -> Effect:
        raise NotImplementedError

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Shape-preserving layers leave the field as it was."""
        return ins[0]

    def field_warnings(self, ins: Sequence[Field], shapes: Sequence[Shape]) -> tuple[str, ...]:
        """Warnings about the field itself; only merges have any."""
        return ()

    def describe(self) -> str:
        """A short, human summary of the configuration for tables."""
        return ""

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """What autograd keeps for backward in training mode, measured on torch per kind.

        ``device`` is "cpu" or "cuda", where the two keep different tensors. A kind
        without a measured rule has none: the memory report names it rather than guess.
        """
        raise NoMemoryRule(
            f"no measured memory rule for layer type '{self.kind}'; "
            "`cnncalc memory` does not guess what autograd keeps for it"
        )

    def weight_tensors(self) -> int:
        """How many parameter tensors the kind's torch module holds (optimizer step counters)."""
        return 0

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """Whether the output is the first input's memory (a view) rather than a new tensor."""
        return False

    def type_label(self) -> str:
        """The type reports show: the registered name (a folded block shows its block's)."""
        return self.kind

    @classmethod
    def keys(cls) -> tuple[Spec, ...]:
        return records.fields(cls)

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


class MismatchError(CnnCalcError):
    """Two inputs of a merge disagree; the engine names them, since only it knows the names."""

    def __init__(self, rule: str, shapes: Sequence[Shape], other: int, first: int = 0) -> None:
        self.rule, self.shapes, self.other, self.first = rule, shapes, other, first
        names = [f"input {first + 1}" if first else "first input", f"input {other + 1}"]
        super().__init__(self.explain(names), key="inputs")

    def explain(self, names: Sequence[str]) -> str:
        first, other = fmt_shape(self.shapes[self.first]), fmt_shape(self.shapes[self.other])
        return f"{self.rule}, got {names[0]} {first} and {names[1]} {other}"


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
    plain = plain_window_field(f, axes)
    if plain is not None:
        return plain
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


def plain_window_field(f: Field, axes: Sequence[WindowAxis]) -> Field | None:
    """:func:`window_field` where every unit's field is alike and every position and padding
    is an integer (nearly every layer of nearly every network), without the general rule's
    steps; None otherwise. Gives exactly what ``fields.window`` and ``Field.exact`` give."""
    units = f.units
    if units is None or len(units) != len(axes):
        return None
    steps, size, stride, start = [], [], [], []
    for u, w in zip(units, axes, strict=True):
        lo, hi, pad = u.lo[0], u.hi[0], w.pad_start
        if u.period != 1 or type(lo) is not int or type(hi) is not int or type(pad) is not int:
            return None
        lo -= pad * u.jump
        hi += ((w.kernel - 1) * dilation_of(w) - pad) * u.jump
        jump = u.jump * w.stride
        steps.append(fields.Units(1, jump, (lo,), (hi,)))
        size.append(hi - lo + 1)
        stride.append(jump)
        start.append(exact_half(lo + hi))
    return Field(tuple(size), tuple(stride), tuple(start), f.extent, units=tuple(steps))


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


def lookup(type_name: str) -> tuple[type[Layer], dict[str, Any]] | None:
    return REGISTRY.get(type_name)
