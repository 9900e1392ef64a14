"""PyTorch export: analysed networks → the source of a self-contained ``torch.nn.Module`` file.

The generated code needs only torch. Tensors are NCHW inside (batch, channels,
spatial axes); cnncalc's shapes are spatial-first and channels-last, so
``flatten`` and ``reshape`` permute to that order first, to keep cnncalc's
element order. Padding is always the padding cnncalc computed: the layer's own
``padding`` argument when it is the same on both sides, an explicit ``F.pad``
otherwise. This module never imports torch.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .arith import is_int
from .engine import Analysis, LayerResult
from .errors import CnnCalcError
from .layers import ACTIVATIONS

# Attributes of torch.nn.Module (torch 2.x) a layer may not be named after; checked
# against dir(nn.Module) in the tests.
MODULE_ATTRIBUTES = frozenset(
    """T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
    cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train
    training type xpu zero_grad""".split()
)
# Names the generated code itself uses inside a class.
RESERVED = frozenset({"self", "torch", "nn", "F", "Tensor", "super"})

ACTIVATION_CODE = {
    "relu": "torch.relu({})",
    "leaky_relu": "F.leaky_relu({})",
    "elu": "F.elu({})",
    "gelu": "F.gelu({})",
    "sigmoid": "torch.sigmoid({})",
    "tanh": "torch.tanh({})",
    "softmax": "torch.softmax({}, dim=1)",
}
# The same activations as modules, for ``activation_modules``: tools that count by module
# (torchinfo, ptflops, thop) see them only this way.
ACTIVATION_MODULES = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU()",
    "elu": "nn.ELU()",
    "gelu": "nn.GELU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim=1)",
}
assert set(ACTIVATION_CODE) == set(ACTIVATIONS) == set(ACTIVATION_MODULES)


# --------------------------------------------------------------------------- names


def identifier(text: str) -> str:
    """A Python identifier as close to ``text`` as possible: other characters become ``_``."""
    out = re.sub(r"\W", "_", text, flags=re.ASCII)
    if not out or out[0].isdigit():
        out = "_" + out
    return out


class Names:
    """Allocates unique, valid identifiers in one scope, remembering what they stand for."""

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self.reserved = reserved
        self.taken: set[str] = set(reserved)

    def claim(self, wanted: str) -> str:
        """``class`` → ``class_``, ``conv-1`` → ``conv_1``, a second ``conv_1`` → ``conv_1_2``."""
        base = identifier(wanted)
        if (
            keyword.iskeyword(base)
            or keyword.issoftkeyword(base)
            or base in MODULE_ATTRIBUTES
            or base in self.reserved
        ):
            base += "_"
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name


def class_name(text: str) -> str:
    """``mobilenet_v2`` → ``MobilenetV2``: CapWords, as PEP 8 names classes."""
    parts = [p for p in re.split(r"[\W_]+", text, flags=re.ASCII) if p]
    name = "".join(p[0].upper() + p[1:] for p in parts) or "Network"
    return identifier(name)


# --------------------------------------------------------------------------- values


def collapse(values: Sequence[int]) -> int | tuple[int, ...]:
    """One value for every axis when they agree, as torch accepts: 3 rather than (3, 3)."""
    return values[0] if len(set(values)) == 1 else tuple(values)


def literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def dims(shape: Sequence[Any]) -> str:
    return "x".join(str(s) for s in shape)


def pad_arg(pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """F.pad's order: the last axis first, (start, end) for each."""
    return tuple(v for pair in reversed(pairs) for v in pair)


def pad_text(pairs: Sequence[tuple[int, int]]) -> str:
    """cnncalc's padding, start+end per axis in cnncalc's axis order (F.pad's is reversed)."""
    return ", ".join(f"{p0}+{p1}" for p0, p1 in pairs)


def channels_last(rank: int) -> str:
    """``permute`` arguments from NC… (torch) to N…C (cnncalc) for a tensor of ``rank`` axes."""
    return ", ".join(str(i) for i in (0, *range(2, rank), 1))


