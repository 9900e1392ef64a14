"""What every importer builds: layers with cnncalc keys, written out as a cnncalc TOML file.

Importers never build a ``Network`` directly: the TOML they write is what users read
back, and reading it back is how the command checks it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from cnncalc.errors import CnnCalcError

_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")


class Refused(Exception):
    """A foreign layer or operator cnncalc cannot translate, with the reason."""


@dataclass(frozen=True)
class SameAtEnd:
    """Padding "same" with the odd pixel at the end (Keras, ONNX's SAME_UPPER, torch): the
    opposite of cnncalc's split, so written as pairs once the input sizes are known."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]


@dataclass
class Layer:
    name: str
    keys: dict[str, Any]
    inputs: list[str]


@dataclass
class Imported:
    name: str
    inputs: dict[str, list[Any]]
    layers: list[Layer] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    origin: str = ""  # "the PyTorch module X", for the header comment
    tensors: dict[str, str] = field(default_factory=dict)  # layer → the foreign tensor it is

    def toml(self) -> str:
        """The network as a cnncalc architecture file."""
        out = [f"# Imported by cnncalc from {self.origin or self.name}.", ""]
        out.append(f"name = {json.dumps(self.name)}")
        if list(self.inputs) == ["input"]:
            out.append(f"input = {value(self.inputs['input'])}")
        else:
            items = ", ".join(f"{bare(k)} = {value(v)}" for k, v in self.inputs.items())
            out.append(f"input = {{ {items} }}")
        last = self.layers[-1].name if self.layers else None
        if self.outputs != [last]:
            out.append(f"outputs = {value(self.outputs)}")
        out.append("layers = [")
        previous = next(iter(self.inputs)) if len(self.inputs) == 1 else None
        for layer in self.layers:
            keys: dict[str, Any] = {"name": layer.name, **layer.keys}
            if layer.inputs != [previous]:
                keys["inputs"] = layer.inputs
            body = ", ".join(f"{k} = {value(v)}" for k, v in keys.items())
            out.append(f"  {{ {body} }},")
            previous = layer.name
        out.append("]")
        return "\n".join(out) + "\n"


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(v)


def bare(key: str) -> str:
    """A TOML key, quoted only when it must be."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def layer_name(raw: str, fallback: str, taken: set[str]) -> str:
    """A foreign name as a readable, unique cnncalc layer name (letters, digits and _)."""
    base = _UNSAFE.sub("_", raw).strip("_")[:60] or fallback
    if base == "input" or base[0].isdigit():
        base = f"{fallback}_{base}"
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


def need(kind: str, *keys: str) -> None:
    """Refuse when this cnncalc has no layer kind (or key) for what the node does."""
    from cnncalc.layers.base import REGISTRY

    entry = REGISTRY.get(kind)
    if entry is None:
        raise Refused(f"needs cnncalc's '{kind}' layer kind, which this version does not have")
    have = {f.name for f in entry[0].keys()}
    missing = [k for k in keys if k not in have]
    if missing:
        raise Refused(f"needs the '{missing[0]}' key of cnncalc's '{kind}', not in this version")


def channels_last(dims: list[Any]) -> list[Any]:
    """A channels-first shape without its batch axis (C, spatial…) in cnncalc's order."""
    return dims if len(dims) == 1 else [*dims[1:], dims[0]]


def resolve_same(net: Imported, source: str) -> None:
    """Write each pending "same at the end" padding as pairs where it differs from cnncalc's
    own "same" (an odd total); one walk gives every input size, since the split does not
    change any output size."""
    pending = [layer for layer in net.layers if isinstance(layer.keys.get("padding"), SameAtEnd)]
    if not pending:
        return
    from cnncalc.engine.walk import analyze
    from cnncalc.spec.load import load_text

    saved = {id(layer): layer.keys["padding"] for layer in pending}
    for layer in pending:
        layer.keys["padding"] = "same"
    (network,) = load_text(net.toml(), source)
    shapes = {r.node.name: r.input_shapes[0] for r in analyze(network).layers}
    for layer in pending:
        same: SameAtEnd = saved[id(layer)]
        pairs, odd = [], False
        sizes = shapes[layer.name][:-1]
        for size, f, s, d in zip(sizes, same.kernel, same.stride, same.dilation, strict=True):
            span = d * (f - 1) + 1
            if s == 1:
                total = span - 1
            elif isinstance(size, int):
                total = max((-(-size // s) - 1) * s + span - size, 0)
            else:
                raise CnnCalcError(
                    f"{layer.name}: padding 'same' with stride {s} on a symbolic size puts "
                    "its odd pixel at the end for some sizes only; give the size with --input",
                    key="--input",
                )
            odd = odd or total % 2 == 1
            pairs.append([total // 2, total - total // 2])
        layer.keys["padding"] = pairs if odd else "same"


def fold_pads(net: Imported) -> None:
    """A zero ``pad`` read only by a conv or pool without padding of its own becomes that
    layer's [start, end] padding (Keras's ZeroPadding2D before a strided conv)."""
    readers: dict[str, list[Layer]] = {}
    for layer in net.layers:
        for i in layer.inputs:
            readers.setdefault(i, []).append(layer)
    keep = []
    for layer in net.layers:
        users = readers.get(layer.name, [])
        if (
            layer.keys.get("type") == "pad"
            and "mode" not in layer.keys
            and len(users) == 1
            and layer.name not in net.outputs
            and users[0].keys.get("type") in ("conv", "pool", "maxpool", "avgpool")
            and users[0].keys.get("padding", "valid") == "valid"
            and users[0].inputs == [layer.name]
        ):
            users[0].keys["padding"] = layer.keys["padding"]
            users[0].inputs = list(layer.inputs)
            net.tensors.pop(layer.name, None)
            continue
        keep.append(layer)
    net.layers = keep


def need_fc_on_positions() -> None:
    """Refuse a Dense or MatMul over the channels of a non-flat tensor where this cnncalc's
    fc takes flat inputs only (found by asking the engine once)."""
    if not _fc_on_positions():
        raise Refused(
            "needs cnncalc's fc over the last axis of a non-flat tensor, which this version "
            "does not have"
        )


@functools.cache
def _fc_on_positions() -> bool:
    from cnncalc.engine.walk import analyze
    from cnncalc.spec.load import load_text

    try:
        analyze(load_text('input = [2, 2, 3]\nlayers = ["fc 4"]\n')[0])
    except CnnCalcError:
        return False
    return True
