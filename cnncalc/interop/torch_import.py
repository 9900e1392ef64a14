"""PyTorch import: a user's ``nn.Module`` → cnncalc TOML.

The module is traced (``import_trace``: torch.fx, or torch.export where fx cannot follow
the code), each node becomes a cnncalc layer (``import_map`` and the modules it calls),
and the network is written as TOML with repeated submodules folded into blocks
(``import_net``, ``import_blocks``). A layer with parameters or a new shape that has no
cnncalc equivalent is an error naming it and its module; one without either is left out
with a warning. Imports torch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.interop import import_attention, import_calls, import_modules, import_sdpa
from cnncalc.interop.import_map import Mapper
from cnncalc.interop.import_net import Imported
from cnncalc.interop.import_trace import load_class, trace

Progress = Callable[[str], None] | None  # told what is being done, for a terminal's progress line


def import_model(
    model: Any,
    name: str,
    shapes: dict[str, list[int]],
    origin: str = "",
    progress: Progress = None,
) -> Imported:
    """A built ``nn.Module`` (put in eval mode) as a cnncalc network on the given inputs."""
    model.eval()
    tell = progress or (lambda text: None)
    traced, named = trace(model, name, shapes, tell)
    single = len(traced.placeholders) == 1
    inputs = {("input" if single else p): s for p, s in named.items()}
    cls = type(model)
    where = origin or f"the PyTorch module {cls.__module__}.{cls.__qualname__}"
    net = Imported(name, inputs, origin=f"{where}, traced with {traced.how}")
    return walk(Mapper(model, traced, net), tell)


def walk(mp: Mapper, tell: Callable[[str], None]) -> Imported:
    """Every node once, in order: modules, calls and methods to their mappings."""
    nodes = list(mp.gm.graph.nodes)
    claimed = import_sdpa.find(mp)  # attention written out around F.scaled_dot_product_...
    for k, node in enumerate(nodes, 1):
        tell(f"translating node {k} of {len(nodes)}: {node.name}")
        if node.op == "placeholder" or node.op == "get_attr":
            continue  # inputs are named already; weights are counted where they are used
        if node in claimed:
            import_sdpa.write(mp, node, claimed[node])
        elif node.op == "output":
            mp.outputs(node.args[0])
        elif node.op in ("call_method", "call_function") and mp.weight_view(node):
            continue
        elif node.op == "call_module" and import_attention.module(
            mp, node, mp.gm.get_submodule(node.target)
        ):
            continue
        elif not mp.shape(node):
            import_calls.structural(mp, node)  # tuples of tensors; numbers need nothing
        elif node.op == "call_module":
            import_modules.module(mp, node, mp.gm.get_submodule(node.target))
        else:
            import_calls.call(mp, node)
    return mp.finish()


def import_torch(target: str, shapes: dict[str, list[int]], progress: Progress = None) -> Imported:
    """Trace ``FILE.py:ClassName`` (built with no arguments) into a cnncalc network.

    ``progress`` is told what is being done, for a progress line on a terminal.
    """
    if progress is not None:
        progress(f"building {target}")
    cls = load_class(target)
    name = target.rpartition(":")[2]
    if not inspect.isclass(cls):
        raise CnnCalcError(f"'{name}' is not a class", key="MODULE:CLASS")
    try:
        model: Any = cls()
    except Exception as error:
        raise CnnCalcError(
            f"cannot build {name}(): {type(error).__name__}: {error}; cnncalc builds the "
            "module with no arguments (wrap it in a class that passes them)"
        ) from None
    origin = f"{target.rpartition(':')[0].split('/')[-1]}:{name}"
    return import_model(model, name, shapes, origin, progress)
