"""Cost conventions: what each peer tool counts per layer type, as data, and the code applying it.

A convention is a small table: what one multiply-add counts for (1, or 2 where
the tool reports FLOPs), which layers' bias additions count, and a rule per
layer type for the operations other than multiply-adds (activations, pooling,
normalisation, up-sampling, merges). Every rule is a number of operations per
value of something the engine already knows — the layer's output, its input,
its trainable parameters — so a convention is data and ``layer_cost`` is the
only code that reads it. Each table was read from the tool's own source; where
a tool has a bug the table follows what the tool means to count, and
``deviations`` says what the tool really does.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.layers.base import ACTIVATIONS, FUSED_PARAMS
from cnncalc.symbolic.arith import Size, product

# --------------------------------------------------------------------------- rules

# What a rule counts operations per value of.
BASES = {
    "out": "output value",
    "in": "input value",
    "in+out": "input value and per output value",
    "params": "trainable parameter",
    "softmax": "value, less one per softmax row (exp, add and divide)",
}


@dataclass(frozen=True)
class Rule:
    """``times`` operations per value of ``basis``; only on ``dims`` spatial axes when given."""

    basis: str = "out"
    times: int = 1
    dims: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        assert self.basis in BASES, self.basis

    def text(self) -> str:
        per = f"{3 * self.times if self.basis == 'softmax' else self.times} per"
        words = f"{per} {BASES[self.basis]}"
        if self.dims:
            words += " (" + " and ".join(f"{d}-D" for d in self.dims) + " only)"
        return words


OUT, IN = Rule("out"), Rule("in")

# The part of the count a layer type's rule belongs to, for breakdowns and docs.
PARTS = ("macs", "bias", "activations", "pooling", "normalization", "upsampling", "merges")
PART_TITLES = {
    "macs": "Multiply-adds",
    "bias": "Bias adds",
    "activations": "Activations",
    "pooling": "Pooling",
    "normalization": "Normalisation",
    "upsampling": "Up-sampling",
    "merges": "Merges",
}
NORMS = ("layernorm", "groupnorm", "instancenorm")  # keyed _noaffine without weights
# by mode; _to: to another layer's size, which torch writes as F.interpolate (no module)
UPSAMPLES = tuple(
    f"upsample{to}{mode}"
    for to in ("", "_to")
    for mode in ("", "_linear", "_bilinear", "_trilinear", "_bicubic")
)
OP_PART = {
    **{a: "activations" for a in ACTIVATIONS},
    "maxpool": "pooling",
    "avgpool": "pooling",
    "global_maxpool": "pooling",
    "global_avgpool": "pooling",
    "adaptive_maxpool": "pooling",
    "adaptive_avgpool": "pooling",
    "batchnorm": "normalization",
    **{n + a: "normalization" for n in NORMS for a in ("", "_noaffine")},
    "scale": "normalization",
    "lrn": "normalization",
    **dict.fromkeys(UPSAMPLES, "upsampling"),
    "add": "merges",
    "concat": "merges",
}
WEIGHTED = (
    "conv",
    "conv_transpose",
    "fc",
    "fc_channels",
    "attention",
    "patch_merging",
)  # the layer types with multiply-adds (and a bias: conv, conv_transpose, fc)
# What a tool may count of an attention layer, written out as nn.Linear projections,
# torch.matmul for Q Kᵀ and A V, and F.softmax (cnncalc counts the first two).
ATTENTION_PARTS = {
    "projections": "the Q, K, V and output projections",
    "products": "Q Kᵀ and A V",
    "bias": "1 per output value of each projection with a bias",
    "softmax": "1 per attention weight (softmax)",
}


@dataclass(frozen=True)
class Convention:
    """What one tool counts; ``ops`` maps a layer type (see ``op_key``) to its rule."""

    name: str
    tool: str  # the tool and the figure this reproduces
    unit: str  # what the tool calls that figure
    per_mac: int = 1  # what one multiply-add counts for: 1, or 2 for FLOPs
    bias: tuple[str, ...] = ()  # layer types whose bias adds count, one per output value
    ops: Mapping[str, Rule] = field(default_factory=dict)
    attention: tuple[str, ...] = ("projections", "products")  # see ATTENTION_PARTS
    # where the tool has a bug: the layer types it concerns, and what the tool really does
    deviations: tuple[tuple[tuple[str, ...], str], ...] = ()

    def __post_init__(self) -> None:
        assert set(self.ops) <= set(OP_PART), set(self.ops) - set(OP_PART)
        assert set(self.bias) <= set(WEIGHTED)
        assert set(self.attention) <= set(ATTENTION_PARTS), self.attention
        for keys, _ in self.deviations:
            assert set(keys) <= set(OP_PART) | set(WEIGHTED), keys

    def rules(self, present: Collection[str] | None = None) -> list[str]:
        """One line per counted part, for notes and docs; with ``present`` (see
        :func:`present_types`), only the lines of the layer types a network has."""

        def kept(keys: Sequence[str]) -> list[str]:
            return [k for k in keys if present is None or k in present]

        lines = []
        weighted = kept(("conv", "conv_transpose", "fc", "patch_merging"))
        if weighted:
            lines.append(f"{', '.join(weighted)}: {self.per_mac} per multiply-add")
        if kept(self.bias):
            lines.append(f"bias of {', '.join(kept(self.bias))}: 1 per output value")
        grouped: dict[str, list[str]] = {}  # layer types that share a rule, in order
        for key, rule in self.ops.items():
            if kept([key]):
                grouped.setdefault(rule.text(), []).append(key)
        lines += [f"{', '.join(keys)}: {words}" for words, keys in grouped.items()]
        if kept(["attention"]):
            macs = [ATTENTION_PARTS[p] for p in self.attention if p in ("projections", "products")]
            said = [f"{self.per_mac} per multiply-add of " + " and of ".join(macs)] if macs else []
            said += [ATTENTION_PARTS[p] for p in self.attention if p in ("bias", "softmax")]
            lines.append("attention: " + "; ".join(said))
        return lines


CONVS_AND_FC = ("conv", "conv_transpose", "fc", "fc_channels")
ALL_POOLS = tuple(
    f"{how}{mode}pool" for how in ("", "global_", "adaptive_") for mode in ("max", "avg")
)

# ptflops and DeepSpeed's profiler hook the same functional calls: one op per value.
FLOPS_PROFILER_OPS: dict[str, Rule] = {
    "relu": OUT,
    "leaky_relu": OUT,
    "elu": OUT,
    "gelu": OUT,
    "softmax": OUT,
    "silu": OUT,
    "prelu": OUT,
    **{p: IN for p in ALL_POOLS},
    "batchnorm": Rule("in", 2),
    **dict.fromkeys(UPSAMPLES, OUT),
}

PRESETS: dict[str, Convention] = {
    c.name: c
    for c in [
        Convention(
            "cnncalc",
            "the CS 230 notes (cnncalc's default)",
            "MACs",
        ),
        Convention(
            "torchvision",
            "the GFLOPS of torchvision's model documentation",
            "FLOPs",
        ),
        Convention(
            "torchinfo",
            "torchinfo's summary(), Total mult-adds",
            "Mult-Adds",
            bias=CONVS_AND_FC,
            ops={
                "batchnorm": Rule("params"),
                **{n: Rule("params") for n in NORMS},
                "scale": Rule("params"),
                "prelu": Rule("params"),
            },
            attention=("projections", "bias"),
            deviations=(
                (
                    ("conv_transpose",),
                    "counts a transposed convolution's weights once per output position "
                    "instead of once per input position (about stride**axes times too many)",
                ),
                (
                    ("fc_channels",),
                    "counts an fc layer on the channels of a spatial input once, not once per "
                    "position (it multiplies a Linear's weights by the batch size only)",
                ),
                (
                    ("attention", "patch_merging"),
                    "counts the Linear layers of attention and patch merging once, not once "
                    "per token, and an nn.MultiheadAttention not at all",
                ),
            ),
        ),
        Convention(
            "fvcore",
            "fvcore's FlopCountAnalysis.total(), in eval mode",
            "FLOPs",
            ops={
                "batchnorm": Rule("in", 2),
                **{n: Rule("in", 5) for n in NORMS},
                **{n + "_noaffine": Rule("in", 4) for n in NORMS},
                "global_avgpool": Rule("in", dims=(2,)),
                "adaptive_avgpool": Rule("in", dims=(2,)),
                "upsample": Rule("out", dims=(2,)),
                "upsample_bilinear": Rule("out", 4, dims=(2,)),
                "upsample_to": Rule("out", dims=(2,)),
                "upsample_to_bilinear": Rule("out", 4, dims=(2,)),
            },
        ),
        Convention(
            "ptflops",
            "ptflops' get_model_complexity_info(), PyTorch backend",
            "MACs",
            bias=CONVS_AND_FC,
            ops={
                **FLOPS_PROFILER_OPS,
                "relu6": OUT,
                **{n + a: IN for n in NORMS for a in ("", "_noaffine")},
                "groupnorm": Rule("in", 2),  # its hook doubles where the module has .affine,
                "instancenorm": Rule("in", 2),  # which nn.LayerNorm does not
            },
            attention=("projections", "bias", "products", "softmax"),
            deviations=(
                (
                    ("relu", "elu", "gelu", "prelu", *ALL_POOLS, "upsample"),
                    "also counts the torch.nn.functional call inside nn.ReLU, nn.ELU, nn.GELU, "
                    "nn.PReLU, every pooling module and nn.Upsample, so these count twice in its "
                    "total",
                ),
                (("lrn",), "counts the tensor operations inside nn.LocalResponseNorm"),
            ),
        ),
        Convention(
            "thop",
            "thop's profile()",
            "MACs",
            ops={
                "softmax": Rule("softmax"),
                "prelu": OUT,
                "avgpool": OUT,
                "global_avgpool": Rule("in+out"),
                "adaptive_avgpool": Rule("in+out"),
                "batchnorm": Rule("in", 4),
                "layernorm": Rule("in", 4),
                "layernorm_noaffine": Rule("in", 2),
                "instancenorm": Rule("in", 4),
                "instancenorm_noaffine": Rule("in", 2),
                "upsample": OUT,
                "upsample_linear": Rule("out", 5),
                "upsample_bilinear": Rule("out", 11),
                "upsample_bicubic": Rule("out", 259),
            },
            attention=("projections",),
            deviations=(
                (
                    ("conv_transpose",),
                    "counts a transposed convolution as a convolution from its output "
                    "(output values x input channels x kernel), not its multiply-adds",
                ),
                (
                    ("adaptive_avgpool",),
                    "counts adaptive average pooling in floating point and truncates it, so "
                    "where the output does not divide the input it may count one less",
                ),
            ),
        ),
        Convention(
            "deepspeed",
            "DeepSpeed's flops profiler, get_model_profile() flops",
            "FLOPs",
            per_mac=2,
            bias=("conv", "conv_transpose"),
            ops={
                **FLOPS_PROFILER_OPS,
                **{n: Rule("in", 5) for n in NORMS},
                **{n + "_noaffine": Rule("in", 4) for n in NORMS},
            },
            attention=("projections", "products", "softmax"),
            deviations=(
                (
                    ("conv_transpose",),
                    "sizes a transposed convolution's bias adds with the convolution formula",
                ),
                (
                    ("upsample",),
                    "counts an up-sampling by its input values (its scale factor is dropped)",
                ),
            ),
        ),
    ]
}
DEFAULT = "cnncalc"


# --------------------------------------------------------------------------- costs


@dataclass(frozen=True)
class Cost:
    """A count under one convention, by part; adds like numbers, so a total is ``sum()``."""

    macs: Size = 0  # multiply-adds, already times the convention's per_mac
    bias: Size = 0
    activations: Size = 0
    pooling: Size = 0
    normalization: Size = 0
    upsampling: Size = 0
    merges: Size = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(*(getattr(self, p) + getattr(other, p) for p in PARTS))

    def __radd__(self, other: int) -> Cost:
        return self if other == 0 else NotImplemented

    @property
    def total(self) -> Size:
        return sum((getattr(self, p) for p in PARTS), 0)

    def parts(self) -> dict[str, Size]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def op_key(r: LayerResult) -> str:
    """The layer type a rule is looked up by: pools by mode, everything else by kind."""
    layer = r.node.layer
    kind = layer.kind
    if kind == "pool":
        return f"{getattr(layer, 'mode', 'max')}pool"
    if kind in ("global_pool", "adaptive_pool"):
        return f"{kind[:-5]}_{getattr(layer, 'mode', 'avg')}pool"
    if kind == "upsample":  # to another layer's size: F.interpolate, which no module wraps
        base = "upsample_to" if getattr(layer, "to", None) is not None else "upsample"
        mode = getattr(layer, "mode", "nearest")
        return base if mode == "nearest" else f"{base}_{mode}"
    if kind == "fc" and len(r.input_shapes[0]) > 1:
        return "fc_channels"  # on the channels at every position
    if kind in NORMS and not getattr(layer, "affine", True):
        return f"{kind}_noaffine"
    return kind


def values(shape: tuple[Size, ...]) -> Size:
    return product(shape)


def apply_rule(rule: Rule, r: LayerResult) -> Size:
    """The operations ``rule`` gives this layer, from its shapes and parameters."""
    if rule.dims and len(r.input_shapes[0]) - 1 not in rule.dims:
        return 0
    out = values(r.shape)
    if rule.basis == "out":
        return rule.times * out
    if rule.basis == "in":
        return rule.times * sum((values(s) for s in r.input_shapes), 0)
    if rule.basis == "in+out":
        return rule.times * (values(r.input_shapes[0]) + out)
    if rule.basis == "params":
        return rule.times * r.effect.params
    # softmax over the channels: per row of C values, C exps, C - 1 adds and C divides
    channels = r.shape[-1]
    return rule.times * values(r.shape[:-1]) * (3 * channels - 1)


def fused_activation(r: LayerResult, conv: Convention) -> Size:
    """What the layer's own ``activation`` costs (kept apart: it is a separate module in torch)."""
    act = r.node.activation
    if act is None or act not in conv.ops:
        return 0
    rule = conv.ops[act]
    if rule.basis == "params":  # the activation's own weights, not the layer's
        return rule.times * FUSED_PARAMS.get(act, 0)
    return apply_rule(rule, r)


