"""PyTorch code for one scope (a network, or one instance of a block): one line per layer.

Numbers go through ``Writer.num`` and its kin. For a network they are written as
literals at once; for a block instance they become markers with the value and the
expression that may compute it from the block's arguments, so that export_blocks.py
can merge the instances of a block into one class with constructor arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnncalc.engine.walk import LayerResult
from cnncalc.errors import CnnCalcError
from cnncalc.interop.torch_kinds import KINDS
from cnncalc.interop.torch_pool import pool_plan
from cnncalc.interop.torch_shapes import (
    channels_first,
    channels_last,
    collapse,
    dilations,
    dims,
    pad_arg,
    pad_text,
)
from cnncalc.interop.torch_slots import Slot, literal, render_alone
from cnncalc.layers.base import ACTIVATIONS

ACTIVATION_CODE = {
    "relu": "torch.relu({})",
    "leaky_relu": "F.leaky_relu({})",
    "elu": "F.elu({})",
    "gelu": "F.gelu({})",
    "sigmoid": "torch.sigmoid({})",
    "tanh": "torch.tanh({})",
    "softmax": "torch.softmax({}, dim=1)",
    "silu": "F.silu({})",
    "hardswish": "F.hardswish({})",
    "hardsigmoid": "F.hardsigmoid({})",
    "relu6": "F.relu6({})",
    "mish": "F.mish({})",
    "softplus": "F.softplus({})",
    "selu": "F.selu({})",
    "prelu": "",  # learned slopes: always a module
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
    "silu": "nn.SiLU()",
    "hardswish": "nn.Hardswish()",
    "hardsigmoid": "nn.Hardsigmoid()",
    "relu6": "nn.ReLU6()",
    "mish": "nn.Mish()",
    "softplus": "nn.Softplus()",
    "selu": "nn.SELU()",
    "prelu": "nn.PReLU()",
}
assert set(ACTIVATION_CODE) == set(ACTIVATIONS) == set(ACTIVATION_MODULES)


def unsupported(r: LayerResult, why: str) -> CnnCalcError:
    return CnnCalcError(f"cannot export to PyTorch: {why}", layer=r.name, line=r.node.line)


@dataclass
class Written:
    """One scope's code: constructor lines and forward lines, with markers for slots."""

    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)


