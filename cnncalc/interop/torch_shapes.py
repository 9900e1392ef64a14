"""cnncalc's shapes, padding and dilations in torch's terms: axis order and F.pad order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnncalc.engine.walk import LayerResult


def collapse(values: Sequence[Any]) -> Any:
    """One value for every axis when they agree, as torch accepts: 3 rather than (3, 3)."""
    return values[0] if len(set(values)) == 1 else tuple(values)


def dims(shape: Sequence[Any]) -> str:
    return "x".join(str(s) for s in shape)


def pad_arg(pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """F.pad's order: the last axis first, (start, end) for each."""
    return tuple(v for pair in reversed(pairs) for v in pair)


def pad_text(pairs: Sequence[tuple[int, int]]) -> str:
    """cnncalc's padding, start+end per axis in cnncalc's axis order (F.pad's is reversed)."""
    return ", ".join(f"{p0}+{p1}" for p0, p1 in pairs)


def channels_last(rank: int) -> str:
    """``permute`` arguments from NC… (torch) to N…C (cnncalc) for a tensor of ``rank`` axes."""
    return ", ".join(str(i) for i in (0, *range(2, rank), 1))


def channels_first(rank: int) -> str:
    return ", ".join(str(i) for i in (0, rank - 1, *range(1, rank - 1)))


def dilation_of(w: Any) -> int:
    return (w.eff - 1) // (w.kernel - 1) if w.kernel > 1 else 1


def dilations(r: LayerResult) -> list[int]:
    """The layer's dilation per axis (a 1-tap kernel's window cannot tell it, torch can)."""
    layer: Any = r.node.layer
    n = len(r.effect.window or ())
    return list(layer.dilation * n if len(layer.dilation) == 1 else layer.dilation)


def torch_shape(shape: Sequence[Any]) -> str:
    """A cnncalc shape as the tensor shape torch uses: (N, C, spatial…)."""
    if len(shape) == 1:
        return f"(N, {shape[0]})"
    return "(N, " + ", ".join(str(s) for s in (shape[-1], *shape[:-1])) + ")"
