"""The state of an ONNX translation: which cnncalc layer holds each tensor, in which layout."""

from __future__ import annotations

from typing import Any

from cnncalc.interop.imported import Imported, Layer, Refused, channels_last, layer_name, need
from cnncalc.interop.onnx_graph import Graph

ELEMENTWISE = {"relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "dropout"}


class Translator:
    """Walks the ordered nodes once; the operator table in ``onnx_ops`` calls its helpers."""

    def __init__(self, g: Graph, net: Imported) -> None:
        self.g, self.net = g, net
        self.ref: dict[str, str] = {}  # tensor → the cnncalc layer (or input) that holds it
        self.layout: dict[str, str] = {}  # tensor → "cf", "cl" or "flat"
        self.layer_of: dict[str, Layer] = {}
        self.taken: set[str] = {"input", *net.inputs}
        self.untranslated: list[str] = []
        self.failed: set[str] = set()  # outputs of refused nodes
        self.readers: dict[str, list[Any]] = {}
        self.skip: set[int] = set()  # nodes another node's translation took in (SiLU's Sigmoid)
        self.silu: dict[int, str] = {}  # Mul(x, Sigmoid(x)) nodes → x
        self.padded: dict[str, tuple[str, list[list[int]]]] = {}  # Pad out → (its input, pairs)

    def prepare(self) -> None:
        """Count each tensor's readers and find the SiLU pattern before the walk."""
        producer: dict[str, Any] = {}
        for node in self.g.nodes:
            for i in node.input:
                self.readers.setdefault(i, []).append(node)
            for o in node.output:
                producer[o] = node
        for o in self.g.outputs:
            self.readers.setdefault(o, []).append(None)
        for node in self.g.nodes:
            if node.op_type != "Mul" or len(node.input) != 2:
                continue
            for a, b in (node.input, reversed(node.input)):
                sig = producer.get(b)
                if (
                    sig is not None
                    and sig.op_type == "Sigmoid"
                    and sig.input[0] == a
                    and len(self.readers.get(b, [])) == 1
                ):
                    self.skip.add(id(sig))
                    self.silu[id(node)] = a
                    break

    # ----- tensors

    def tensor(self, node: Any, k: int = 0) -> str:
        """Input ``k`` of ``node``, which must be a tensor a layer (or the input) computed."""
        name = node.input[k] if k < len(node.input) else ""
        if name in self.padded:
            raise Refused("reads a Pad that cnncalc could not fold into a convolution")
        if name in self.failed:
            raise Refused("")  # its input was refused: that node's error says why
        if name not in self.ref:
            what = "a constant" if name in self.g.consts else "not computed by a translated node"
            raise Refused(f"input {k + 1} ('{name}') is {what}")
        return name

    def rank(self, tensor: str) -> int:
        dims = self.g.dims(tensor)
        if dims is None:
            raise Refused(f"onnx.shape_inference gives no shape for '{tensor}'")
        return len(dims)

    def dims(self, tensor: str) -> list[int | None]:
        dims = self.g.dims(tensor)
        if dims is None:
            raise Refused(f"onnx.shape_inference gives no shape for '{tensor}'")
        return dims

    def shape(self, tensor: str) -> list[int | None]:
        """cnncalc's shape of a tensor: no batch, channels last."""
        dims = self.dims(tensor)[1:]
        return channels_last(dims) if self.layout.get(tensor) == "cf" else dims

    def channels(self, tensor: str) -> int:
        dims = self.dims(tensor)
        c = dims[1] if self.layout.get(tensor, "cf") != "cl" else dims[-1]
        if c is None:
            raise Refused(f"the channels of '{tensor}' are unknown to onnx.shape_inference")
        return c

    def channel_axis(self, tensor: str) -> int:
        """The channel axis in ONNX's numbering (1 channels-first, last channels-last)."""
        return self.rank(tensor) - 1 if self.layout.get(tensor) == "cl" else 1

    def spatial(self, tensor: str) -> int:
        """How many spatial axes a channels-first tensor has (0 for a flat one)."""
        if self.layout.get(tensor) != "cf":
            raise Refused(f"needs a channels-first (N, C, …) input; '{tensor}' is channels-last")
        return self.rank(tensor) - 2

    def readers_of(self, tensor: str) -> int:
        return len(self.readers.get(tensor, []))

    # ----- layers

    def add(
        self, node: Any, keys: dict[str, Any], inputs: list[str], layout: str | None = None
    ) -> Layer:
        name = layer_name(short(node.name or node.output[0]), node.op_type.lower(), self.taken)
        layer = Layer(name, keys, [self.ref[i] for i in inputs])
        self.net.layers.append(layer)
        self.layer_of[name] = layer
        out = node.output[0]
        self.ref[out] = name
        self.layout[out] = layout or (self.layout.get(inputs[0], "cf") if inputs else "cf")
        if self.rank(out) == 2:
            self.layout[out] = "flat"
        self.net.tensors[name] = out
        return layer

    def alias(self, node: Any, tensor: str, layout: str | None = None) -> None:
        for out in node.output[:1]:
            self.ref[out] = self.ref[tensor]
            self.layout[out] = layout or self.layout.get(tensor, "cf")
            if self.ref[tensor] in self.layer_of:
                self.net.tensors[self.ref[tensor]] = out

    def then(self, node: Any, after: Layer, keys: dict[str, Any], suffix: str) -> None:
        """A second layer for one node, reading the first (ReduceMean without keepdims)."""
        name = layer_name(f"{after.name}_{suffix}", suffix, self.taken)
        layer = Layer(name, keys, [after.name])
        self.net.layers.append(layer)
        self.layer_of[name] = layer
        out = node.output[0]
        self.ref[out] = name
        self.layout[out] = "flat" if self.rank(out) == 2 else self.layout.get(out, "cf")
        self.net.tensors.pop(after.name, None)
        self.net.tensors[name] = out

    def made_by(self, tensor: str, *types: str) -> Layer | None:
        """The layer that computed ``tensor`` when it is of one of ``types`` and nothing
        else reads the tensor: a candidate to take in what follows."""
        layer = self.layer_of.get(self.ref.get(tensor, ""))
        if layer is None or self.readers_of(tensor) != 1 or layer.keys["type"] not in types:
            return None
        if self.net.tensors.get(layer.name) != tensor:
            return None
        return layer

    def activation(
        self, node: Any, kind: str, keys: dict[str, Any] | None = None, x: str | None = None
    ) -> None:
        """Fused into the layer that made the input when nothing else reads it."""
        from cnncalc.layers.base import ACTIVATIONS

        need(kind)
        x = x or self.tensor(node)
        ours = 1 + (id(node) in self.silu)  # a SiLU's Mul reads x twice, counted once each
        target = self.layer_of.get(self.ref[x])
        if (
            not keys
            and kind in ACTIVATIONS
            and target is not None
            and self.readers_of(x) == ours
            and self.net.tensors.get(target.name) == x
            and "activation" not in target.keys
            and target.keys["type"] not in ELEMENTWISE | set(ACTIVATIONS)
        ):
            target.keys["activation"] = kind
            self.alias(node, x)
        else:
            self.add(node, {"type": kind, **(keys or {})}, [x])

    def refuse(self, node: Any, why: str) -> None:
        label = node.name or (node.output[0] if node.output else "?")
        if why:
            self.untranslated.append(f"node '{label}' ({node.op_type}): {why}")
        self.failed.update(node.output)


def short(name: str) -> str:
    """torch's scoped node names without their repeats: /layer1/layer1.0/conv1/Conv →
    layer1.0/conv1/Conv."""
    parts = [p for p in name.split("/") if p]
    kept = [
        p for p, after in zip(parts, [*parts[1:], ""], strict=True) if not after.startswith(p + ".")
    ]
    return "/".join(kept) or name
