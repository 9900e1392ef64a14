"""PyTorch as the oracle for memory: what autograd saves, per layer; live tensors; optimizer state.

Imports torch, so only a module that has already called ``pytest.importorskip("torch")``
may import this one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn
from torchcheck import example_inputs, forward_locals, import_code, order, tensor_of

from cnncalc.engine.walk import Analysis
from cnncalc.interop.export_file import NetworkInfo
from cnncalc.interop.torch_export import export_pytorch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def assigned_lines(path: str) -> dict[int, str]:
    """Every line of the generated file that belongs to an assignment → the variable assigned."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    lines: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                lines[line] = node.targets[0].id
    return lines


@contextmanager
def current_layer(
    modules: Sequence[type[nn.Module]], lines: dict[int, str]
) -> Iterator[list[tuple[int, int, str]]]:
    """While the generated forwards run, the innermost one's (id(self), call, variable).

    The top of the yielded stack says which layer's line is running: every layer of the
    exported module is the assignment of its own variable.
    """
    codes = {cls.forward.__code__ for cls in modules}
    stack: list[tuple[int, int, str]] = []
    calls: dict[int, int] = {}

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            var = lines.get(frame.f_lineno, "")
            me, call, _ = stack[-1]
            stack[-1] = (me, call, var)
        elif event == "return":
            stack.pop()
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code not in codes:
            return None
        me = id(frame.f_locals["self"])
        calls[me] = calls.get(me, -1) + 1
        stack.append((me, calls[me], ""))
        return local

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield stack
    finally:
        sys.settrace(previous)


@dataclass
class Built:
    model: nn.Module
    info: NetworkInfo
    module: ModuleType
    classes: list[type[nn.Module]]


def build(a: Analysis, directory: Path, dtype: str) -> Built:
    ex = export_pytorch([a])
    module = import_code(ex.code, directory)
    info = ex.networks[a.network.name]
    classes = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, nn.Module)]
    torch.manual_seed(0)
    model = getattr(module, info.class_name)().to(DTYPES[dtype])
    return Built(model, info, module, classes)


def inputs_of(a: Analysis, built: Built, batch: int, dtype: str) -> list[torch.Tensor]:
    return [x.to(DTYPES[dtype]) for x in example_inputs(a, built.info, batch)]


def storage_key(t: torch.Tensor) -> tuple[int, int]:
    s = t.untyped_storage()
    return s.data_ptr(), s.nbytes()


def saved_per_layer(a: Analysis, built: Built, batch: int, dtype: str) -> dict[str, int]:
    """Bytes autograd saves in one training forward, at the first layer that saves each
    tensor; parameters and buffers left out."""
    model = built.model.train()
    owned = {storage_key(p)[0] for p in model.parameters()} | {
        storage_key(b)[0] for b in model.buffers()
    }
    layer_of = {}
    for name, (path, call, var) in built.info.variables.items():
        layer_of[(id(model.get_submodule(path)), call, var)] = name
    lines = assigned_lines(built.module.__file__ or "")
    per_layer = dict.fromkeys((r.name for r in a.layers), 0)
    seen: set[int] = set()
    xs = inputs_of(a, built, batch, dtype)
    with current_layer(built.classes, lines) as stack:

        def pack(t: torch.Tensor) -> torch.Tensor:
            # detached: an output saved as itself would hold its own graph in a cycle that
            # no collector sees, keeping every activation of the network alive for good
            ptr, nbytes = storage_key(t)
            if ptr in owned or ptr in seen:
                return t.detach()
            seen.add(ptr)
            # the innermost generated forward that is running a layer's line (a helper
            # module the file defines, such as LayerScale, runs inside one)
            name = next((layer_of[w] for w in reversed(stack) if w in layer_of), None)
            if name is None:
                raise AssertionError(f"a tensor saved outside any layer's line: {stack}")
            per_layer[name] += nbytes
            return t.detach()

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            torch.manual_seed(1)
            out = model(*xs)
    del out
    return per_layer


def inference_peak(a: Analysis, built: Built, batch: int, dtype: str) -> tuple[int, dict[str, int]]:
    """Run the exported module under no_grad, read every layer's output tensor, and replay
    the layers in order freeing each tensor after its last reader: the largest total of
    live tensors (distinct memory), and the total while each layer runs."""
    model = built.model.eval()
    xs = inputs_of(a, built, batch, dtype)
    with torch.no_grad(), forward_locals(built.classes) as seen:
        model(*xs)
    memory: dict[str, tuple[int, int]] = {}
    for name, x in zip(built.info.inputs, xs, strict=True):
        memory[name] = storage_key(x)
    for r in a.layers:
        t = tensor_of(model, seen, built.info, r.name)
        memory[r.name] = storage_key(t)
    steps = order(a.layers)
    last: dict[int, int] = {}
    for i, r in enumerate(steps):
        for n in r.inputs:
            last[memory[n][0]] = i
    for name in a.outputs:
        last[memory[name][0]] = len(steps)
    alive = {memory[name] for name in a.network.inputs}
    peak, live = 0, {}
    for i, r in enumerate(steps):
        alive.add(memory[r.name])
        live[r.name] = sum(n for _, n in alive)
        peak = max(peak, live[r.name])
        alive = {m for m in alive if last.get(m[0], -1) > i}
    return peak, live


OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.01),
    "momentum": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    "adam": lambda p: torch.optim.Adam(p),
    "adamw": lambda p: torch.optim.AdamW(p),
}


def optimizer_state_bytes(a: Analysis, built: Built, optimizer: str, dtype: str) -> int:
    """The bytes held in ``optimizer.state`` after one training step."""
    model = built.model.train()
    opt = OPTIMIZERS[optimizer](model.parameters())
    out = model(*inputs_of(a, built, 2, dtype))
    outs = out if isinstance(out, tuple) else (out,)
    sum(o.float().sum() for o in outs).backward()
    opt.step()
    return sum(
        v.untyped_storage().nbytes()
        for state in opt.state.values()
        for v in state.values()
        if isinstance(v, torch.Tensor)
    )