class Writer:
    """Writes the lines of one scope: an attribute per layer with weights, a line per layer.

    ``var`` maps every cnncalc name the scope reads or computes to its local variable;
    ``module_of`` gives, for a layer, the ``self.…`` path of the module it calls (its own,
    or the one it shares); ``expr_of`` and ``channels`` give the expressions a block's
    numbers may be computed by (None for a network).
    """

    def __init__(
        self,
        var: dict[str, str],
        module_of: Callable[[LayerResult], tuple[str, bool]],
        expr_of: Callable[[str, str], str | None],
        marking: bool,
        linear: bool,
        activation_modules: bool = False,
    ) -> None:
        self.var = var
        self.module_of = module_of
        self.expr_of = expr_of
        self.marking = marking
        self.linear = linear
        self.activation_modules = activation_modules
        self.out = Written()
        self.channels: dict[str, str | None] = {}  # name → expression for its channels
        self.current = ""  # the layer being written, which names its constructor arguments
        self.with_module: set[str] = set()  # layers that call a module (theirs or a shared one)

    # ----- numbers

    def slot(self, slot: Slot) -> str:
        if self.marking:
            if slot.kind != "note":
                slot = Slot(
                    slot.value, f"{self.current}_{slot.name}", slot.expr, slot.kind, slot.key
                )
            self.out.slots.append(slot)
            return f"\x00{len(self.out.slots) - 1}\x00"
        return render_alone(slot)

    def num(self, value: Any, name: str, expr: str | None = None) -> str:
        return self.slot(Slot(value, name, expr))

    def option(self, key: str, value: Any, name: str, expr: str | None = None) -> str:
        return self.slot(Slot(value, name, expr, "option", key))

    def note(self, text: str) -> str:
        return self.slot(Slot(text, "", None, "note"))

    # ----- lines

    def emit(self, line: str, shape: Sequence[Any] | None = None, why: str = "") -> None:
        text = dims(shape) if shape is not None else ""
        text += f" ({why})" if why and text else why
        self.out.forward.append(line + (self.note(text) if text else ""))

    def module(self, r: LayerResult, constructor: str) -> str:
        """The expression that calls this layer's module, creating it unless shared."""
        path, own = self.module_of(r)
        self.with_module.add(r.name)
        if own:
            self.out.init.append(f"{path} = {constructor}")
        return path

    def finish(self, r: LayerResult, expr: str, why: str = "") -> None:
        act = r.node.activation
        if act == "prelu" and self.linear:  # its slope may be negative: a positive path instead
            pass
        elif act and not self.linear and (self.activation_modules or act == "prelu"):
            path = f"self.{self.var[r.name]}_{act}"
            self.out.init.append(f"{path} = {ACTIVATION_MODULES[act]}")
            expr = f"{path}({expr})"
        elif act and not self.linear:
            expr = ACTIVATION_CODE[act].format(expr)
        self.emit(f"{self.var[r.name]} = {expr}", r.shape, why)

    def key(self, r: LayerResult, key: str) -> str | None:
        return self.expr_of(r.name, key)

    def conv_channels(self, r: LayerResult, out: int) -> list[str]:
        """Input and output channels of a conv; one of each in the linearised copy."""
        if self.linear:
            return ["1", "1"]
        c = r.input_shapes[0][-1]
        return [
            self.num(c, "in_channels", self.channels.get(r.inputs[0])),
            self.num(out, "filters", self.key(r, "filters")),
        ]

    def everything(self, x: str, target: Sequence[Any]) -> str:
        """Linearised copy: a value that depends on the whole input, in the target's shape."""
        expr = f"{x}.flatten(1).sum(1, keepdim=True)"
        if len(target) > 1:
            expr += f".reshape(-1, 1{', 1' * (len(target) - 1)})"
            expr += f".expand(-1, -1, {', '.join(str(s) for s in target[:-1])})"
        return expr

    def track(self, r: LayerResult) -> None:
        """The expression for this layer's output channels, from the block's arguments."""
        kind = r.node.layer.kind
        ins = [self.channels.get(n) for n in r.inputs]
        expr: str | None
        if kind in ("conv", "conv_transpose"):
            expr = self.key(r, "filters")
        elif kind == "fc":
            expr = self.key(r, "units")
        elif kind == "concat":
            known = [e for e in ins if e is not None]
            expr = " + ".join(known) if len(known) == len(ins) else None
        elif kind in ("flatten", "reshape"):
            expr = None
        elif kind == "attention" and getattr(r.node.layer, "dim", None) is not None:
            expr = self.key(r, "dim")
        elif kind == "patch_merging":
            expr = self.key(r, "filters") or (f"2 * {ins[0]}" if ins[0] else None)
        elif (
            kind == "slice" and getattr(r.node.layer, "axis", -1) % len(r.shape) == len(r.shape) - 1
        ):
            expr = None  # fewer channels
        else:
            expr = ins[0]
        self.channels[r.name] = expr

    def layer(self, r: LayerResult) -> None:
        kind = r.node.layer.kind
        x = [self.var[n] for n in r.inputs]
        self.current = self.var[r.name]
        method = getattr(self, "layer_" + kind, None)
        if method is not None:
            method(r, x)
        elif kind in KINDS:
            KINDS[kind](self, r, x)
        else:
            self.layer_elementwise(r, x)
        self.track(r)

    # ----- one method per layer kind

    def layer_conv(self, r: LayerResult, x: list[str]) -> None:
        layer: Any = r.node.layer
        w = r.effect.window
        assert w is not None
        n = len(w)
        pads = [(a.pad_start, a.pad_end) for a in w]
        symmetric = all(p0 == p1 for p0, p1 in pads)
        args = ", ".join(self.conv_channels(r, layer.filters))
        k = collapse([a.kernel for a in w])
        args += ", kernel_size=" + self.num(k, "kernel_size", self.key(r, "kernel"))
        args += self.option(
            "stride", collapse([a.stride for a in w]), "stride", self.key(r, "stride")
        )
        if symmetric:
            p = collapse([p0 for p0, _ in pads])
            args += self.option("padding", p, "padding", self.key(r, "padding"))
        d = collapse(dilations(r))
        args += self.option("dilation", d, "dilation", self.key(r, "dilation"))
        if not self.linear:
            args += self.option("groups", layer.groups, "groups", self.key(r, "groups"))
        if not layer.bias or self.linear:
            args += ", bias=False"
        call = self.module(r, f"nn.Conv{n}d({args})")
        inp = x[0]
        if not symmetric:
            v = self.var[r.name]
            pad = self.num(pad_arg(pads), "pad")
            self.emit(f"{v} = F.pad({inp}, {pad})" + self.note(f"padding {pad_text(pads)}"))
            inp = v
        self.finish(r, f"{call}({inp})")

    def layer_conv_transpose(self, r: LayerResult, x: list[str]) -> None:
        layer: Any = r.node.layer
        w = r.effect.window
        assert w is not None
        n = len(w)
        dil = dilations(r)
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
        args = ", ".join(self.conv_channels(r, layer.filters))
        k = collapse([a.kernel for a in w])
        args += ", kernel_size=" + self.num(k, "kernel_size", self.key(r, "kernel"))
        args += self.option(
            "stride", collapse([a.stride for a in w]), "stride", self.key(r, "stride")
        )
        if symmetric:
            p = collapse([a.pad_start for a in w])
            args += self.option("padding", p, "padding", self.key(r, "padding"))
        op_expr = self.key(r, "output_padding") if symmetric else None
        args += self.option("output_padding", collapse(extra), "output_padding", op_expr)
        if not self.linear:
            args += self.option("groups", layer.groups, "groups", self.key(r, "groups"))
        args += self.option("dilation", collapse(dil), "dilation", self.key(r, "dilation"))
        if not layer.bias or self.linear:
            args += ", bias=False"
        call = self.module(r, f"nn.ConvTranspose{n}d({args})")
        if symmetric:
            self.finish(r, f"{call}({x[0]})")
            return
        v = self.var[r.name]
        self.emit(f"{v} = {call}({x[0]})")
        crop = [
            (a.pad_start, full + e - a.pad_start - a.out)
            for a, full, e in zip(w, natural, extra, strict=True)
        ]
        cut = self.num(tuple(-v for v in pad_arg(crop)), "crop")
        shown = [(a.pad_start, a.pad_end) for a in w]
        self.finish(r, f"F.pad({v}, {cut})", f"cropped {pad_text(shown)}")

    def layer_pool(self, r: LayerResult, x: list[str]) -> None:
        layer: Any = r.node.layer
        w = r.effect.window
        assert w is not None
        n = len(w)
        cls = "MaxPool" if layer.mode == "max" and not self.linear else "AvgPool"
        plan = pool_plan(r, avg3d=cls == "AvgPool" and n == 3)
        k = collapse([a.kernel for a in w])
        args = self.num(k, "kernel_size", self.key(r, "kernel"))
        stride = collapse([a.stride for a in w])
        stride_expr = self.key(r, "stride") or (
            self.key(r, "kernel") if layer.stride is None else None
        )
        if self.marking:  # torch's default stride is the kernel: always say it
            args += ", stride=" + self.num(stride, "stride", stride_expr)
        elif stride != k:
            args += f", stride={literal(stride)}"
        if plan.native:
            p = collapse(list(plan.padding))
            args += self.option("padding", p, "padding", self.key(r, "padding"))
        if plan.ceil:
            args += ", ceil_mode=True"
        call = self.module(r, f"nn.{cls}{n}d({args})")
        inp = x[0]
        if not plan.native:
            v = self.var[r.name]
            pairs = list(zip(plan.padding[::2], plan.padding[1::2], strict=True))
            value = ", value=-torch.inf" if cls == "MaxPool" else ""
            fitted = " (end fitted to cnncalc's windows)" if plan.trimmed else ""
            shown = [(a.pad_start, a.pad_end) for a in w]
            pad = self.num(pad_arg(pairs), "pad")
            self.emit(
                f"{v} = F.pad({inp}, {pad}{value})"
                + self.note(f"padding {pad_text(shown)}{fitted}")
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
                sizes = ", ".join(str(s) for s in shape[:-1])
                view = f"{x[0]}.reshape(-1, 1, {sizes}{', 1' * new})"
                self.finish(r, f"{view}.expand(-1, -1, {', '.join(str(s) for s in target[:-1])})")
            else:
                self.finish(r, self.everything(x[0], target))
            return
        expr = x[0]
        if len(shape) > 1:  # cnncalc orders the values spatial-first, channels-last
            v = self.var[r.name]
            self.emit(f"{v} = {x[0]}.permute({channels_last(len(shape) + 1)})  # channels last")
            expr = v
        expr += ".reshape(-1, " + self.slot(Slot(tuple(target), "shape", None, "splat")) + ")"
        if len(target) > 1:  # contiguous, so that every layer's output is laid out alike
            expr += f".permute({channels_first(len(target) + 1)}).contiguous()"
        self.finish(r, expr)

    def layer_fc(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:
            self.finish(r, x[0])
            return
        layer: Any = r.node.layer
        n_in = self.num(r.input_shapes[0][-1], "in_features", self.channels.get(r.inputs[0]))
        units = self.num(layer.units, "units", self.key(r, "units"))
        bias = "" if layer.bias else ", bias=False"
        call = self.module(r, f"nn.Linear({n_in}, {units}{bias})")
        if len(r.shape) == 1:
            self.finish(r, f"{call}({x[0]})")
        else:  # on the channels at every position: torch's Linear acts on the last axis
            self.finish(r, f"{call}({x[0]}.movedim(1, -1)).movedim(-1, 1).contiguous()")

    def layer_batchnorm(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:
            self.finish(r, x[0])
            return
        n = max(len(r.shape) - 1, 1)
        c = self.num(r.shape[-1], "features", self.channels.get(r.inputs[0]))
        self.finish(r, f"{self.module(r, f'nn.BatchNorm{n}d({c})')}({x[0]})")

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

    def layer_add(self, r: LayerResult, x: list[str]) -> None:
        self.finish(r, " + ".join(self.broadcastable(r, x)))

    def layer_multiply(self, r: LayerResult, x: list[str]) -> None:
        """A product; the linearised copy sums instead, which reads the same pixels."""
        self.finish(r, (" + " if self.linear else " * ").join(self.broadcastable(r, x)))

    def broadcastable(self, r: LayerResult, x: list[str]) -> list[str]:
        """A flat [C] input gets the output's spatial axes, as NumPy aligns it with cnncalc's
        channels-last shapes (torch would align it with the last spatial axis)."""
        n = len(r.shape) - 1
        spread = f"[(..., {', '.join(['None'] * n)})]" if n else ""
        return [
            v + spread if len(s) < len(r.shape) else v
            for v, s in zip(x, r.input_shapes, strict=True)
        ]

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
        elif kind == "prelu":
            slopes = (
                self.num(r.shape[-1], "slopes")
                if getattr(r.node.layer, "per_channel", False)
                else ""
            )
            expr = f"{self.module(r, f'nn.PReLU({slopes})')}({x[0]})"
        elif self.activation_modules:
            expr = f"{self.module(r, ACTIVATION_MODULES[kind])}({x[0]})"
        else:
            expr = ACTIVATION_CODE[kind].format(x[0])
        self.finish(r, expr)