def channels_first(rank: int) -> str:
    return ", ".join(str(i) for i in (0, rank - 1, *range(1, rank - 1)))


# --------------------------------------------------------------------------- plans


def torch_pool_count(size: int, kernel: int, stride: int, pad: int, ceil: bool) -> int:
    """Output size of a torch pooling layer with symmetric ``pad`` (ATen's formula)."""
    out = (size + 2 * pad - kernel + (stride - 1 if ceil else 0)) // stride + 1
    if ceil and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@dataclass(frozen=True)
class PoolPlan:
    """How a pooling layer becomes torch: its own padding, or F.pad then no padding."""

    native: bool
    padding: tuple[int, ...]  # native: per axis; else F.pad's (start, end) pairs, flattened
    ceil: bool
    trimmed: bool = False  # an end padding was changed so torch reads the same windows


def pool_plan(r: LayerResult, avg3d: bool = False) -> PoolPlan:
    """torch's own padding when it is symmetric and torch reads the same windows, else F.pad.

    ``avg3d``: torch's 3-D average pooling also needs an input at least as large as
    the kernel, padding aside.
    """
    w = r.effect.window
    assert w is not None
    ceil = bool(getattr(r.node.layer, "ceil", False))
    if all(
        a.pad_start == a.pad_end
        and 2 * a.pad_start <= a.kernel
        and torch_pool_count(a.size, a.kernel, a.stride, a.pad_start, ceil) == a.out
        and not (avg3d and a.size < a.kernel)
        for a in w
    ):
        return PoolPlan(True, tuple(a.pad_start for a in w), ceil)
    padded = [a.size + a.pad_start + a.pad_end for a in w]
    if all(
        torch_pool_count(p, a.kernel, a.stride, 0, ceil) == a.out and not (avg3d and p < a.kernel)
        for p, a in zip(padded, w, strict=True)
    ):
        return PoolPlan(False, tuple(v for a in w for v in (a.pad_start, a.pad_end)), ceil)
    # A window would start in the end padding: torch would keep it, cnncalc (like torch's own
    # padding) drops it. Pad the end so that exactly cnncalc's windows fit, without ceil.
    pairs = []
    for a in w:
        end = a.pad_end
        if torch_pool_count(a.size + a.pad_start + end, a.kernel, a.stride, 0, False) != a.out:
            end = (a.out - 1) * a.stride + a.kernel - a.size - a.pad_start
        pairs += [a.pad_start, end]
    return PoolPlan(False, tuple(pairs), False, trimmed=True)


# --------------------------------------------------------------------------- code


@dataclass
class ClassCode:
    """One generated class: its constructor lines and its forward lines."""

    name: str
    doc: list[str]
    signature: str
    returns: str
    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"class {self.name}(nn.Module):"]
        lines.append('    """' + self.doc[0] + ("" if len(self.doc) > 1 else '"""'))
        if len(self.doc) > 1:
            lines += [("    " + d).rstrip() for d in self.doc[1:]] + ['    """']
        lines += ["", "    def __init__(self) -> None:", "        super().__init__()"]
        lines += ["        " + line for line in self.init]
        lines += ["", f"    def forward({self.signature}) -> {self.returns}:"]
        lines += ["        " + line for line in self.forward]
        return "\n".join(lines) + "\n"


@dataclass
class NetworkInfo:
    """Where each cnncalc layer lives in the generated module, for tests and tools."""

    class_name: str
    inputs: dict[str, str]  # network input name → forward argument
    modules: dict[str, str] = field(default_factory=dict)  # layer → module attribute path
    activations: dict[str, str] = field(default_factory=dict)  # layer → its activation module
    variables: dict[str, str] = field(default_factory=dict)  # layer → forward local variable


@dataclass
class Export:
    code: str
    networks: dict[str, NetworkInfo]


def unsupported(r: LayerResult, why: str) -> CnnCalcError:
    return CnnCalcError(f"cannot export to PyTorch: {why}", layer=r.name, line=r.node.line)


