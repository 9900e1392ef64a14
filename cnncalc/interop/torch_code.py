"""PyTorch code for one scope (a network, or one instance of a block): one line per layer.

Numbers go through ``Writer.num`` and its kin. For a network they are written as
literals at once; for a block instance they become markers with the value and the
expression that may compute it from the block's arguments, so that torch_export.py
can merge the instances of a block into one class with constructor arguments.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnncalc.engine.walk import LayerResult
from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import ACTIVATIONS

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
TORCH_DEFAULTS = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1, "groups": 1}


# --------------------------------------------------------------------------- names


def identifier(text: str) -> str:
    """A Python identifier as close to ``text`` as possible: other characters become ``_``."""
    out = re.sub(r"\W", "_", text, flags=re.ASCII)
    if not out or out[0].isdigit():
        out = "_" + out
    return out


class Names:
    """Allocates unique, valid identifiers in one scope."""

    def __init__(self, reserved: frozenset[str] = frozenset()) -> None:
        self.reserved = reserved
        self.taken: set[str] = set(reserved)

    def claim(self, wanted: str, sep: str = "_") -> str:
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
            name = f"{base}{sep}{k}"
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


def dilation_of(w: Any) -> int:
    return (w.eff - 1) // (w.kernel - 1) if w.kernel > 1 else 1


def dilations(r: LayerResult) -> list[int]:
    """The layer's dilation per axis (a 1-tap kernel's window cannot tell it, torch can)."""
    layer: Any = r.node.layer
    n = len(r.effect.window or ())
    return list(layer.dilation * n if len(layer.dilation) == 1 else layer.dilation)


def torch_shape(shape: Sequence[Any]) -> str:
    """A cnncalc shape as the tensor shape torch uses: (N, C, spatial…)."""
    if len(shape) == 1:
        return f"(N, {shape[0]})"
    return "(N, " + ", ".join(str(s) for s in (shape[-1], *shape[:-1])) + ")"


# --------------------------------------------------------------------------- pooling


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
        fit = (a.out - 1) * a.stride + a.kernel - a.size - a.pad_start  # the windows end here
        end = next(
            e
            for e in (a.pad_end, max(fit, 0), fit)  # a negative end would crop: avoid it
            if torch_pool_count(a.size + a.pad_start + e, a.kernel, a.stride, 0, False) == a.out
        )
        pairs += [a.pad_start, end]
    return PoolPlan(False, tuple(pairs), False, trimmed=True)


# --------------------------------------------------------------------------- the writer


@dataclass(frozen=True)
class Slot:
    """A number in the code of a block instance, kept apart until the instances are merged.

    ``kind``: "value" (a number or tuple), "splat" (items of an argument list), "option"
    (``, key=value``, left out where every instance has torch's default), "note" (a
    comment, kept where every instance has the same).
    """

    value: Any
    name: str  # the constructor argument it becomes if it differs and no expression fits
    expr: str | None = None  # a Python expression over the block's arguments
    kind: str = "value"
    key: str = ""


MARK = re.compile("\x00(\\d+)\x00")


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
        if act and not self.linear and self.activation_modules:
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
        else:
            expr = ins[0]
        self.channels[r.name] = expr

    def layer(self, r: LayerResult) -> None:
        kind = r.node.layer.kind
        x = [self.var[n] for n in r.inputs]
        self.current = self.var[r.name]
        getattr(self, "layer_" + kind, self.layer_elementwise)(r, x)
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
        if len(target) > 1:
            expr += f".permute({channels_first(len(target) + 1)})"
        self.finish(r, expr)

    def layer_fc(self, r: LayerResult, x: list[str]) -> None:
        if self.linear:
            self.finish(r, x[0])
            return
        layer: Any = r.node.layer
        n_in = self.num(r.input_shapes[0][0], "in_features", self.channels.get(r.inputs[0]))
        units = self.num(layer.units, "units", self.key(r, "units"))
        bias = "" if layer.bias else ", bias=False"
        call = self.module(r, f"nn.Linear({n_in}, {units}{bias})")
        self.finish(r, f"{call}({x[0]})")

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

    def layer_upsample(self, r: LayerResult, x: list[str]) -> None:
        shape = r.input_shapes[0]
        scale = collapse([o // i for o, i in zip(r.shape[:-1], shape[:-1], strict=True)])
        s = self.num(scale, "scale", self.key(r, "scale"))
        self.finish(r, f"{self.module(r, f'nn.Upsample(scale_factor={s})')}({x[0]})")

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


def render_alone(slot: Slot) -> str:
    """A slot of a scope written once: its value as a literal."""
    text = slot.value if slot.kind == "note" else literal(slot.value)
    return render_slot(slot, text, slot.value == TORCH_DEFAULTS.get(slot.key))


def render_slot(slot: Slot, text: str, at_default: bool) -> str:
    if slot.kind == "note":
        return f"  # {text}" if text else ""
    if slot.kind == "option":
        return "" if at_default else f", {slot.key}={text}"
    if slot.kind == "splat":
        if isinstance(slot.value, tuple) and text == literal(slot.value):
            return ", ".join(literal(v) for v in slot.value)
        return "*" + text
    return text
