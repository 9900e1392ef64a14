"""Keras import: a ``.keras`` archive (or ``model.to_json()``) → cnncalc TOML, without Keras.

Only the archive's ``config.json`` is read, as JSON: no weights file, no pickle, no
code (a Lambda layer is refused, never deserialised). Keras is channels-last as
cnncalc is, so shapes carry over; a layer's input shape comes from the config's
keras tensors. Nested functional and sequential models are inlined, their layers
named ``<model>_<layer>``; a model or layer called twice shares its weights.
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.interop.imported import Imported, Layer, Refused, fold_pads, layer_name, need
from cnncalc.interop.keras_layers import LAYERS, Call

MAX_CONFIG = 64 << 20  # bytes of config.json
MAX_DEPTH = 32  # models nested in models
MODELS = ("Functional", "Model", "Sequential")


def read_config(path: str) -> dict[str, Any]:
    """The model's config: from a .keras zip's config.json, or a JSON file."""
    try:
        size = os.path.getsize(path)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    info = archive.getinfo("config.json")
                except KeyError:
                    raise CnnCalcError(
                        "a Keras archive without config.json (saved by Keras 3's "
                        "model.save('….keras')?)",
                        file=path,
                    ) from None
                if info.file_size > MAX_CONFIG:
                    raise CnnCalcError(
                        f"config.json has {info.file_size:,} bytes, more than {MAX_CONFIG:,}",
                        file=path,
                    )
                with archive.open(info) as f:
                    raw = f.read(MAX_CONFIG + 1)
        else:
            if size > MAX_CONFIG:
                raise CnnCalcError(f"{size:,} bytes, more than {MAX_CONFIG:,}", file=path)
            with open(path, "rb") as f:
                raw = f.read(MAX_CONFIG + 1)
    except (OSError, zipfile.BadZipFile) as error:
        raise CnnCalcError(f"cannot read it: {error}", file=path) from None
    if len(raw) > MAX_CONFIG:
        raise CnnCalcError(f"config.json is larger than {MAX_CONFIG:,} bytes", file=path)
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError) as error:
        reason = " ".join(str(error).split())[:200]
        raise CnnCalcError(
            f"not a Keras model config (invalid JSON: {reason})", file=path
        ) from None
    if not isinstance(config, dict) or config.get("class_name") not in MODELS:
        raise CnnCalcError(
            "not a Keras model config: expected a Functional or Sequential model at the top",
            file=path,
        )
    return config


def import_keras(path: str, shapes: dict[str, list[int]], max_layers: int) -> Imported:
    config = read_config(path)
    body = config.get("config") or {}
    name = str(body.get("name") or os.path.splitext(os.path.basename(path))[0])
    net = Imported(name, {}, origin=f"the Keras model {os.path.basename(path)}")
    walk = Walk(net, path, shapes, max_layers)
    walk.model(config, [], "", 0, top=True)
    net.outputs = walk.outputs
    fold_pads(net)
    for layer in net.layers:
        if layer.keys.get("type") == "pad":
            try:
                need("pad", "padding")
            except Refused as refused:
                walk.untranslated.append(f"layer '{net.tensors.get(layer.name)}': {refused}")
    if walk.untranslated:
        shown = walk.untranslated[:5]
        more = len(walk.untranslated) - len(shown)
        raise CnnCalcError(
            "no cnncalc layer for " + "; ".join(shown) + (f"; and {more} more" if more else ""),
            file=path,
        )
    return net


def tensors(value: Any) -> list[Any]:
    """The keras tensors in a call's arguments, in order (Keras 3's format)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value.get("config") or {}]
        return [t for v in value.values() for t in tensors(v)]
    if isinstance(value, list):
        return [t for v in value for t in tensors(v)]
    return []


def inbound(node: Any) -> list[tuple[tuple[str, int, int], list[Any] | None]]:
    """Each input of one call as ((layer, node index, tensor index), shape or None)."""
    out: list[tuple[tuple[str, int, int], list[Any] | None]] = []
    if isinstance(node, dict):  # Keras 3
        for t in tensors(node.get("args", [])) + tensors(node.get("kwargs", {})):
            h = t.get("keras_history") or ["", 0, 0]
            out.append(((str(h[0]), int(h[1]), int(h[2])), t.get("shape")))
    elif isinstance(node, list):  # Keras 2: [[layer, node, tensor, kwargs], …]
        for h in node:
            out.append(((str(h[0]), int(h[1]), int(h[2])), None))
    return out


