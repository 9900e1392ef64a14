"""PyTorch import: a user's ``nn.Module`` → cnncalc TOML, by tracing it with ``torch.fx``.

Every torch layer with a cnncalc equivalent becomes that layer; an activation right
after a layer becomes its ``activation``; ``F.pad`` before a convolution or pooling
becomes its ``[start, end]`` padding (and negative ``F.pad`` after a transposed
convolution, its crop); each ``reshape``/``view``/``flatten``, with the ``permute``s
around it, becomes one ``flatten`` or ``reshape``; a module called twice shares its weights. A layer
with parameters or a new shape that has no cnncalc equivalent is an error naming it;
one without either (an unknown activation) is left out with a warning. Imports torch.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import operator
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.interop.imported import Imported, Layer
from cnncalc.interop.imported import channels_last as _channels_last
from cnncalc.interop.torch_import_kinds import index_keys, pad_keys
from cnncalc.layers.base import ACTIVATIONS

Progress = Callable[[str], None] | None  # told what is being done, for a terminal's progress line
SHAPE_METHODS = {"permute", "reshape", "view", "flatten", "contiguous", "transpose"}


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


def channels_last(shape: tuple[int, ...]) -> list[int]:
    """A torch tensor shape (N, C, spatial…) as cnncalc writes it: spatial…, channels."""
    return _channels_last(list(shape[1:]))


def pairs_from_pad(pad: list[int], n: int) -> list[list[int]]:
    """F.pad's (last-axis-first) amounts → [start, end] per spatial axis, first axis first."""
    out = [[0, 0] for _ in range(n)]
    for i in range(len(pad) // 2):
        out[n - 1 - i] = [pad[2 * i], pad[2 * i + 1]]
    return out


def ints(v: Any, n: int) -> list[int]:
    return [int(x) for x in v] if isinstance(v, tuple | list) else [int(v)] * n


def one(v: list[Any]) -> Any:
    return v[0] if len(set(v)) == 1 else v


LEAVES = {"LayerScale"}  # modules of cnncalc's exports that are one layer each


def trace(model: Any) -> Any:
    """torch.fx's trace, keeping cnncalc's own helper modules whole."""
    import torch.fx

    class Leaves(torch.fx.Tracer):
        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            return type(m).__name__ in LEAVES or super().is_leaf_module(m, qualname)

    return torch.fx.GraphModule(model, Leaves().trace(model))


class Tracer:
    """Walks the traced graph once and writes the cnncalc layers."""

    def __init__(
        self, model: Any, name: str, shapes: dict[str, list[int]], progress: Progress = None
    ) -> None:
        import torch
        from torch.fx.passes.shape_prop import ShapeProp

        self.torch = torch
        self.model = model
        self.progress = progress or (lambda text: None)
        self.progress(f"tracing {name} with torch.fx")
        try:
            self.gm = trace(model)
        except Exception as error:
            raise CnnCalcError(
                f"torch.fx cannot trace {name}: {type(error).__name__}: {error}"
            ) from None
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) == 1 and list(shapes) == ["input"]:
            shapes = {placeholders[0].name: shapes["input"]}
        missing = [p.name for p in placeholders if p.name not in shapes]
        if missing:
            raise CnnCalcError(
                f"{name}.forward takes {', '.join(p.name for p in placeholders)}; give each a "
                f"shape, e.g. --input {missing[0]}=224x224x3",
                key="--input",
            )
        examples = []
        for p in placeholders:
            s = shapes[p.name]
            dims = s if len(s) == 1 else [s[-1], *s[:-1]]
            examples.append(torch.zeros(1, *dims))
        self.progress(f"running {name} once to find its shapes")
        try:  # ShapeProp prints the traceback of a failing node: keep it off the terminal
            with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
                ShapeProp(self.gm).propagate(*examples)
        except Exception as error:
            cause = error.__cause__ or error
            raise CnnCalcError(
                f"{name} does not run on the input "
                + ", ".join("x".join(map(str, s)) for s in shapes.values())
                + f": {type(cause).__name__}: {' '.join(str(cause).split())}",
                key="--input",
            ) from None
        single = len(placeholders) == 1
        self.net = Imported(
            name,
            {"input" if single else p.name: shapes[p.name] for p in placeholders},
            origin=f"the PyTorch module {name}",
        )
        self.ref: dict[Any, str] = {p: ("input" if single else p.name) for p in placeholders}
        self.layer_of: dict[str, Layer] = {}
        self.owner: dict[str, str] = {}  # module target → first layer that used it
        self.pad: dict[Any, list[list[int]]] = {}  # conv/pool node → padding folded into it
        self.untranslated: list[str] = []
        # a node in a run of reshapes → (the run's input, whether the run reshapes)
        self.start: dict[Any, tuple[Any, bool]] = {}

    # ----- helpers

    def shape(self, node: Any) -> tuple[int, ...]:
        meta = node.meta.get("tensor_meta")
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else ()

    def add(self, node: Any, keys: dict[str, Any], inputs: list[Any]) -> None:
        layer = Layer(node.name, keys, [self.ref[i] for i in inputs])
        self.net.layers.append(layer)
        self.layer_of[node.name] = layer
        self.ref[node] = node.name

    def alias(self, node: Any, to: Any) -> None:
        self.ref[node] = self.ref[to]

    def refuse(self, node: Any, what: str) -> None:
        self.untranslated.append(f"{node.name} ({what})")
        self.ref[node] = node.name

    def activation(self, node: Any, kind: str, source: Any) -> None:
        """Fuse into the layer that made the input when nothing else reads it."""
        target = self.layer_of.get(self.ref.get(source, ""))
        if (
            target is not None
            and len(source.users) == 1
            and "activation" not in target.keys
            and target.keys["type"] not in ACTIVATIONS
        ):
            target.keys["activation"] = kind
            self.alias(node, source)
        else:
            self.add(node, {"type": kind}, [source])

    def weights(self, node: Any, keys: dict[str, Any]) -> dict[str, Any]:
        """A module called again shares the weights of its first use."""
        owner = self.owner.setdefault(node.target, node.name)
        if owner != node.name:
            keys["share"] = owner
        return keys

    # ----- the graph

    def run(self) -> Imported:
        nodes = list(self.gm.graph.nodes)
        for n, node in enumerate(nodes, 1):
            self.progress(f"translating node {n} of {len(nodes)}: {node.name}")
            if node.op == "placeholder":
                continue
            if node.op == "output":
                outs = node.args[0]
                outs = list(outs) if isinstance(outs, tuple | list) else [outs]
                self.net.outputs = [self.ref[o] for o in outs]
                continue
            if not self.shape(node):  # x.size(0) and such: numbers, not tensors
                continue
            if node.op == "call_module":
                self.module(node, self.gm.get_submodule(node.target))
            elif node.op == "call_function":
                self.function(node)
            elif node.op == "call_method":
                self.method(node)
            else:
                self.refuse(node, f"{node.op} {node.target}")
        if self.untranslated:
            raise CnnCalcError(
                f"{self.net.name}: no cnncalc layer for " + ", ".join(self.untranslated)
            )
        if not self.net.layers:  # a model that returns its input: one identity layer
            self.net.layers.append(Layer("identity", {"type": "identity"}, self.net.outputs[:1]))
            self.net.outputs = ["identity"]
        return self.net

    def module(self, node: Any, m: Any) -> None:
        nn = self.torch.nn
        x = node.args[0] if node.args else None
        kind = type(m).__name__
        n = len(self.shape(node)) - 2
        if isinstance(m, nn.modules.conv._ConvNd):
            self.conv(node, m, x, n)
        elif isinstance(m, nn.modules.pooling._MaxPoolNd | nn.modules.pooling._AvgPoolNd):
            dil = ints(getattr(m, "dilation", 1), n)
            if any(d != 1 for d in dil):
                return self.refuse(node, f"{kind} with dilation")
            keys: dict[str, Any] = {"type": "maxpool" if "Max" in kind else "avgpool"}
            keys["kernel"] = one(ints(m.kernel_size, n))
            if ints(m.stride or m.kernel_size, n) != ints(m.kernel_size, n):
                keys["stride"] = one(ints(m.stride, n))
            padding = self.pad.get(node) or one(ints(m.padding, n))
            if padding:
                keys["padding"] = padding
            if m.ceil_mode:
                keys["ceil"] = True
            self.add(node, keys, [self.source(node)])
        elif kind.startswith("Adaptive") and "Pool" in kind:
            mode = "max" if "Max" in kind else "avg"
            out = [int(v) for v in self.shape(node)[2:]]
            if all(v == 1 for v in out):
                return self.add(node, {"type": "global_pool", "mode": mode}, [x])
            self.add(node, {"type": "adaptive_pool", "output": one(out), "mode": mode}, [x])
        elif isinstance(m, nn.Linear):
            if x is not None and channel_move(x, (1, -1)):  # on the channels at every position
                x = x.args[0]
            elif len(self.shape(x)) != 2:
                return self.refuse(node, "Linear on an axis other than the channels")
            keys = {"type": "fc", "units": m.out_features}
            if m.bias is None:
                keys["bias"] = False
            self.add(node, self.weights(node, keys), [x])
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            if not m.affine or not m.track_running_stats:
                return self.refuse(node, f"{kind} without affine weights or running statistics")
            self.add(node, self.weights(node, {"type": "batchnorm"}), [x])
        elif isinstance(m, nn.LayerNorm | nn.GroupNorm | nn.modules.instancenorm._InstanceNorm):
            self.norm(node, m, x)
        elif type(m).__name__ == "LayerScale":
            keys = {"type": "scale"} | ({"bias": True} if m.bias is not None else {})
            self.add(node, self.weights(node, keys), [x])
        elif isinstance(m, nn.PixelShuffle | nn.PixelUnshuffle):
            factor = m.upscale_factor if isinstance(m, nn.PixelShuffle) else m.downscale_factor
            kind = "pixel_shuffle" if isinstance(m, nn.PixelShuffle) else "pixel_unshuffle"
            self.add(node, {"type": kind, "factor": factor}, [x])
        elif isinstance(m, nn.ChannelShuffle):
            self.add(node, {"type": "channel_shuffle", "groups": m.groups}, [x])
        elif isinstance(m, nn.Flatten):
            self.reshape(node, x)
        elif isinstance(m, nn.Upsample):
            self.upsample(node, x, m)
        elif isinstance(m, nn.Identity):
            self.alias(node, x)
        else:
            self.other(node, kind, m, x)

    def other(self, node: Any, kind: str, m: Any, x: Any) -> None:
        nn = self.torch.nn
        acts = {
            nn.ReLU: "relu",
            nn.LeakyReLU: "leaky_relu",
            nn.ELU: "elu",
            nn.GELU: "gelu",
            nn.Sigmoid: "sigmoid",
            nn.Tanh: "tanh",
            nn.SiLU: "silu",
            nn.Hardswish: "hardswish",
            nn.Hardsigmoid: "hardsigmoid",
            nn.ReLU6: "relu6",
            nn.Mish: "mish",
            nn.Softplus: "softplus",
            nn.SELU: "selu",
        }
        if isinstance(m, nn.PReLU):
            if m.num_parameters == 1:
                return self.activation(node, "prelu", x)
            return self.add(node, self.weights(node, {"type": "prelu", "per_channel": True}), [x])
        for cls, name in acts.items():
            if type(m) is cls:
                return self.activation(node, name, x)
        if isinstance(m, nn.Softmax) and m.dim == 1:
            return self.activation(node, "softmax", x)
        if isinstance(m, nn.modules.dropout._DropoutNd):
            return self.add(node, {"type": "dropout"}, [x])
        if isinstance(m, nn.LocalResponseNorm):
            return self.add(node, {"type": "lrn"}, [x])
        self.unknown(node, kind, x, sum(p.numel() for p in m.parameters()))

    def on_channels(self, node: Any) -> bool:
        """A LayerNorm or Linear, which cnncalc applies to the channels between movedims."""
        if node.op != "call_module":
            return False
        m = self.gm.get_submodule(node.target)
        return isinstance(m, self.torch.nn.LayerNorm | self.torch.nn.Linear)

    def norm(self, node: Any, m: Any, x: Any) -> None:
        nn = self.torch.nn
        keys: dict[str, Any]
        if isinstance(m, nn.GroupNorm):
            keys = {"type": "groupnorm", "groups": m.num_groups}
            if not m.affine:
                keys["affine"] = False
        elif isinstance(m, nn.LayerNorm):
            keys = {"type": "layernorm"}
            source = x.args[0] if channel_move(x, (1, -1)) else x
            if tuple(m.normalized_shape) == self.shape(source)[1:] and len(self.shape(source)) > 2:
                keys["over"] = "all"
            elif (
                len(m.normalized_shape) != 1
                or self.shape(x)[-1:] != tuple(m.normalized_shape)
                or (source is x and len(self.shape(x)) > 2)  # the last axis is not the channels
            ):
                return self.refuse(node, "LayerNorm over axes other than the channels, or all")
            if not m.elementwise_affine:
                keys["affine"] = False
            x = source
        else:
            keys = {"type": "instancenorm"}
            if m.affine:
                keys["affine"] = True
            if m.track_running_stats:
                keys["track_running_stats"] = True
        self.add(node, self.weights(node, keys), [x])

    def unknown(self, node: Any, kind: str, x: Any, params: int) -> None:
        if x is not None and params == 0 and self.shape(node) == self.shape(x):
            self.net.warnings.append(
                f"left out {node.name} ({kind}): no cnncalc layer type, "
                "and it has no parameters and keeps the shape"
            )
            self.alias(node, x)
        else:
            self.refuse(node, kind)

    def conv(self, node: Any, m: Any, x: Any, n: int) -> None:
        transposed = bool(m.transposed)
        if m.padding_mode != "zeros":
            self.net.warnings.append(
                f"{node.name}: padding_mode '{m.padding_mode}' counts as zero padding"
            )
        keys: dict[str, Any] = {"type": "conv_transpose" if transposed else "conv"}
        keys["filters"] = m.out_channels
        keys["kernel"] = one(ints(m.kernel_size, n))
        if any(s != 1 for s in ints(m.stride, n)):
            keys["stride"] = one(ints(m.stride, n))
        if isinstance(m.padding, str):
            if m.padding == "same":  # torch puts the odd pixel at the end
                pairs = zip(ints(m.dilation, n), ints(m.kernel_size, n), strict=True)
                totals = [d * (k - 1) for d, k in pairs]
                keys["padding"] = [[t // 2, t - t // 2] for t in totals]
            else:
                keys["padding"] = "valid"
        elif node in self.pad:
            keys["padding"] = self.pad[node]
        elif any(ints(m.padding, n)):
            keys["padding"] = one(ints(m.padding, n))
        if transposed and any(ints(m.output_padding, n)):
            keys["output_padding"] = one(ints(m.output_padding, n))
        if any(d != 1 for d in ints(m.dilation, n)):
            keys["dilation"] = one(ints(m.dilation, n))
        if m.groups != 1:
            keys["groups"] = m.groups
        if m.bias is None:
            keys["bias"] = False
        self.add(node, self.weights(node, keys), [self.source(node)])

    def source(self, node: Any) -> Any:
        """The input of a conv or pool, looking through an F.pad folded into it."""
        x = node.args[0]
        return x.args[0] if node in self.pad else x

    def upsample(self, node: Any, x: Any, m: Any) -> None:
        modes = {"linear": "linear", "bilinear": "bilinear", "trilinear": "trilinear"}
        modes |= {"nearest": "nearest", "bicubic": "bicubic"}
        if m.mode not in modes:
            return self.refuse(node, f"{m.mode} up-sampling")
        keys: dict[str, Any] = {"type": "upsample"}
        if m.size is not None:
            keys["size"] = one([int(v) for v in self.shape(node)[2:]])
        else:
            n = len(self.shape(node)) - 2
            factors = m.scale_factor if isinstance(m.scale_factor, tuple) else (m.scale_factor,) * n
            keys["scale"] = one([int(f) if float(f).is_integer() else float(f) for f in factors])
        if m.mode != "nearest":
            keys["mode"] = modes[m.mode]
            if m.align_corners:
                keys["align_corners"] = True
        self.add(node, keys, [x])

    # ----- functions and methods

    def function(self, node: Any) -> None:
        torch, F = self.torch, self.torch.nn.functional
        fn = node.target
        args = node.args
        acts = {
            torch.relu: "relu",
            F.relu: "relu",
            F.leaky_relu: "leaky_relu",
            F.elu: "elu",
            F.gelu: "gelu",
            torch.sigmoid: "sigmoid",
            F.sigmoid: "sigmoid",
            torch.tanh: "tanh",
            F.tanh: "tanh",
            F.silu: "silu",
            F.hardswish: "hardswish",
            F.hardsigmoid: "hardsigmoid",
            F.relu6: "relu6",
            F.mish: "mish",
            F.softplus: "softplus",
            F.selu: "selu",
        }
        if fn in acts:
            return self.activation(node, acts[fn], args[0])
        if fn in (torch.softmax, F.softmax):
            dim = node.kwargs.get("dim", args[1] if len(args) > 1 else None)
            if dim == 1:
                return self.activation(node, "softmax", args[0])
            return self.refuse(node, "softmax over an axis other than the channels")
        if fn in (operator.add, torch.add) and all(hasattr(a, "op") for a in args[:2]):
            return self.add(node, {"type": "add"}, list(args[:2]))
        if fn in (operator.mul, torch.mul) and all(hasattr(a, "op") for a in args[:2]):
            return self.add(node, {"type": "multiply"}, list(args[:2]))
        if fn is operator.getitem and new_axes_only(args[1]):
            return self.alias(node, args[0])  # x[..., None, None]: cnncalc broadcasts [C] so
        if fn is operator.getitem and hasattr(args[0], "op"):
            keys = index_keys(args[1], self.shape(args[0]))
            if keys is not None:
                return self.add(node, keys, [args[0]])
        if fn is torch.cat:
            dim = node.kwargs.get("dim", args[1] if len(args) > 1 else 0)
            if dim != 1:
                return self.refuse(node, "torch.cat along an axis other than the channels")
            return self.add(node, {"type": "concat"}, list(args[0]))
        if fn is torch.flatten:
            return self.reshape(node, args[0])
        if fn is F.pad:
            return self.fold_pad(node)
        x = args[0] if args and hasattr(args[0], "op") else None
        self.unknown(node, getattr(fn, "__name__", str(fn)), x, 0)

    def method(self, node: Any) -> None:
        name = node.target
        x = node.args[0]
        acts = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh"}
        if name in acts:
            return self.activation(node, acts[name], x)
        if channel_move(node, (1, -1)) or channel_move(node, (-1, 1)):
            users = list(node.users)
            if self.on_channels(x) or (len(users) == 1 and self.on_channels(users[0])):
                # channels last around a LayerNorm or Linear: cnncalc's layer on the channels
                return self.alias(node, x)
        if name in SHAPE_METHODS:
            return self.reshape(node, x)
        if name in ("add", "mul") and len(node.args) > 1 and hasattr(node.args[1], "op"):
            kind = "add" if name == "add" else "multiply"
            return self.add(node, {"type": kind}, [x, node.args[1]])
        self.unknown(node, f".{name}()", x, 0)

    def fold_pad(self, node: Any) -> None:
        """F.pad before a conv or pool is its padding; negative F.pad after a transposed conv
        is its crop (cnncalc's padding of a transposed convolution)."""
        x = node.args[0]
        pad = list(node.args[1] if len(node.args) > 1 else node.kwargs["pad"])
        mode = node.kwargs.get("mode", "constant")
        n = len(self.shape(node)) - 2
        users = list(node.users)
        if mode == "constant" and all(p >= 0 for p in pad) and len(users) == 1:
            user = users[0]
            m = self.gm.get_submodule(user.target) if user.op == "call_module" else None
            nn = self.torch.nn
            windows = (
                nn.modules.conv._ConvNd,
                nn.modules.pooling._MaxPoolNd,
                nn.modules.pooling._AvgPoolNd,
            )
            if (
                isinstance(m, windows)
                and not any(ints(getattr(m, "padding", 0), n))
                and not getattr(m, "transposed", False)
            ):
                self.pad[user] = pairs_from_pad(pad, n)
                self.alias(node, x)
                return
        if mode == "constant" and all(p <= 0 for p in pad) and x.op == "call_module":
            m = self.gm.get_submodule(x.target)
            layer = self.layer_of.get(self.ref.get(x, ""))
            if getattr(m, "transposed", False) and layer is not None and len(x.users) == 1:
                if not any(ints(m.padding, n)):
                    crop = pairs_from_pad([-p for p in pad], n)
                    layer.keys["padding"] = crop
                    self.alias(node, x)
                    return
        keys = pad_keys(pad, mode, n)
        if keys is None:
            return self.refuse(node, f"F.pad with mode {mode!r} or a negative amount")
        self.add(node, keys, [x])

    def reshapes(self, node: Any) -> bool:
        """reshape, view and flatten change the shape; permute and contiguous only reorder."""
        return node.op != "call_method" or node.target in ("reshape", "view", "flatten")

    def reshape(self, node: Any, x: Any) -> None:
        """A reshape with the permutes around it is one cnncalc flatten or reshape."""
        users = list(node.users)
        flatten = self.torch.nn.Flatten
        is_shape = [
            u.op == "call_method"
            and u.target in SHAPE_METHODS
            or u.op == "call_function"
            and u.target is self.torch.flatten
            or u.op == "call_module"
            and isinstance(self.gm.get_submodule(u.target), flatten)
            for u in users
        ]
        first, real = self.start.get(node, (x, False))
        real = real or self.reshapes(node)
        if len(users) == 1 and is_shape[0] and not (real and self.reshapes(users[0])):
            # permutes around one reshape are cnncalc's channels-last order: one layer
            self.alias(node, x)  # the run goes on
            self.start[users[0]] = (first, real)
            return
        before, after = channels_last(self.shape(first)), channels_last(self.shape(node))
        if before == after and not real:
            return self.alias(node, first)
        if len(after) == 1 and len(before) > 1:
            return self.add(node, {"type": "flatten"}, [first])
        self.add(node, {"type": "reshape", "shape": after}, [first])


def channel_move(node: Any, dims: tuple[int, int]) -> bool:
    """``x.movedim(1, -1)`` (channels last) or ``x.movedim(-1, 1)`` (back)."""
    return node.op == "call_method" and node.target == "movedim" and tuple(node.args[1:]) == dims


def new_axes_only(index: Any) -> bool:
    """An index that only adds size-1 axes after the existing ones: ``[..., None, None]``."""
    items = index if isinstance(index, tuple) else (index,)
    return bool(items) and items[0] is Ellipsis and all(i is None for i in items[1:])


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
    model.eval()
    return Tracer(model, name, shapes, progress).run()
