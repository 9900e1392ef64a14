"""The TOML text of imported layers: one inline table per layer, values as TOML writes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Layer:
    name: str
    keys: dict[str, Any]
    inputs: list[str]
    path: tuple[str, ...] = ()  # the module paths this layer sits in, outermost first
    classes: tuple[str, ...] = ()  # the class name of each of those modules


def entries(layers: list[Layer], previous: str | None, indent: str = "  ") -> list[str]:
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
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)