def history(spec: Any) -> list[tuple[str, int, int]]:
    """``input_layers`` / ``output_layers``: one [name, node, tensor] or a list of them."""
    if isinstance(spec, list) and spec and isinstance(spec[0], str):
        return [(spec[0], int(spec[1]), int(spec[2]))]
    if isinstance(spec, dict):
        return [h for v in spec.values() for h in history(v)]
    return [h for s in spec or [] for h in history(s)]


class Walk:
    """Inlines the (possibly nested) models' layers into one cnncalc network."""

    def __init__(
        self, net: Imported, path: str, shapes: dict[str, list[int]], max_layers: int
    ) -> None:
        self.net, self.path, self.shapes, self.max_layers = net, path, shapes, max_layers
        self.taken: set[str] = {"input"}
        self.untranslated: list[str] = []
        self.outputs: list[str] = []
        self.owner: dict[str, str] = {}  # layer path → the first cnncalc layer made from it
        self.count = 0

    def model(
        self,
        config: dict[str, Any],
        ins: list[str],
        prefix: str,
        depth: int,
        top: bool = False,
        path: str = "",
    ) -> list[str]:
        """Inline one model reading ``ins``; its output refs."""
        if depth > MAX_DEPTH:
            raise CnnCalcError(f"models nested more than {MAX_DEPTH} deep", file=self.path)
        body = config.get("config") or {}
        layers = body.get("layers")
        if not isinstance(layers, list):
            raise CnnCalcError(f"{path or 'the model'}: a model without layers", file=self.path)
        if config.get("class_name") == "Sequential":
            return self.sequential(body, layers, ins, prefix, depth, top, path)
        refs: dict[tuple[str, int, int], str] = {}
        inputs = history(body.get("input_layers"))
        by_name = {
            str(layer.get("name") or (layer.get("config") or {}).get("name")): layer
            for layer in layers
        }
        for k, h in enumerate(inputs):
            if top:
                refs[h] = self.network_input(by_name.get(h[0], {}), h[0], len(inputs))
            elif k < len(ins):
                refs[h] = ins[k]
        for layer in layers:
            self.layer(layer, refs, prefix, depth, path)
        return (
            [refs[h] for h in history(body.get("output_layers")) if h in refs]
            if not top
            else self.finish(refs, history(body.get("output_layers")))
        )

    def finish(self, refs: dict[tuple[str, int, int], str], outs: list[Any]) -> list[str]:
        self.outputs = [refs[h] for h in outs if h in refs]
        return self.outputs

    def network_input(self, layer: dict[str, Any], name: str, count: int) -> str:
        cfg = layer.get("config") or {}
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
        ref = "input" if count == 1 else layer_name(name, "input", self.taken)
        given = self.shapes.get(name, self.shapes.get("input") if len(self.shapes) == 1 else None)
        if given is not None:
            self.net.inputs[ref] = list(given)
            return ref
        if not isinstance(shape, list) or len(shape) < 2:
            raise CnnCalcError(f"input '{name}' has no shape; give it with --input", key="--input")
        dims = shape[1:]
        letters = {2: ("L",), 3: ("H", "W"), 4: ("D", "H", "W")}.get(len(dims), ())
        out: list[Any] = []
        for k, d in enumerate(dims):
            if isinstance(d, int) and d > 0:
                out.append(d)
            elif k < len(letters):
                out.append(letters[k] if count == 1 else f"{letters[k]}{len(self.net.inputs) + 1}")
            else:
                raise CnnCalcError(
                    f"input '{name}' has no fixed channel count; give it with --input",
                    key="--input",
                )
        self.net.inputs[ref] = out
        return ref

    def sequential(
        self,
        body: dict[str, Any],
        layers: list[Any],
        ins: list[str],
        prefix: str,
        depth: int,
        top: bool,
        path: str,
    ) -> list[str]:
        current = ins[0] if ins else None
        for k, layer in enumerate(layers):
            if layer.get("class_name") == "InputLayer" or (k == 0 and current is None):
                if current is None and top:
                    first = (
                        layer
                        if layer.get("class_name") == "InputLayer"
                        else {
                            "config": {
                                "batch_shape": (layer.get("config") or {}).get("batch_input_shape")
                                or (body.get("build_input_shape"))
                            }
                        }
                    )
                    current = self.network_input(first, "input", 1)
                if layer.get("class_name") == "InputLayer":
                    continue
            refs = {("__prev__", 0, 0): current or ""}
            layer = {**layer, "inbound_nodes": [[["__prev__", 0, 0, {}]]]}
            self.layer(layer, refs, prefix, depth, path)
            current = refs.get(("__last__", 0, 0), current)
        outs = [current] if current else []
        if top:
            self.outputs = outs
        return outs

    def layer(
        self,
        layer: dict[str, Any],
        refs: dict[tuple[str, int, int], str],
        prefix: str,
        depth: int,
        path: str,
    ) -> None:
        kind = str(layer.get("class_name"))
        cfg = layer.get("config") or {}
        name = str(layer.get("name") or cfg.get("name") or kind.lower())
        where = f"{path}/{name}" if path else name
        if kind == "InputLayer":
            return
        for index, call in enumerate(layer.get("inbound_nodes") or []):
            args = inbound(call)
            try:
                ins = [refs[h] for h, _ in args]
            except KeyError:
                continue  # reads a layer that was refused: its error says why
            shapes = [s for _, s in args]
            if not shapes or shapes[0] is None:  # a Sequential's layer: its build shape
                shapes = [(layer.get("build_config") or {}).get("input_shape")]
            out_refs: list[str]
            if kind in MODELS:
                inner = layer if "config" in layer else {"config": cfg}
                inner_prefix = f"{prefix}{name}_"
                out_refs = self.model(
                    {**inner, "class_name": kind}, ins, inner_prefix, depth + 1, path=where
                )
            else:
                try:
                    out_refs = self.translate(kind, cfg, name, where, prefix, ins, shapes, index)
                except Refused as refused:
                    self.untranslated.append(f"layer '{where}' ({kind}): {refused}")
                    continue
            for k, ref in enumerate(out_refs):
                refs[(name, index, k)] = ref
            if out_refs:
                refs[("__last__", 0, 0)] = out_refs[0]

    def translate(
        self,
        kind: str,
        cfg: dict[str, Any],
        name: str,
        where: str,
        prefix: str,
        ins: list[str],
        shapes: list[Any],
        index: int,
    ) -> list[str]:
        handler = LAYERS.get(kind)
        if handler is None:
            if kind in ("Lambda", "TFOpLambda") or "function" in cfg:
                raise Refused(
                    "a Lambda layer holds Python code, which cnncalc never runs; "
                    "replace it with built-in layers"
                )
            raise Refused("no cnncalc translation")
        call = Call(kind, cfg, ins, shapes)
        made = handler(call)
        first: str | None = None
        for k, (keys, suffix) in enumerate(made):
            self.count += 1
            if self.count > self.max_layers:
                raise CnnCalcError(
                    f"more than --max-layers {self.max_layers:,} layers", file=self.path
                )
            raw = f"{prefix}{name}{suffix}"
            lname = layer_name(raw, kind.lower(), self.taken)
            owner_key = f"{where}{suffix}"
            if index > 0 or owner_key in self.owner:
                if keys.get("type") not in ("dropout",) and has_weights(keys):
                    keys = {**keys, "share": self.owner.get(owner_key, lname)}
            self.owner.setdefault(owner_key, lname)
            inputs = ins if k == 0 else [first or ""]
            self.net.layers.append(Layer(lname, keys, list(inputs)))
            if not suffix:
                self.net.tensors[lname] = where
            first = lname
        return [first] if first else list(ins[:1])


def has_weights(keys: dict[str, Any]) -> bool:
    return keys.get("type") in {
        "conv",
        "conv_transpose",
        "fc",
        "batchnorm",
        "layernorm",
        "groupnorm",
        "scale",
        "prelu",
        "instancenorm",
    }
