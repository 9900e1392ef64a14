"""Channel surgery and its spatial kin: slice, channel_shuffle, pixel_shuffle and
pixel_unshuffle, pad, crop, identity and drop_path."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, ClassVar

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
    check_divides,
    fmt_shape,
    key,
    per_axis,
    register,
    spatial_axes,
    window_field,
)
from cnncalc.layers.shape import contiguous_strides, view_strides
from cnncalc.layers.values import (
    Padding,
    axis_index,
    choice,
    layer_name,
    nonneg_int,
    pad_amounts,
    positive_int,
    probability,
)
from cnncalc.records import record, replace
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import Size, floordiv, settle

NOTHING: tuple[Saved, ...] = ()  # a gradient that moves values, knowing only the sizes


def shuffle_is_view(shape: Shape, factor: int, shuffle: bool) -> bool:
    """Whether the export's reshape, permute, reshape of a pixel (un)shuffle on 1 or 3
    spatial axes leaves the values in place (torch's native 2-D kernels always copy)."""
    n = len(shape) - 1
    if n == 2 or not all(isinstance(v, int) for v in shape):
        return False
    f, c, spatial = factor, shape[-1], list(shape[:-1])
    if shuffle:  # (N, c f^n, small…) → (N, c, f…, small…) → permuted (small_i, f) pairs
        c //= f**n
        sizes = [2, c, *[f] * n, *spatial]
        order = [0, 1, *(d for i in range(n) for d in (2 + n + i, 2 + i))]
        target = [2, c, *(v * f for v in spatial)]
    else:  # (N, c, big…) → (N, c, (small_i, f)…) → the f axes first, then the small ones
        small = [v // f for v in spatial]
        sizes = [2, c, *(d for v in small for d in (v, f))]
        order = [0, 1, *(3 + 2 * i for i in range(n)), *(2 + 2 * i for i in range(n))]
        target = [2, c * f**n, *small]
    strides = contiguous_strides(sizes)
    view = view_strides([sizes[i] for i in order], [strides[i] for i in order], target)
    return view is not None


def shifted(f: Field, starts: Sequence[Size]) -> Field:
    """Output t reads input t - starts[axis]: padding (start > 0) or cropping (start < 0)."""
    return window_field(f, [WindowAxis(0, 1, 1, 1, p0, 0, 0) for p0 in starts])


def pairs(amounts: Padding, n: int) -> tuple[tuple[int, int], ...]:
    """[start, end] per axis from one integer, one per axis, or pairs."""
    assert isinstance(amounts, tuple)
    values: tuple[Any, ...] = per_axis("padding", amounts, n)
    return tuple(v if isinstance(v, tuple) else (v, v) for v in values)


@register("identity")
@record(frozen=True, kw_only=True)
class Identity(Layer):
    view = True

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0])

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return NOTHING

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        return True


