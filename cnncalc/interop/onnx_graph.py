"""An ONNX file read with the ``onnx`` package alone: bounded, ordered, constants and shapes.

No runtime and no code: the protobuf is parsed, external weight files are never
opened (only the weights' dimensions matter), shape-computing subgraphs are folded by
a small evaluator of bounded size, and shapes come from ``onnx.shape_inference``.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import CnnCalcError

MAX_BYTES = 2**31  # protobuf's own limit for one message
MAX_FOLDED = 1 << 16  # values a folded constant may hold
VALUE_LIMIT = 1 << 16  # initializers read as values (pads, scales, shapes) at most this big
AXIS_SYMBOLS = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass
class Const:
    """A tensor known without running the model: its dimensions, and its values if small."""

    dims: tuple[int, ...]
    value: Any = None  # a numpy array, or None for a large or external tensor

    @property
    def size(self) -> int:
        n = 1
        for d in self.dims:
            n *= d
        return n


class Graph:
    """The model's main graph: nodes in an order where inputs come first, its constants,
    the shape of every tensor and the network inputs in cnncalc's order."""

    def __init__(self, path: str, shapes: dict[str, list[int]], max_layers: int) -> None:
        import onnx

        self.onnx = onnx
        self.path = path
        model = read_model(path)
        graph = model.graph
        if len(graph.node) > max_layers:
            raise CnnCalcError(
                f"the graph has {len(graph.node):,} nodes, more than --max-layers {max_layers:,}",
                file=path,
            )
        self.consts: dict[str, Const] = {}
        for t in graph.initializer:
            self.consts[t.name] = tensor_const(t)
        init = set(self.consts)
        real_inputs = [i for i in graph.input if i.name not in init]
        if not real_inputs:
            raise CnnCalcError("the graph has no input", file=path)
        self.inputs: dict[str, list[Any]] = {}
        self.input_rank: dict[str, int] = {}
        self.symbols: dict[str, str] = {}
        fixed = {}
        for vi in real_inputs:
            dims = self.input_dims(vi, shapes)
            self.inputs[vi.name] = dims
            self.input_rank[vi.name] = len(vi.type.tensor_type.shape.dim)
            fixed[vi.name] = dims
        for name in shapes:
            if name != "input" and name not in self.inputs:
                raise CnnCalcError(
                    f"the graph has no input '{name}'; its inputs are " + ", ".join(self.inputs),
                    key="--input",
                )
        set_input_dims(graph, fixed)
        self.shapes = infer(onnx, model, path)
        self.nodes = ordered(graph.node, set(self.consts) | set(self.inputs), path)
        self.outputs = [o.name for o in graph.output]
        self.opset = max(
            (o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=1
        )
        self.producer = model.producer_name

    def input_dims(self, vi: Any, shapes: dict[str, list[int]]) -> list[Any]:
        """The input in cnncalc's order: --input, or the file's sizes with symbols for the
        dynamic ones (the batch axis dropped)."""
        dims = vi.type.tensor_type.shape.dim
        rank = len(dims)
        given = shapes.get(vi.name, shapes.get("input") if len(shapes) == 1 else None)
        if given is not None:
            if len(given) != max(rank - 1, 1):
                raise CnnCalcError(
                    f"input '{vi.name}' has {rank} axes (batch, channels, spatial…); "
                    f"expected {max(rank - 1, 1)} sizes, got {'x'.join(map(str, given))}",
                    key="--input",
                )
            return list(given)
        if rank < 2:
            raise CnnCalcError(f"input '{vi.name}' has {rank} axes; expected a batch axis first")
        spatial = AXIS_SYMBOLS.get(rank - 2, ())
        out: list[Any] = []
        for k, d in enumerate(list(dims)[1:]):
            if d.HasField("dim_value") and d.dim_value > 0:
                out.append(int(d.dim_value))
            elif k == 0 or not spatial:
                raise CnnCalcError(
                    f"input '{vi.name}' has no fixed size on axis {k + 1} "
                    f"({'channels' if k == 0 else 'features'}); give it with --input",
                    key="--input",
                )
            else:
                out.append(self.symbol(d.dim_param or f"?{vi.name}{k}", spatial[k - 1]))
        return out if rank == 2 else [*out[1:], out[0]]

    def symbol(self, param: str, letter: str) -> str:
        """One cnncalc symbol per dynamic dimension name: the axis letter, numbered on a clash."""
        if param not in self.symbols:
            taken = set(self.symbols.values())
            name, k = letter, 1
            while name in taken:
                k += 1
                name = f"{letter}{k}"
            self.symbols[param] = name
        return self.symbols[param]

    def dims(self, name: str) -> list[int | None] | None:
        """A tensor's dimensions, batch included (None where shape inference could not tell)."""
        if name in self.consts:
            return list(self.consts[name].dims)
        return self.shapes.get(name)

    def const(self, name: str) -> Const | None:
        return self.consts.get(name)

    def values(self, name: str) -> list[Any] | None:
        """A small constant's values, flat, as Python numbers."""
        c = self.consts.get(name)
        if c is None or c.value is None:
            return None
        return [v.item() for v in c.value.reshape(-1)]


def read_model(path: str) -> Any:
    import onnx

    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise CnnCalcError(f"cannot read it: {error.strerror}", file=path) from None
    if size > MAX_BYTES:
        raise CnnCalcError(f"the file has {size:,} bytes, more than ONNX's 2 GiB", file=path)
    try:
        model = onnx.load_model(path, load_external_data=False)
    except Exception as error:  # protobuf's DecodeError and friends: one line
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise CnnCalcError(
            f"not an ONNX model (truncated or another format): {reason}", file=path
        ) from None
    if model.ir_version <= 0 or not model.graph.node or not model.graph.output:
        raise CnnCalcError("not an ONNX model: no IR version, nodes or outputs", file=path)
    return model


def tensor_const(t: Any) -> Const:
    from onnx import numpy_helper

    dims = tuple(int(d) for d in t.dims)
    c = Const(dims)
    external = t.data_location == 1  # TensorProto.EXTERNAL: never opened
    if not external and c.size <= VALUE_LIMIT:
        try:
            c.value = numpy_helper.to_array(t)
        except Exception:  # an odd dtype: dimensions are enough for a weight
            c.value = None
    return c


def set_input_dims(graph: Any, fixed: dict[str, list[Any]]) -> None:
    """Write the inputs' sizes into the graph (batch 1) so shape inference gives numbers."""
    for vi in graph.input:
        if vi.name not in fixed:
            continue
        ours = fixed[vi.name]
        dims = ours if len(ours) == 1 else [ours[-1], *ours[:-1]]
        shape = vi.type.tensor_type.shape
        for d, size in zip(shape.dim, [1, *dims], strict=False):
            if isinstance(size, int):
                d.dim_value = size
            else:
                d.dim_param = size


def infer(onnx: Any, model: Any, path: str) -> dict[str, list[int | None]]:
    try:
        inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as error:
        reason = " ".join(str(error).split())[:300]
        raise CnnCalcError(f"onnx.shape_inference rejects the graph: {reason}", file=path) from None
    out: dict[str, list[int | None]] = {}
    g = inferred.graph
    for vi in [*g.input, *g.value_info, *g.output]:
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            continue
        out[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    return out


def ordered(nodes: Any, known: set[str], path: str) -> list[Any]:
    """The nodes with every producer before its users (Kahn's order); a cycle is an error."""
    producer: dict[str, int] = {}
    for k, node in enumerate(nodes):
        for o in node.output:
            if o:
                producer[o] = k
    waiting = [0] * len(nodes)
    users: list[list[int]] = [[] for _ in nodes]
    for k, node in enumerate(nodes):
        for i in set(node.input):
            if i and i not in known and i in producer:
                waiting[k] += 1
                users[producer[i]].append(k)
    ready = deque(k for k, w in enumerate(waiting) if w == 0)
    order = []
    while ready:
        k = ready.popleft()
        order.append(nodes[k])
        for u in users[k]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    if len(order) < len(nodes):
        stuck = [nodes[k].name or nodes[k].op_type for k, w in enumerate(waiting) if w][:3]
        raise CnnCalcError(
            "the graph has a loop: node " + ", ".join(stuck) + " waits on its own output",
            file=path,
        )
    return order
