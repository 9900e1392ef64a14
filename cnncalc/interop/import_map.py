"""Walking a traced graph once and writing cnncalc layers: the state every mapping shares.

Each tensor node ends as a cnncalc layer, as another node's output (an alias: a view, an
activation fused into its layer, a padding folded into its convolution) or as an error that
names it. A tensor's *layout* says which of torch's axes holds which logical axis (batch,
channels, then spatial), so a ``permute`` is no layer of its own: the layers around it read
their axes through it (ConvNeXt's channels-last ``Linear`` and ``LayerNorm``).
"""

from __future__ import annotations

from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.interop import imported
from cnncalc.interop.import_net import Imported
from cnncalc.interop.import_toml import Layer
from cnncalc.interop.import_trace import Traced, module_path, shape_of
from cnncalc.layers import ACTIVATIONS, REGISTRY

Perm = tuple[int, ...]


def identity(rank: int) -> Perm:
    return tuple(range(rank))


def channels_last_perm(rank: int) -> Perm:
    return (0, *range(2, rank), 1) if rank > 2 else identity(rank)


def channels_last(shape: tuple[int, ...]) -> list[int]:
    """A torch tensor shape (N, C, spatial…) as cnncalc writes it: spatial…, channels."""
    return imported.channels_last(list(shape[1:]))


