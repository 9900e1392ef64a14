"""The TOML text of imported layers: one inline table per layer, values as TOML writes them;
built on what every importer shares (``imported``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.interop import imported


@dataclass
class Layer(imported.Layer):
    """A layer with the modules it ran in, which block folding reads."""

    path: tuple[str, ...] = ()  # the module paths this layer sits in, outermost first
    classes: tuple[str, ...] = ()  # the class name of each of those modules


def entries(
    layers: Sequence[imported.Layer], previous: str | None, indent: str = "  "
) -> list[str]:
    """One inline table per layer; ``inputs`` only where it is not the layer before."""
    out = []
    for layer in layers:
        keys: dict[str, Any] = {"name": layer.name, **layer.keys}
        if layer.inputs != [previous]:
            keys["inputs"] = layer.inputs
        body = ", ".join(f"{k} = {value(v)}" for k, v in keys.items())
        out.append(f"{indent}{{ {body} }},")
        previous = layer.name
    return out


def value(v: Any) -> str:
    """A TOML value; an inline table (a block's ``args``) too."""
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{imported.bare(k)} = {value(x)}" for k, x in v.items()) + " }"
    return imported.value(v)
