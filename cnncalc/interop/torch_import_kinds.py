"""Import rules for the kinds of today's CNNs that torch writes as indexing or functions:
channel slices and spatial crops (``x[:, a:b]``), and padding layers (``F.pad``)."""

from __future__ import annotations

from typing import Any

PAD_MODES = {"constant": "zero", "reflect": "reflect", "replicate": "replicate"}


def index_keys(index: Any, shape: tuple[int, ...]) -> dict[str, Any] | None:
    """``x[:, a:b]`` is a slice of channels, ``x[:, :, a:b, …]`` a crop; else None."""
    items = index if isinstance(index, tuple) else (index,)
    if len(items) < 2 or any(not isinstance(i, slice) or i.step not in (None, 1) for i in items):
        return None
    if items[0] != slice(None):
        return None

    def bounds(i: slice, size: int) -> tuple[int, int]:
        start, stop, _ = i.indices(size)
        return start, stop

    if len(items) == 2:
        start, stop = bounds(items[1], shape[1])
        return {"type": "slice", "start": start, "end": stop} if start < stop else None
    if items[1] != slice(None):
        return None
    cuts = []
    for i, size in zip(items[2:], shape[2:], strict=False):
        start, stop = bounds(i, size)
        cuts.append([start, size - stop])
    cuts += [[0, 0]] * (len(shape) - 2 - len(cuts))
    return {"type": "crop", "crop": cuts}


def pad_keys(pad: list[int], mode: str, n: int) -> dict[str, Any] | None:
    """A padding layer from ``F.pad``'s last-axis-first amounts, when they are not negative."""
    if mode not in PAD_MODES or any(p < 0 for p in pad):
        return None
    pairs = [[0, 0] for _ in range(n)]
    for i in range(len(pad) // 2):
        pairs[n - 1 - i] = [pad[2 * i], pad[2 * i + 1]]
    keys: dict[str, Any] = {"type": "pad", "padding": pairs}
    if mode != "constant":
        keys["mode"] = PAD_MODES[mode]
    return keys