class Mapper:
    """The shared state of one import; ``import_modules`` and ``import_calls`` fill it."""

    def __init__(self, model: Any, traced: Traced, net: Imported) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.gm = traced.gm
        self.how = traced.how
        self.net = net
        single = len(traced.placeholders) == 1
        self.ref: dict[Any, str] = {}
        for p, name in zip(traced.placeholders, net.inputs, strict=True):
            self.ref[p] = "input" if single else name
        self.perm: dict[Any, Perm] = {}
        self.layer_of: dict[str, Layer] = {}
        self.owner: dict[str, str] = {}  # module or weight → the first layer that used it
        self.pad: dict[Any, list[list[int]]] = {}  # conv/pool node → padding folded into it
        self.untranslated: list[str] = []
        self.left_out: dict[str, list[str]] = {}  # what was left out → the nodes
        self.used: set[str] = set()  # qualified names of the parameters layers counted
        self.names: set[str] = set()
        self.derived: dict[Any, list[Any]] = {}  # a weight computed in forward → its sources
        self.special: dict[Any, Any] = {}  # nodes with a meaning of their own (tuples, groups)

    # ----- reading nodes

    def shape(self, node: Any) -> tuple[int, ...]:
        return shape_of(node) if hasattr(node, "meta") else ()

    def layout(self, node: Any) -> Perm:
        return self.perm.get(node, identity(len(self.shape(node))))

    def logical(self, node: Any) -> tuple[int, ...]:
        """The node's shape in logical order (batch, channels, spatial…)."""
        shape, perm = self.shape(node), self.layout(node)
        out = [0] * len(shape)
        for i, p in enumerate(perm):
            out[p] = shape[i]
        return tuple(out)

    def cnncalc_shape(self, node: Any) -> list[int]:
        return channels_last(self.logical(node))

    def where(self, node: Any) -> str:
        """The module path a node ran in, for messages."""
        paths, _ = module_path(node)
        if node.op == "call_module":
            return str(node.target)
        return paths[-1] if paths else "the top-level forward"

    def is_param(self, node: Any) -> bool:
        """A weight read in forward: a get_attr, or computed from weights alone
        (``gamma.reshape(…)``, a standardised weight)."""
        return hasattr(node, "op") and (node.op == "get_attr" or node in self.derived)

    def sources(self, node: Any) -> list[Any]:
        """The get_attr nodes a weight node is computed from, the largest first."""
        found = self.derived.get(node, [node])
        return sorted(found, key=lambda s: -self.tensor_of(s).numel())

    def target(self, node: Any) -> str:
        """The qualified name of the (main) parameter a weight node reads."""
        return str(self.sources(node)[0].target)

    def tensor(self, node: Any) -> Any:
        """The (main) parameter or buffer a weight node reads."""
        return self.tensor_of(self.sources(node)[0])

    def tensor_of(self, attr: Any) -> Any:
        obj: Any = self.gm
        for part in str(attr.target).split("."):
            obj = getattr(obj, part)
        return obj

    # ----- writing layers

    def kind(self, node: Any, kind: str, what: str) -> bool:
        """Whether cnncalc has the layer kind; if not, the node is refused naming it."""
        if kind in REGISTRY:
            return True
        self.refuse(node, f"{what}: needs cnncalc's '{kind}' layer kind, which it lacks")
        return False

    def layer_name(self, node: Any, op: str) -> str:
        """After the module path: the module itself, or ``<path>_<op>`` inside it."""
        if node.op == "call_module":
            base = node.name
        else:
            paths, _ = module_path(node)
            base = f"{paths[-1].replace('.', '_')}_{op}" if paths else op
            if paths and self.how == "torch.export" and self.leaf_path(paths[-1]):
                base = paths[-1].replace(".", "_")
        base = base.lstrip("_") or op
        name, k = base, 1
        while name in self.names or name in self.net.inputs or name == "input":
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def leaf_path(self, path: str) -> bool:
        try:
            m = self.model.get_submodule(path)
        except AttributeError:
            return False
        return type(m).__module__.startswith("torch.nn") and not list(m.children())

    def add(
        self,
        node: Any,
        keys: dict[str, Any],
        inputs: list[Any],
        op: str = "",
        owner: str | None = None,
        params: tuple[str, ...] = (),
    ) -> Layer:
        """A layer for the node; ``owner`` is the module or weight it uses, whose next user
        shares it, and ``params`` the parameters it counts."""
        if owner is not None and owner in self.owner:
            keys["share"] = self.owner[owner]
        self.used.update(params)
        paths, classes = module_path(node)
        if node.op == "call_module":
            paths, classes = paths[:-1], classes[:-1]  # the module itself is the layer
        name = self.layer_name(node, op or keys["type"])
        layer = Layer(name, keys, [self.ref[i] for i in inputs], paths, classes)
        self.net.layers.append(layer)
        self.layer_of[name] = layer
        self.ref[node] = name
        if owner is not None:
            self.owner.setdefault(owner, name)
        return layer

    def alias(self, node: Any, to: Any, perm: Perm | None = None) -> None:
        self.ref[node] = self.ref[to]
        if perm is not None:
            self.perm[node] = perm
        elif to in self.perm and len(self.shape(node)) == len(self.shape(to)):
            self.perm[node] = self.perm[to]

    def refuse(self, node: Any, what: str) -> None:
        if node.op == "call_module":
            self.untranslated.append(f"{node.target} ({what})")
        else:
            self.untranslated.append(f"{node.name} in {self.where(node)} ({what})")
        self.ref[node] = node.name
        x = node.args[0] if node.args else None  # the layers after it read its axes alike,
        if hasattr(x, "op") and len(self.shape(x)) == len(self.shape(node)):  # so that only
            self.keep_layout(node, x)  # what cannot be translated is named

    def leave_out(self, node: Any, what: str, to: Any) -> None:
        """Parameter-free and shape-preserving: left out, with a warning naming it."""
        self.left_out.setdefault(what, []).append(node.name)
        self.alias(node, to)

    def activation(self, node: Any, kind: str, source: Any) -> None:
        """Fuse into the layer that made the input when nothing else reads it."""
        if not self.kind(node, kind, kind):
            return
        target = self.layer_of.get(self.ref.get(source, ""))
        if (
            target is not None
            and len(source.users) == 1
            and "activation" not in target.keys
            and target.keys["type"] not in ACTIVATIONS
            and target.keys["type"] not in ("scale", "multiply", "concat")
            and self.ref[source] == target.name
        ):
            target.keys["activation"] = kind
            self.alias(node, source)
        else:
            self.add(node, {"type": kind}, [source])
            self.keep_layout(node, source)

    def keep_layout(self, node: Any, source: Any) -> None:
        if source in self.perm:
            self.perm[node] = self.perm[source]

    def weight_view(self, node: Any) -> bool:
        """A node computed from weights alone (no input flows in) is still a weight."""
        operands: list[Any] = []
        for a in [*node.args, *node.kwargs.values()]:
            items = a if isinstance(a, list | tuple) else [a]
            operands += [i for i in items if hasattr(i, "op")]
        # sizes read off the input (``cls.expand(x.shape[0], -1, -1)``) are no data
        operands = [a for a in operands if self.is_param(a) or self.shape(a)]
        if not operands or not all(self.is_param(a) for a in operands):
            return False
        found = [s for a in operands for s in self.derived.get(a, [a])]
        self.derived[node] = list(dict.fromkeys(found))
        return True

    def outputs(self, result: Any) -> None:
        if isinstance(result, dict):
            outs = list(result.values())
        elif isinstance(result, tuple | list):
            outs = list(result)
        else:
            outs = [result]
        refs = []
        for o in outs:
            if isinstance(o, tuple | list | dict):
                self.outputs(o)
                refs += self.net.outputs
            elif hasattr(o, "op") and o in self.ref:
                refs.append(self.ref[o])
        self.net.outputs = list(dict.fromkeys(refs))

    def finish(self) -> Imported:
        if not self.net.layers and self.net.outputs:  # the model returns its input
            self.net.layers.append(Layer("identity", {"type": "identity"}, self.net.outputs[:1]))
            self.net.outputs = ["identity"]
        if self.untranslated:
            shown = self.untranslated[:6]
            more = len(self.untranslated) - len(shown)
            raise CnnCalcError(
                f"{self.net.name}: no cnncalc layer for "
                + "; ".join(shown)
                + (f"; and {more} more" if more > 0 else "")
            )
        for what, nodes in self.left_out.items():
            listed = ", ".join(nodes[:4]) + (
                f" and {len(nodes) - 4} more" if len(nodes) > 4 else ""
            )
            self.net.warnings.append(
                f"left out {what} ({listed}): no cnncalc layer type, "
                "and it has no parameters and keeps the shape"
            )
        unused: dict[str, int] = {}
        for name, p in self.model.named_parameters():
            if name not in self.used and p.requires_grad:
                owner = name.rpartition(".")[0] or name
                unused[owner.split(".")[0]] = unused.get(owner.split(".")[0], 0) + p.numel()
        for owner, count in unused.items():
            self.net.warnings.append(
                f"{owner}: {count:,} parameters that the forward pass never uses are not counted"
            )
        return self.net
