"""Turning a PyTorch module into a graph with shapes: torch.fx first, torch.export after.

torch.fx traces at the level users write (modules, ``F.*`` calls, tensor methods) but stops
at Python control flow on a traced value (``if x.shape[-1] % 2``, ``math.ceil(h / s)``).
torch.export runs the model on the real input sizes, so shapes are plain numbers there and
that control flow resolves; its graph is ATen operators, which ``import_calls`` reads
under the same names. Imports torch.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnncalc.errors import CnnCalcError

LEAVES = {"LayerScale", "Standardize"}  # modules of cnncalc's exports that are one layer each

# Leaves of the trace, by the module that defines them; cnncalc's own exported helpers
# (``Attention``, ``PatchMerging``, ``Param``, marked by their ``cnncalc_keys``) are leaves
# by name.
TORCHVISION_LEAVES = {
    "torchvision.models.swin_transformer": {
        "ShiftedWindowAttention",
        "ShiftedWindowAttentionV2",
        "PatchMerging",
    },
    "torchvision.models.maxvit": {
        "RelativePositionalMultiHeadAttention",
        "WindowPartition",
        "WindowDepartition",
    },
}
OWN_LEAVES = {"Attention", "PatchMerging", "Param"}


def is_leaf(m: Any) -> bool:
    """A module the trace keeps whole, to be mapped by ``module``."""
    cls = type(m)
    if cls.__name__ in OWN_LEAVES and hasattr(m, "cnncalc_keys"):
        return True
    return cls.__name__ in TORCHVISION_LEAVES.get(cls.__module__, ())


@dataclass
class Traced:
    gm: Any  # the torch.fx GraphModule, every tensor node with its shape
    how: str  # "torch.fx" or "torch.export"
    placeholders: list[Any]


def load_class(target: str) -> Any:
    """``path/to/module.py:ClassName`` → the class (the module runs, as an import does)."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise CnnCalcError(
            f"cannot read '{target}'; expected FILE.py:ClassName", key="MODULE:CLASS"
        )
    if not Path(path).is_file():
        raise CnnCalcError("no such file", file=path)
    module_name = "cnncalc_import_" + Path(path).stem
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise CnnCalcError("cannot import it as a Python module", file=path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the user's code: report any failure as one line
        raise CnnCalcError(
            f"importing it failed: {type(error).__name__}: {error}", file=path
        ) from None
    if not hasattr(module, name):
        raise CnnCalcError(f"the module has no '{name}'", file=path)
    return getattr(module, name)


def fx_trace(model: Any) -> Any:
    """torch.fx's trace, keeping cnncalc's own helper modules whole."""
    import torch.fx

    class Leaves(torch.fx.Tracer):
        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            if type(m).__name__ in LEAVES or is_leaf(m):
                return True
            return super().is_leaf_module(m, qualname)

    return torch.fx.GraphModule(model, Leaves().trace(model, concrete_args=defaults(model)))


def defaults(model: Any) -> dict[str, Any] | None:
    """Arguments of ``forward`` after the first that have a plain default (timm's
    ``attn_mask=None``): traced with that value, not as inputs."""
    import inspect

    params = list(inspect.signature(model.forward).parameters.values())[1:]
    plain = (type(None), bool, int, float, str)
    found = {
        p.name: p.default
        for p in params
        if p.default is not p.empty
        and isinstance(p.default, plain)
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    return found or None


def examples(shapes: dict[str, list[int]], names: list[str]) -> list[Any]:
    """A zero batch of one per input, channels moved to torch's place."""
    import torch

    out = []
    for name in names:
        s = shapes[name]
        out.append(torch.zeros(1, *(s if len(s) == 1 else [s[-1], *s[:-1]])))
    return out


def placeholder_names(model: Any, gm: Any | None) -> list[str]:
    if gm is not None:  # (a placeholder with a default is an argument traced as that value)
        return [n.name for n in gm.graph.nodes if n.op == "placeholder" and not n.args]
    import inspect

    params = inspect.signature(model.forward).parameters.values()
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def named_shapes(name: str, names: list[str], shapes: dict[str, list[int]]) -> dict[str, list[int]]:
    if len(names) == 1 and list(shapes) == ["input"]:
        return {names[0]: shapes["input"]}
    missing = [p for p in names if p not in shapes]
    if missing:
        raise CnnCalcError(
            f"{name}.forward takes {', '.join(names)}; give each a "
            f"shape, e.g. --input {missing[0]}=224x224x3",
            key="--input",
        )
    return shapes


def trace(
    model: Any, name: str, shapes: dict[str, list[int]], tell: Callable[[str], None]
) -> tuple[Traced, dict[str, Any]]:
    """The model's graph with shapes, and the input shapes by placeholder name."""
    import torch

    tell(f"tracing {name} with torch.fx")
    try:
        gm = fx_trace(model)
    except Exception as error:
        fx_error = f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
        gm = None
    names = placeholder_names(model, gm)
    shapes = named_shapes(name, names, shapes)
    inputs = examples(shapes, names)
    if gm is not None:
        tell(f"running {name} once to find its shapes")
        try:  # ShapeProp prints the traceback of a failing node: keep it off the terminal
            from torch.fx.passes.shape_prop import ShapeProp

            with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
                ShapeProp(gm).propagate(*inputs)
        except Exception as error:
            cause = error.__cause__ or error
            raise CnnCalcError(
                f"{name} does not run on the input "
                + ", ".join("x".join(map(str, s)) for s in shapes.values())
                + f": {type(cause).__name__}: {' '.join(str(cause).split())}",
                key="--input",
            ) from None
        placeholders = [n for n in gm.graph.nodes if n.op == "placeholder" and not n.args]
        return Traced(gm, "torch.fx", placeholders), shapes
    tell(f"tracing {name} with torch.export, which torch.fx cannot")
    try:
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            program = torch.export.export(model, tuple(inputs), strict=False)
            gm = program.module()
    except Exception as error:
        raise CnnCalcError(
            f"neither torch.fx nor torch.export can trace {name}: torch.fx: {fx_error}; "
            f"torch.export: {type(error).__name__}: {' '.join(str(error).split())[:200]}"
        ) from None
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    return Traced(gm, "torch.export", placeholders), dict(zip(names, shapes.values(), strict=True))


def shape_of(node: Any) -> tuple[int, ...]:
    """The tensor shape a node produces (torch's order), or () for numbers and tuples."""
    meta = node.meta.get("tensor_meta")
    if meta is not None and hasattr(meta, "shape"):
        return tuple(int(s) for s in meta.shape)
    val = node.meta.get("val")
    if val is not None and hasattr(val, "shape") and hasattr(val, "dtype"):
        return tuple(int(s) for s in val.shape)
    return ()


def module_path(node: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The module paths a node ran inside, outermost first, and their class names."""
    stack = node.meta.get("nn_module_stack") or {}
    paths, classes = [], []
    for path, cls in stack.values():
        path = str(path)
        if path.startswith("L['self']"):
            path = path[len("L['self']") :].lstrip(".")
        if not path:
            continue
        paths.append(path)
        classes.append(cls.rpartition(".")[2] if isinstance(cls, str) else cls.__name__)
    return tuple(paths), tuple(classes)