def attention_cost(r: LayerResult, conv: Convention) -> dict[str, Size]:
    """What ``conv`` counts of an attention layer: the parts its tool sees."""
    layer: Any = r.node.layer
    ins = r.input_shapes
    products = layer.products(ins)
    counted = {
        "projections": r.effect.macs - products,
        "products": products,
    }
    parts: dict[str, Size] = {
        "macs": conv.per_mac * sum((counted[p] for p in conv.attention if p in counted), 0)
    }
    if "bias" in conv.attention:
        parts["bias"] = layer.bias_adds(ins)
    if "softmax" in conv.attention:
        parts["activations"] = layer.weights(ins)
    return parts


def merging_norm(r: LayerResult, conv: Convention) -> Size:
    """patch_merging's layernorm, counted by the convention's layernorm rule on the blocks
    side by side (4C channels in 2-D)."""
    rule = conv.ops.get("layernorm")
    if rule is None or (rule.dims and len(r.input_shapes[0]) - 1 not in rule.dims):
        return 0
    merged = r.node.layer.merged(r.input_shapes)  # type: ignore[attr-defined]
    if rule.basis == "params":
        return rule.times * 2 * merged[-1]
    return rule.times * product(merged)


def layer_cost(r: LayerResult, conv: Convention) -> Cost:
    """One layer's count under ``conv``: its multiply-adds, bias adds and other operations."""
    parts: dict[str, Size] = {"macs": conv.per_mac * r.effect.macs}
    key = op_key(r)
    if key == "attention":
        return Cost(**attention_cost(r, conv))
    if key == "patch_merging":
        parts["normalization"] = merging_norm(r, conv)
    if key in conv.bias and getattr(r.node.layer, "bias", False):
        parts["bias"] = values(r.shape)
    rule = conv.ops.get(key)
    if rule is not None:
        parts[OP_PART[key]] = apply_rule(rule, r)
    act = fused_activation(r, conv)
    if act:
        parts["activations"] = parts.get("activations", 0) + act
    return Cost(**parts)


def network_cost(a: Analysis, conv: Convention) -> Cost:
    return sum((layer_cost(r, conv) for r in a.layers), Cost())


def present_types(a: Analysis) -> set[str]:
    """The layer types a convention's rules may name that the network has (fused
    activations too; an fc on the channels is an fc as well)."""
    present = {op_key(r) for r in a.layers} | {str(r.node.activation) for r in a.layers}
    return present | ({"fc"} if "fc_channels" in present else set())


def deviations(a: Analysis, conv: Convention) -> list[str]:
    """What the tool itself does differently on this network, where it has a bug."""
    present = present_types(a)
    return [text for keys, text in conv.deviations if present & set(keys)]


def lookup(name: str) -> Convention:
    return PRESETS[name]