class NetworkWriter:
    """Writes one network's class: one attribute per layer with weights, one line per layer."""

    def __init__(
        self, a: Analysis, names: Names, linear: bool = False, activation_modules: bool = False
    ) -> None:
        self.a = a
        self.linear = linear
        self.activation_modules = activation_modules
        net = a.network
        self.code = ClassCode(names.claim(class_name(net.name)), [], "", "")
        self.scope = Names(RESERVED)
        args = {}
        for name in net.inputs:
            args[name] = self.scope.claim("x" if name == "input" and len(net.inputs) == 1 else name)
        self.info = NetworkInfo(self.code.name, args)
        self.var: dict[str, str] = dict(args)
        self.attr: dict[str, str] = {}

    # ----- helpers

    def emit(self, line: str, shape: Sequence[Any] | None = None) -> None:
        self.code.forward.append(line + (f"  # {dims(shape)}" if shape is not None else ""))

    def module(self, r: LayerResult, constructor: str) -> str:
        """The expression that calls this layer's module, creating it unless shared."""
        if r.shared_from is not None:
            attr = self.var[r.shared_from]
            self.info.modules[r.name] = attr
            return f"self.{attr}"
        attr = self.var[r.name]
        self.code.init.append(f"self.{attr} = {constructor}")
        self.info.modules[r.name] = attr
        return f"self.{attr}"

    def finish(self, r: LayerResult, expr: str) -> None:
        act = r.node.activation
        if act and not self.linear and self.activation_modules:
            attr = self.scope.claim(f"{self.var[r.name]}_{act}")
            self.code.init.append(f"self.{attr} = {ACTIVATION_MODULES[act]}")
            self.info.activations[r.name] = attr
            expr = f"self.{attr}({expr})"
        elif act and not self.linear:
            expr = ACTIVATION_CODE[act].format(expr)
        self.emit(f"{self.var[r.name]} = {expr}", r.shape)

    def channels(self, r: LayerResult, out: int) -> list[str]:
        """Input and output channels of a conv; one of each in the linearised copy."""
        return ["1", "1"] if self.linear else [str(r.input_shapes[0][-1]), str(out)]

    def everything(self, x: str, target: Sequence[Any]) -> str:
        """Linearised copy: a value that depends on the whole input, in the target's shape."""
        expr = f"{x}.flatten(1).sum(1, keepdim=True)"
        if len(target) > 1:
            expr += f".reshape(-1, 1{', 1' * (len(target) - 1)})"
            expr += f".expand(-1, -1, {', '.join(str(s) for s in target[:-1])})"
        return expr

    # ----- the class

    def write(self) -> ClassCode:
        a, net = self.a, self.a.network
        symbols = sorted({str(s) for shape in net.inputs.values() for s in shape if not is_int(s)})
        if symbols:
            raise CnnCalcError(
                "cannot export to PyTorch with symbolic sizes ("
                + ", ".join(symbols)
                + f"); give them values, e.g. --set {symbols[0]}=224",
                file=net.file,
                network=net.name,
                key="input",
            )
        for r in a.layers:
            self.var[r.name] = self.scope.claim(r.name.replace(".", "_"))
            self.info.variables[r.name] = self.var[r.name]
        for r in order(a.layers):
            try:
                self.layer(r)
            except CnnCalcError as error:
                raise error.within(file=net.file, network=net.name) from None
        outs = [self.var[name] for name in a.outputs]
        self.emit("return " + ", ".join(outs))
        self.code.signature = "self, " + ", ".join(
            f"{v}: Tensor" for v in self.info.inputs.values()
        )
        self.code.returns = (
            "Tensor" if len(outs) == 1 else f"tuple[{', '.join(['Tensor'] * len(outs))}]"
        )
        totals = a.totals
        ins = ", ".join(
            f"{arg} of shape {torch_shape(net.inputs[name])}"
            for name, arg in self.info.inputs.items()
        )
        self.code.doc = [
            f"{net.name}: {', '.join(dims(s) for s in net.inputs.values())} → "
            f"{', '.join(dims(s) for s in a.outputs.values())}, "
            f"{totals.params:,} parameters, {totals.macs:,} MACs.",
            "",
            f"Call it with {ins}.",
        ]
        return self.code

    def layer(self, r: LayerResult) -> None:
        kind = r.node.layer.kind
        x = [self.var[n] for n in r.inputs]
        getattr(self, "layer_" + kind, self.layer_elementwise)(r, x)

    # ----- one method per layer kind

    def layer_conv(self, r: LayerResult, x: list[str]) -> None:
        layer: Any = r.node.layer
        w = r.effect.window
        assert w is not None
        n = len(w)
        pads = [(a.pad_start, a.pad_end) for a in w]
        symmetric = all(p0 == p1 for p0, p1 in pads)
        args = [
            *self.channels(r, layer.filters),
            f"kernel_size={literal(collapse([a.kernel for a in w]))}",
        ]
        options = {
            "stride": collapse([a.stride for a in w]),
            "padding": collapse([p0 for p0, _ in pads]) if symmetric else 0,
            "dilation": collapse([dilation_of(a) for a in w]),
            "groups": 1 if self.linear else layer.groups,
        }
        args += keywords(options)
        if not layer.bias or self.linear:
            args.append("bias=False")
        call = self.module(r, f"nn.Conv{n}d({', '.join(args)})")
        inp = x[0]
        if not symmetric:
            self.emit(
                f"{self.var[r.name]} = F.pad({inp}, {literal(pad_arg(pads))})"
                f"  # padding {pad_text(pads)}"
            )
            inp = self.var[r.name]
        self.finish(r, f"{call}({inp})")

    def layer_conv_transpose(self, r: LayerResult, x: list[str]) -> None:
        layer: Any = r.node.layer
        w = r.effect.window
        assert w is not None
        n = len(w)
        dil = layer.dilation * n if len(layer.dilation) == 1 else layer.dilation
        natural = [(a.size - 1) * a.stride + a.eff for a in w]  # torch, no padding
        symmetric = all(a.pad_start == a.pad_end for a in w)
        extra = [
            a.out - (full - a.pad_start - a.pad_end)
            if symmetric
            else max(0, a.pad_start + a.out - full)
            for a, full in zip(w, natural, strict=True)
        ]
        if any(e >= max(a.stride, d) for e, a, d in zip(extra, w, dil, strict=True)):
            raise unsupported(r, "the output padding it needs exceeds what torch allows")
        args = [
            *self.channels(r, layer.filters),
            f"kernel_size={literal(collapse([a.kernel for a in w]))}",
        ]
        options = {
            "stride": collapse([a.stride for a in w]),
            "padding": collapse([a.pad_start for a in w]) if symmetric else 0,
            "output_padding": collapse(extra),
            "groups": 1 if self.linear else layer.groups,
            "dilation": collapse(list(dil)),
        }
        args += keywords(options)
        if not layer.bias or self.linear:
            args.append("bias=False")
        call = self.module(r, f"nn.ConvTranspose{n}d({', '.join(args)})")
        if symmetric:
            self.finish(r, f"{call}({x[0]})")
            return
        v = self.var[r.name]
        self.emit(f"{v} = {call}({x[0]})")
        crop = ", ".join(f"{a.pad_start}:{a.pad_start + a.out}" for a in w)
        self.finish(r, f"{v}[:, :, {crop}]")

    def layer_pool(self, r: LayerResult, x: list[str]) -> None:
        layer: Any = r.node.layer
        w = r.effect.window
        assert w is not None
        n = len(w)
        cls = "MaxPool" if layer.mode == "max" and not self.linear else "AvgPool"
        plan = pool_plan(r, avg3d=cls == "AvgPool" and n == 3)
        args = [literal(collapse([a.kernel for a in w]))]
        stride = collapse([a.stride for a in w])
        if stride != collapse([a.kernel for a in w]):
            args.append(f"stride={literal(stride)}")
        if plan.native and any(plan.padding):
            args.append(f"padding={literal(collapse(list(plan.padding)))}")
        if plan.ceil:
            args.append("ceil_mode=True")
        call = self.module(r, f"nn.{cls}{n}d({', '.join(args)})")
        inp = x[0]
        if not plan.native:
            v = self.var[r.name]
            pairs = list(zip(plan.padding[::2], plan.padding[1::2], strict=True))
            value = ", value=-torch.inf" if cls == "MaxPool" else ""
            note = " (end fitted to cnncalc's windows)" if plan.trimmed else ""
            shown = [(a.pad_start, a.pad_end) for a in w]
            self.emit(
                f"{v} = F.pad({inp}, {literal(pad_arg(pairs))}{value})"
                f"  # padding {pad_text(shown)}{note}"
            )
            inp = v
        self.finish(r, f"{call}({inp})")

    def layer_global_pool(self, r: LayerResult, x: list[str]) -> None:
        layer: Any = r.node.layer
        n = len(r.shape) - 1
        cls = "AdaptiveMaxPool" if layer.mode == "max" and not self.linear else "AdaptiveAvgPool"
        self.finish(r, f"{self.module(r, f'nn.{cls}{n}d(1)')}({x[0]})")

    def layer_flatten(self, r: LayerResult, x: list[str]) -> None:
        shape = r.input_shapes[0]
        if self.linear:
            self.finish(r, self.everything(x[0], r.shape))
        elif len(shape) == 1:
            self.finish(r, x[0])
        elif all(s == 1 for s in shape[:-1]):
            self.finish(r, f"torch.flatten({x[0]}, 1)")
        else:  # cnncalc flattens spatial-first, channels-last
            self.finish(r, f"torch.flatten({x[0]}.permute({channels_last(len(shape) + 1)}), 1)")

    def layer_reshape(self, r: LayerResult, x: list[str]) -> None:
        shape, target = r.input_shapes[0], r.shape
        if self.linear:
            n = len(shape) - 1
            if n and len(target) - 1 >= n and tuple(target[:n]) == tuple(shape[:-1]):
                # channels split into new axes: every new position copies its cell
                new = len(target) - 1 - n
                view = (
                    f"{x[0]}.reshape(-1, 1, {', '.join(str(s) for s in shape[:-1])}{', 1' * new})"
                )
                self.finish(r, f"{view}.expand(-1, -1, {', '.join(str(s) for s in target[:-1])})")
            else:
                self.finish(r, self.everything(x[0], target))
            return
        expr = x[0]
        if len(shape) > 1:
            expr += f".permute({channels_last(len(shape) + 1)})"
        expr += f".reshape(-1, {', '.join(str(s) for s in target)})"
        if len(target) > 1:
            expr += f".permute({channels_first(len(target) + 1)})"
        self.finish(r, expr)

    def layer_fc(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:
            self.finish(r, x[0])
            return
        layer: Any = r.node.layer
        bias = "" if layer.bias else ", bias=False"
        call = self.module(r, f"nn.Linear({r.input_shapes[0][0]}, {layer.units}{bias})")
        self.finish(r, f"{call}({x[0]})")

    def layer_batchnorm(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:
            self.finish(r, x[0])
            return
        n = max(len(r.shape) - 1, 1)
        self.finish(r, f"{self.module(r, f'nn.BatchNorm{n}d({r.shape[-1]})')}({x[0]})")

    def layer_dropout(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:
            self.finish(r, x[0])
            return
        self.finish(r, f"{self.module(r, 'nn.Dropout()')}({x[0]})")

    def layer_lrn(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:
            self.finish(r, x[0])
            return
        if len(r.shape) < 2:
            raise unsupported(r, "torch's local response normalisation needs spatial axes")
        self.finish(r, f"{self.module(r, 'nn.LocalResponseNorm(5, k=2.0)')}({x[0]})")

    def layer_upsample(self, r: LayerResult, x: list[str]) -> None:
        shape = r.input_shapes[0]
        scale = collapse([o // i for o, i in zip(r.shape[:-1], shape[:-1], strict=True)])
        self.finish(r, f"{self.module(r, f'nn.Upsample(scale_factor={literal(scale)})')}({x[0]})")

    def layer_add(self, r: LayerResult, x: list[str]) -> None:
        self.finish(r, " + ".join(x))

    def layer_concat(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:  # one channel stands for all: the union of the inputs' fields
            self.finish(r, " + ".join(x))
            return
        self.finish(r, f"torch.cat([{', '.join(x)}], dim=1)")

    def layer_elementwise(self, r: LayerResult, x: list[str]) -> None:
        kind = r.node.layer.kind
        if kind not in ACTIVATION_CODE:
            raise unsupported(r, f"no PyTorch equivalent is known for {kind}")
        if self.linear:
            expr = x[0]
        elif self.activation_modules:
            expr = f"{self.module(r, ACTIVATION_MODULES[kind])}({x[0]})"
        else:
            expr = ACTIVATION_CODE[kind].format(x[0])
        self.finish(r, expr)


TORCH_DEFAULTS = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1, "groups": 1}


def keywords(options: dict[str, Any]) -> list[str]:
    """``key=value`` arguments, leaving out those at torch's default."""
    return [f"{k}={literal(v)}" for k, v in options.items() if v != TORCH_DEFAULTS[k]]


def dilation_of(w: Any) -> int:
    return (w.eff - 1) // (w.kernel - 1) if w.kernel > 1 else 1


def torch_shape(shape: Sequence[Any]) -> str:
    """A cnncalc shape as the tensor shape torch uses: (N, C, spatial…)."""
    if len(shape) == 1:
        return f"(N, {shape[0]})"
    return "(N, " + ", ".join(str(s) for s in (shape[-1], *shape[:-1])) + ")"


def order(layers: Sequence[LayerResult]) -> list[LayerResult]:
    """The layers in an order where each comes after its inputs, file order where free."""
    done: set[str] = set()
    names = {r.name for r in layers}
    pending = list(layers)
    out: list[LayerResult] = []
    while pending:
        for i, r in enumerate(pending):
            if all(n in done or n not in names for n in r.inputs):
                out.append(pending.pop(i))
                done.add(r.name)
                break
    return out


HEADER = '''"""{title}

Generated by cnncalc {version}. Needs only PyTorch. Tensors are (N, C, spatial…)
inside; cnncalc writes shapes spatial-first, channels-last (the comments show them
that way), so flatten and reshape permute to that order first.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn
'''


def export_pytorch(
    analyses: Sequence[Analysis],
    source: str = "",
    linear: bool = False,
    activation_modules: bool = False,
) -> Export:
    """The source of one Python file with one nn.Module class per network.

    ``activation_modules`` writes activations as modules (``nn.ReLU()``) rather than
    functions, so that tools that count by module (torchinfo, ptflops, thop) see them.

    ``linear`` writes the linearised copy the tests measure receptive fields on: no
    activations or normalisation, average instead of max pooling, and one channel per
    tensor (every channel of a conv with positive weights reads the same pixels, so one
    channel that sums them all has the field of them all). It takes (N, 1, spatial…).
    """
    from . import __version__

    names = Names(RESERVED | {"F", "nn", "torch", "Tensor"})
    classes = []
    infos = {}
    for a in analyses:
        writer = NetworkWriter(a, names, linear, activation_modules)
        classes.append(writer.write())
        infos[a.network.name] = writer.info
    what = ", ".join(a.network.name for a in analyses)
    title = f"PyTorch models of {what}" + (f", from {source}" if source else "") + "."
    parts = [HEADER.format(title=title, version=__version__)]
    parts += ["\n" + c.text() for c in classes]
    return Export("\n".join(parts), infos)