@register("drop_path")
@record(frozen=True, kw_only=True)
class DropPath(Layer):
    """Stochastic depth: drops a residual branch while training, nothing at inference."""

    view = True
    rate: float = key(probability, 0.0)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0])

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The export passes the input on (it draws no random drop), so nothing is kept;
        a training-mode stochastic depth would keep one random value per sample."""
        return NOTHING

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        return True


@register("slice")
@record(frozen=True, kw_only=True)
class Slice(Layer):
    """Channels start .. end - 1 (ShuffleNetV2's channel split, CSP and Ghost modules), or
    positions along another ``axis`` (ViT's class token: the first token)."""

    tokens_aware = True
    start: int = key(nonneg_int, 0)
    end: int = key(positive_int)
    axis: int = key(axis_index, -1)

    def which(self, shape: Shape) -> int:
        a = self.axis + len(shape) if self.axis < 0 else self.axis
        if not 0 <= a < len(shape):
            raise CnnCalcError(
                f"axis {self.axis} is outside the {len(shape)} axes of {fmt_shape(shape)}; "
                f"expected an axis from 0 to {len(shape) - 1}, or -1 (the channels)",
                key="axis",
            )
        return a

    def apply(self, ins: Sequence[Shape]) -> Effect:
        shape = ins[0]
        a = self.which(shape)
        size = shape[a]
        if self.start >= self.end or (arith.is_int(size) and self.end > size):
            what = "channel" if a == len(shape) - 1 else f"axis {a}"
            where = "channels" if a == len(shape) - 1 else "positions"
            raise CnnCalcError(
                f"the {what} range {self.start}..{self.end} (start, end) is outside the {size} "
                f"{where}; expected 0 <= start < end <= {size}",
                key="end",
            )
        return Effect(shape=(*shape[:a], self.end - self.start, *shape[a + 1 :]))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Channels keep the field; positions move it back by ``start`` (a crop)."""
        f, a = ins[0], self.which(shapes[0])
        if f.is_global or a == len(shapes[0]) - 1 or not self.start:
            return f
        if f.grid is not None:
            return replace(f, lead=f.lead - self.start)
        return shifted(f, [-self.start if b == a else 0 for b in range(len(f.size))])

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return NOTHING

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """A slice is a view of the input's memory."""
        return True

    def describe(self) -> str:
        where = "" if self.axis == -1 else f" on axis {self.axis}"
        return f"{self.start}:{self.end}{where}"


@register("channel_shuffle")
@record(frozen=True, kw_only=True)
class ChannelShuffle(Layer):
    groups: int = key(positive_int, main=True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        check_divides(self.groups, ins[0][-1], "channels")
        return Effect(shape=ins[0])

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return NOTHING

    def describe(self) -> str:
        return f"g{self.groups}"


@register("pixel_shuffle", "depth_to_space")
@record(frozen=True, kw_only=True)
class PixelShuffle(Layer):
    """Channels into space: C*r**n channels become r times every spatial size, C channels."""

    factor: int = key(positive_int, main=True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "pixel_shuffle")
        r, c = self.factor, ins[0][-1]
        block = r**n
        if arith.is_int(c) and c % block:
            raise CnnCalcError(
                f"pixel_shuffle by {r} on {n} spatial axes needs channels that are a multiple "
                f"of {r}**{n} = {block}, got {c}",
                key="factor",
            )
        return Effect(shape=(*(s * r for s in ins[0][:-1]), floordiv(c, block)))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Output t reads input t // r: nearest-neighbour up-sampling, spatially."""
        f = ins[0]
        if f.is_global:
            return f
        exact = f.follow(lambda a, u: fields.upsample(u, self.factor))
        if exact is not None:
            return exact
        stride = tuple(settle(Fraction(j) / self.factor) for j in f.stride)
        return Field(f.size, stride, f.start, f.extent)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return NOTHING

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        return shuffle_is_view(ins[0], self.factor, shuffle=True)

    def describe(self) -> str:
        return f"x{self.factor}"


@register("pixel_unshuffle", "space_to_depth")
@record(frozen=True, kw_only=True)
class PixelUnshuffle(Layer):
    """Space into channels (YOLOv2's reorg, YOLOv5's focus): r x r blocks become channels."""

    factor: int = key(positive_int, main=True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "pixel_unshuffle")
        r = self.factor
        for a, s in enumerate(ins[0][:-1]):
            if arith.is_int(s) and s % r:
                raise CnnCalcError(
                    f"pixel_unshuffle by {r} needs sizes that are multiples of {r}, got {s} on "
                    f"axis {AXIS_NAMES[n][a]}",
                    key="factor",
                )
        return Effect(shape=(*(floordiv(s, r) for s in ins[0][:-1]), ins[0][-1] * r**n))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Output t reads inputs t*r .. t*r + r - 1: a window of r with stride r."""
        r = self.factor
        return window_field(ins[0], [WindowAxis(0, r, r, r, 0, 0, 0)] * len(ins[0].size))

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return NOTHING

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        return shuffle_is_view(ins[0], self.factor, shuffle=False)

    def describe(self) -> str:
        return f"/{self.factor}"


@register("pad")
@record(frozen=True, kw_only=True)
class Pad(Layer):
    """Padding as a layer of its own: zeros, or the edge reflected or repeated."""

    padding: Padding = key(pad_amounts, main=True)
    mode: str = key(choice("zero", "reflect", "replicate"), "zero")

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "pad")
        amounts = pairs(self.padding, n)
        if self.mode == "reflect":
            for a, (size, pair) in enumerate(zip(ins[0][:-1], amounts, strict=True)):
                if arith.is_int(size) and max(pair) >= size:
                    raise CnnCalcError(
                        f"reflect padding {max(pair)} on axis {AXIS_NAMES[n][a]} needs an "
                        f"input larger than it, got {size} (PyTorch's limit: padding < size)",
                        key="padding",
                    )
        out = tuple(s + p0 + p1 for s, (p0, p1) in zip(ins[0][:-1], amounts, strict=True))
        return Effect(shape=(*out, ins[0][-1]), padding=amounts)

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        assert effect.padding is not None
        return shifted(ins[0], [p0 for p0, _ in effect.padding])

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Zeros: nothing; reflect and replicate keep the input (their gradient gathers)."""
        return NOTHING if self.mode == "zero" else (KEEPS_INPUT,)

    def describe(self) -> str:
        return self.mode


@register("crop")
@record(frozen=True, kw_only=True)
class Crop(Layer):
    """Removes [start, end] per axis, or centre-crops to the spatial size of the layer ``to``
    names (the original U-Net's skip connections); the odd pixel goes from the end."""

    crop: Padding | None = key(pad_amounts, None)
    to: str | None = key(layer_name, None)
    max_inputs = 2
    value_inputs = 1
    reads: ClassVar[str] = "to"  # a key whose layer is read as a second input, for its size

    def cuts(self, ins: Sequence[Shape]) -> tuple[tuple[Size, Size], ...]:
        n = spatial_axes(ins[0], "crop")
        if (self.crop is None) == (self.to is None):
            raise CnnCalcError("expected either crop (amounts per axis) or to (a layer name)")
        if self.crop is not None:
            return pairs(self.crop, n)
        target = ins[-1]
        if len(target) != len(ins[0]):
            raise CnnCalcError(f"cannot crop to {self.to}: it has another number of axes", key="to")
        out = []
        for size, want in zip(ins[0][:-1], target[:-1], strict=True):
            extra = size - want
            out.append((floordiv(extra, 2), extra - floordiv(extra, 2)))
        return tuple(out)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        cuts = self.cuts(ins)
        n = len(cuts)
        out = []
        for a, (size, (c0, c1)) in enumerate(zip(ins[0][:-1], cuts, strict=True)):
            if arith.known_below(size - c0 - c1, 1) or arith.known_below(c0, 0):
                raise CnnCalcError(
                    f"cannot crop {c0}+{c1} from {size} on axis {AXIS_NAMES[n][a]}; expected "
                    "a smaller crop than the input",
                    key="to" if self.to is not None else "crop",
                )
            out.append(size - c0 - c1)
        return Effect(shape=(*out, ins[0][-1]), padding=tuple((-c0, -c1) for c0, c1 in cuts))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        assert effect.padding is not None
        return shifted(ins[0], [p0 for p0, _ in effect.padding])

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return NOTHING

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """A crop is a view of the input's memory."""
        return True

    def describe(self) -> str:
        return f"to {self.to}" if self.to else str(self.crop)
