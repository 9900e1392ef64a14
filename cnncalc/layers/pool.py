"""Pooling: windowed max and average pooling, global and adaptive pooling."""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.layers import fields
from cnncalc.layers.base import (
    INT64,
    KEEPS_INPUT,
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    WindowAxis,
    Windowed,
    fmt_axes,
    key,
    new_tensor,
    per_axis,
    register,
    slide,
    spatial_axes,
)
from cnncalc.layers.values import (
    Padding,
    boolean,
    choice,
    padding,
    spatial,
)
from cnncalc.records import record
from cnncalc.symbolic.arith import ceildiv, exact_half, product, settle


def torch_pool_count(size: int, kernel: int, stride: int, pad: int, ceil: bool) -> int:
    """Output size of a torch pooling layer with symmetric ``pad`` (ATen's formula)."""
    out = (size + 2 * pad - kernel + (stride - 1 if ceil else 0)) // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@record(frozen=True)
class PoolPlan:
    """How a pooling layer becomes torch: its own padding, or F.pad then no padding."""

    native: bool
    padding: tuple[int, ...]  # native: per axis; else F.pad's (start, end) pairs, flattened
    ceil: bool
    trimmed: bool = False  # an end padding was changed so torch reads the same windows


def torch_plan(w: Sequence[WindowAxis], ceil: bool, avg3d: bool = False) -> PoolPlan:
    """torch's own padding when it is symmetric and torch reads the same windows, else F.pad.

    The export writes this plan, and the memory rule counts the copy F.pad makes.
    ``avg3d``: torch's 3-D average pooling also needs an input at least as large as
    the kernel, padding aside.
    """
    if all(
        a.pad_start == a.pad_end
        and 2 * a.pad_start <= a.kernel
        and torch_pool_count(a.size, a.kernel, a.stride, a.pad_start, ceil) == a.out
        and not (avg3d and a.size < a.kernel)
        for a in w
    ):
        return PoolPlan(True, tuple(a.pad_start for a in w), ceil)
    padded = [a.size + a.pad_start + a.pad_end for a in w]
    if all(
        torch_pool_count(p, a.kernel, a.stride, 0, ceil) == a.out and not (avg3d and p < a.kernel)
        for p, a in zip(padded, w, strict=True)
    ):
        return PoolPlan(False, tuple(v for a in w for v in (a.pad_start, a.pad_end)), ceil)
    # A window would start in the end padding: torch would keep it, cnncalc (like torch's own
    # padding) drops it. Pad the end so that exactly cnncalc's windows fit, without ceil.
    pairs = []
    for a in w:
        fit = (a.out - 1) * a.stride + a.kernel - a.size - a.pad_start  # the windows end here
        end = next(
            e
            for e in (a.pad_end, max(fit, 0), fit)  # a negative end would crop: avoid it
            if torch_pool_count(a.size + a.pad_start + e, a.kernel, a.stride, 0, False) == a.out
        )
        pairs += [a.pad_start, end]
    return PoolPlan(False, tuple(pairs), False, trimmed=True)


@register("pool")
@register("maxpool", mode="max")
@register("avgpool", mode="avg")
@record(frozen=True, kw_only=True)
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

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """The input (or the padded copy torch pools when its own padding cannot read
        cnncalc's windows); max pooling also keeps the int64 index of every output's max."""
        assert effect.window is not None
        w = effect.window
        plan = torch_plan(w, self.ceil, self.mode == "avg" and len(w) == 3)
        if plan.native:
            kept = KEEPS_INPUT
        else:
            pads = plan.padding
            sizes = product(a.size + pads[2 * i] + pads[2 * i + 1] for i, a in enumerate(w))
            kept = new_tensor(sizes * ins[0][-1])
        if self.mode == "avg":
            return (kept,)
        return (kept, new_tensor(product(effect.shape), itemsize=INT64))

    def describe(self) -> str:
        stride = self.stride if self.stride is not None else self.kernel
        return f"{self.mode} {fmt_axes(self.kernel)}/{fmt_axes(stride)}" + (
            " ceil" if self.ceil else ""
        )


@register("global_pool")
@record(frozen=True, kw_only=True)
class GlobalPool(Layer):
    mode: str = key(choice("max", "avg"), "avg")

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "global_pool")
        return Effect(shape=(1,) * n + (ins[0][-1],))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        return ins[0].whole()

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Average: nothing (the gradient is spread evenly); max: the input and the int64
        index of each channel's max."""
        if self.mode == "avg":
            return ()
        return (KEEPS_INPUT, new_tensor(ins[0][-1], itemsize=INT64))

    def describe(self) -> str:
        return self.mode


@register("adaptive_pool")
@record(frozen=True, kw_only=True)
class AdaptivePool(Layer):
    """PyTorch's adaptive pooling: output i of O pools the input's floor(i*I/O) ..
    ceil((i+1)*I/O) - 1, so neighbouring windows may differ in size (and overlap)."""

    output: tuple[int, ...] = key(spatial, main=True)
    mode: str = key(choice("max", "avg"), "avg")

    def apply(self, ins: Sequence[Shape]) -> Effect:
        n = spatial_axes(ins[0], "adaptive_pool")
        return Effect(shape=per_axis("output", self.output, n) + (ins[0][-1],))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        f, sizes, out = ins[0], shapes[0], effect.shape
        if f.is_global or all(o == 1 for o in out[:-1]):
            return f.whole()
        axes = range(len(f.size))
        exact = f.follow(lambda a, u: fields.adaptive(u, sizes[a], out[a]))
        if exact is not None:
            return exact
        size, stride, start = [], [], []  # the widest bin, ceil(I/O) + 1 at most
        for a in axes:
            j = f.stride[a]
            size.append(settle(f.size[a] + ceildiv(sizes[a], out[a]) * j))
            stride.append(settle(j * sizes[a] / out[a]))
            start.append(settle(f.start[a] + exact_half(ceildiv(sizes[a], out[a]) - 1) * j))
        return Field(tuple(size), tuple(stride), tuple(start), f.extent)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Average: the input, except to one value per channel (a mean, which keeps
        nothing); max: the input and an int64 index per output value."""
        if self.mode == "avg":
            return () if all(o == 1 for o in effect.shape[:-1]) else (KEEPS_INPUT,)
        return (KEEPS_INPUT, new_tensor(product(effect.shape), itemsize=INT64))

    def describe(self) -> str:
        return f"{self.mode} to {fmt_axes(self.output)}"
