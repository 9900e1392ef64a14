"""How a pooling layer becomes torch: its own padding, or an F.pad that reads the same windows."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.engine.walk import LayerResult


def torch_pool_count(size: int, kernel: int, stride: int, pad: int, ceil: bool) -> int:
    """Output size of a torch pooling layer with symmetric ``pad`` (ATen's formula)."""
    out = (size + 2 * pad - kernel + (stride - 1 if ceil else 0)) // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@dataclass(frozen=True)
class PoolPlan:
    """How a pooling layer becomes torch: its own padding, or F.pad then no padding."""

    native: bool
    padding: tuple[int, ...]  # native: per axis; else F.pad's (start, end) pairs, flattened
    ceil: bool
    trimmed: bool = False  # an end padding was changed so torch reads the same windows


def pool_plan(r: LayerResult, avg3d: bool = False) -> PoolPlan:
    """torch's own padding when it is symmetric and torch reads the same windows, else F.pad.

    ``avg3d``: torch's 3-D average pooling also needs an input at least as large as
    the kernel, padding aside.
    """
    w = r.effect.window
    assert w is not None
    ceil = bool(getattr(r.node.layer, "ceil", False))
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
