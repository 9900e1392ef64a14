"""Tests for cnncalc.reports.conventions: hand-counted presets, and the real tools as judges.

The differential tests export every network of tests/data/torch/ (and of examples.toml,
when it is there) with activations as modules, measure the model with torchinfo,
fvcore, ptflops and thop (and torch's own FlopCounterMode for torchvision's numbers),
and compare each tool's total, and its count per module, with cnncalc's count under
that tool's convention. Where a tool has a bug the preset counts what the tool means
to count, and the test adds the tool's error explicitly, with a comment saying why.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import io
import math
import re
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.engine.walk import Analysis, LayerResult, analyze, replace_input
from cnncalc.errors import CnnCalcError
from cnncalc.interop.export_file import NetworkInfo
from cnncalc.interop.torch_export import export_pytorch
from cnncalc.layers.base import ACTIVATIONS
from cnncalc.reports.conventions import (
    DEFAULT,
    OP_PART,
    PARTS,
    PRESETS,
    Convention,
    Cost,
    Rule,
    deviations,
    fused_activation,
    layer_cost,
    network_cost,
    op_key,
)
from cnncalc.spec.load import load, load_text
from cnncalc.symbolic.arith import product
from cnncalc.symbolic.formula import evaluate
from conftest import examples

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "torch"
EXAMPLES = ROOT / "examples.toml"

# One of every layer kind a rule can count, hand-counted below under every preset.
EVERY_KIND = """
name = "every_kind"
input = [8, 8, 3]
layers = [
  "conv 4 kernel=3 activation=relu",   # 6x6x4 = 144 values; 144 * 27 = 3888 MACs
  "maxpool 2",                         # 144 values in, 3x3x4 = 36 out
  "batchnorm",                         # 36 values; 8 trainable parameters
  "upsample 2",                        # 36 values in, 144 out
  "global_pool",                       # average: 144 values in, 4 out
  "flatten",
  "fc 2 activation=softmax",           # 8 MACs, 2 outputs: one softmax row of 2
]
"""


def every_kind() -> Analysis:
    (n,) = load_text(EVERY_KIND, "every_kind.toml")
    return analyze(n)


# --------------------------------------------------------------------------- by hand


def test_every_preset_by_hand() -> None:
    totals = {name: network_cost(every_kind(), c).total for name, c in PRESETS.items()}
    macs = 3888 + 8
    assert totals == {
        "cnncalc": macs,
        "torchvision": macs,
        # + bias (144 conv outputs, 2 fc outputs) + batchnorm's 8 parameters
        "torchinfo": macs + 146 + 8,
        # + batchnorm 2 per value + adaptive average pooling per input + upsample per output
        "fvcore": macs + 72 + 144 + 144,
        # + bias + relu + max pool (per input) + batchnorm + upsample + global pool + softmax
        "ptflops": macs + 146 + 144 + 144 + 72 + 144 + 144 + 2,
        # + softmax (3 * 2 - 1) + batchnorm 4 per value + upsample + global pool (in + out)
        "thop": macs + 5 + 144 + 144 + 148,
        # 2 per MAC + conv bias + relu + max pool + batchnorm + upsample + global pool + softmax
        "deepspeed": 2 * macs + 144 + 144 + 144 + 72 + 144 + 144 + 2,
    }


def test_parts_add_up_and_name_their_layers() -> None:
    a = every_kind()
    cost = network_cost(a, PRESETS["ptflops"])
    assert cost.parts() == {
        "macs": 3896,
        "bias": 146,
        "activations": 146,
        "pooling": 288,
        "normalization": 72,
        "upsampling": 144,
        "merges": 0,
    }
    assert cost.total == sum(cost.parts().values())
    assert sum((layer_cost(r, PRESETS["ptflops"]) for r in a.layers), Cost()) == cost
    assert fused_activation(a.layers[0], PRESETS["ptflops"]) == 144
    assert fused_activation(a.layers[0], PRESETS["thop"]) == 0


def test_rules_are_limited_to_their_dimensions() -> None:
    """fvcore counts only the 2-D up-sampling and adaptive average pooling it has handles for."""
    fvcore = PRESETS["fvcore"]
    for shape, counted in (("[16, 2]", False), ("[6, 6, 2]", True), ("[4, 4, 4, 2]", False)):
        (n,) = load_text(f'input = {shape}\nlayers = ["upsample 2", "global_pool"]', "d.toml")
        cost = network_cost(analyze(n), fvcore)
        size = product(analyze(n).layers[0].shape)
        assert cost.upsampling == (size if counted else 0)
        assert cost.pooling == (size if counted else 0)


def test_symbolic_sizes_give_formulas() -> None:
    layers = 'layers = ["conv 4 kernel=3 activation=relu", "maxpool 2", "batchnorm"]'
    (n,) = load_text(f'input = ["H", "W", 3]\n{layers}', "sym.toml")
    (m,) = load_text(f"input = [10, 12, 3]\n{layers}", "num.toml")
    for conv in PRESETS.values():
        formula = network_cost(analyze(n), conv).total
        assert evaluate(formula, {"H": 10, "W": 12}) == network_cost(analyze(m), conv).total, (
            conv.name
        )


def test_presets_are_declared_in_one_vocabulary() -> None:
    assert list(PRESETS) == [
        "cnncalc",
        "torchvision",
        "torchinfo",
        "fvcore",
        "ptflops",
        "thop",
        "deepspeed",
    ]
    assert DEFAULT == "cnncalc"
    assert PRESETS["cnncalc"].ops == {} and PRESETS["cnncalc"].bias == ()
    assert set(ACTIVATIONS) <= set(OP_PART)
    assert set(OP_PART.values()) <= set(PARTS)
    with pytest.raises(AssertionError):
        Convention("x", "x", "x", ops={"conv": Rule()})  # conv's cost is its MACs
    with pytest.raises(AssertionError):
        Rule("weights")


def test_rules_read_as_sentences() -> None:
    assert PRESETS["thop"].rules() == [
        "conv, conv_transpose, fc, patch_merging: 1 per multiply-add",
        "softmax: 3 per value, less one per softmax row (exp, add and divide)",
        "prelu, avgpool, upsample: 1 per output value",
        "global_avgpool, adaptive_avgpool: 1 per input value and per output value",
        "batchnorm, layernorm, instancenorm: 4 per input value",
        "layernorm_noaffine, instancenorm_noaffine: 2 per input value",
        "upsample_linear: 5 per output value",
        "upsample_bilinear: 11 per output value",
        "upsample_bicubic: 259 per output value",
        "attention: 1 per multiply-add of the Q, K, V and output projections",
    ]
    assert PRESETS["fvcore"].rules()[-4:-1] == [
        "global_avgpool, adaptive_avgpool: 1 per input value (2-D only)",
        "upsample, upsample_to: 1 per output value (2-D only)",
        "upsample_bilinear, upsample_to_bilinear: 4 per output value (2-D only)",
    ]
    assert PRESETS["deepspeed"].rules()[:2] == [
        "conv, conv_transpose, fc, patch_merging: 2 per multiply-add",
        "bias of conv, conv_transpose: 1 per output value",
    ]
    assert PRESETS["ptflops"].rules()[-1] == (
        "attention: 1 per multiply-add of the Q, K, V and output projections and of Q Kᵀ and "
        "A V; 1 per output value of each projection with a bias; 1 per attention weight "
        "(softmax)"
    )


def test_attention_and_patch_merging_by_hand() -> None:
    """Attention written out as nn.Linear projections, torch.matmul and F.softmax: each tool
    counts the parts it sees (measured with torchinfo, fvcore, ptflops and thop on such a
    module: 5 tokens of 8 channels, 2 heads; torchinfo's own figure is its deviation, the
    projections' weights once; DeepSpeed's profiler patches torch.matmul and F.softmax)."""
    (n,) = load_text(
        'input = [5, 8]\nlayers = ["attention 2 name=a", "grid [5]", "patch_merging name=m"]',
        "a.toml",
    )
    a = analyze(n)
    projections, products, bias, weights = 4 * 5 * 8 * 8, 2 * 5 * 5 * 8, 4 * 5 * 8, 2 * 5 * 5
    attention = {name: layer_cost(a.layers[0], c).total for name, c in PRESETS.items()}
    assert attention == {
        "cnncalc": projections + products,
        "torchvision": projections + products,
        "torchinfo": projections + bias,
        "fvcore": projections + products,
        "ptflops": projections + bias + products + weights,
        "thop": projections,
        "deepspeed": 2 * (projections + products) + weights,
    }
    # patch merging on [5, 8]: 3 positions of 16 values, a layernorm over them, 16 -> 16
    merging = {name: layer_cost(a.layers[2], c) for name, c in PRESETS.items()}
    macs = 3 * 16 * 16
    assert {name: (c.macs, c.normalization) for name, c in merging.items()} == {
        "cnncalc": (macs, 0),
        "torchvision": (macs, 0),
        "torchinfo": (macs, 32),  # the layernorm's parameters
        "fvcore": (macs, 5 * 48),
        "ptflops": (macs, 48),
        "thop": (macs, 4 * 48),
        "deepspeed": (2 * macs, 5 * 48),
    }


def written_out_attention(tokens: int, dim: int, heads: int) -> Any:
    """Attention as the presets assume it is written: nn.Linear projections, torch.matmul
    for Q Kᵀ and A V, F.softmax."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)

        def forward(self, x: Any) -> Any:
            n = x.shape[0]
            qkv = self.qkv(x).reshape(n, tokens, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = torch.matmul(q * (dim // heads) ** -0.5, k.transpose(-2, -1))
            out = torch.matmul(F.softmax(scores, dim=-1), v)
            return self.proj(out.transpose(1, 2).reshape(n, tokens, dim))

    return Attention().eval()


def test_attention_as_the_tools_count_it() -> None:
    """The presets' attention rules against torchinfo, fvcore, ptflops and thop themselves."""
    import torch

    tokens, dim, heads = 5, 8, 2
    model, x = written_out_attention(tokens, dim, heads), torch.randn(1, tokens, dim)
    (n,) = load_text(f'input = [{tokens}, {dim}]\nlayers = ["attention {heads}"]', "a.toml")
    r = analyze(n).layers[0]
    want = {name: layer_cost(r, PRESETS[name]).total for name in PRESETS}
    got: dict[str, int] = {}
    if importlib.util.find_spec("torchinfo"):
        from torchinfo import summary

        got["torchinfo"] = quietly(
            lambda: summary(model, input_data=[x], verbose=0)
        ).total_mult_adds
        # its deviation: the Linear layers' weights once, not once per token
        want["torchinfo"] = r.effect.params
    if importlib.util.find_spec("fvcore"):
        flops = quietly(lambda: importlib.import_module("fvcore.nn").FlopCountAnalysis)(model, x)
        got["fvcore"] = quietly(
            lambda: flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False).total()
        )
    if importlib.util.find_spec("thop"):
        from thop import profile

        got["thop"] = int(quietly(lambda: profile(model, inputs=(x,), verbose=False))[0])
    if importlib.util.find_spec("ptflops"):
        info = import_ptflops().get_model_complexity_info
        got["ptflops"] = quietly(
            lambda: info(model, (tokens, dim), as_strings=False, print_per_layer_stat=False)
        )[0]
    if not got:
        pytest.skip("none of torchinfo, fvcore, ptflops and thop is installed")
    assert got == {name: want[name] for name in got}


# --------------------------------------------------------------------------- the real tools


def small(n: Any) -> Any:
    """An example on a smaller input where it allows one (64 to 128 per axis), to run quickly."""
    (name, shape), *rest = n.inputs.items()
    if rest or len(shape) < 2 or not all(isinstance(s, int) and s > 64 for s in shape[:-1]):
        return n
    for size in (64, 96, 128):
        trial = load(n.file)
        (copy,) = [m for m in trial if m.name == n.name]
        replace_input(copy, {name: tuple(size for _ in shape[:-1]) + (shape[-1],)})
        try:
            analyze(copy)
        except CnnCalcError:
            continue
        return copy
    return n


def network_ids() -> list[tuple[str, str]]:
    found = [(str(p), n.name) for p in sorted(DATA.glob("*.toml")) for n in load(str(p))]
    if EXAMPLES.exists():
        found += [(str(EXAMPLES), n.name) for n in load(str(EXAMPLES))]
    return found


NETWORKS = network_ids()


@functools.cache
def built(file: str, name: str) -> tuple[Analysis, NetworkInfo, Any, list[Any]]:
    """The analysis and the exported model (activations as modules), built once per network."""
    import torch
    import torchcheck

    (n,) = [n for n in load(file) if n.name == name]
    a = analyze(small(n) if file == str(EXAMPLES) else n)  # ours are small, sized with care
    written = sorted({r.node.layer.kind for r in a.layers} & WRITTEN_THEIR_OWN_WAY)
    if written:
        pytest.skip(
            f"the export writes {', '.join(written)} as modules of its own, which each tool "
            "counts its own way; the presets' attention rules are checked against the tools "
            "on attention written out as they assume (test_attention_as_the_tools_count_it)"
        )
    try:
        ex = export_pytorch([a], activation_modules=True)
    except CnnCalcError as error:  # only the networks the export supports are measured
        pytest.skip(str(error))
    module = torchcheck.import_code(ex.code, WORKDIR[0])
    info = ex.networks[a.network.name]
    torch.manual_seed(0)
    model = getattr(module, info.class_name)().eval()
    return a, info, model, torchcheck.example_inputs(a, info)


WORKDIR: list[Path] = []
# Kinds the export writes as modules the file defines (Param, Attention, PatchMerging):
# projections as batched products of the input, so that autograd keeps what cnncalc's
# memory model says, rather than the nn.Linear calls the tools count by module.
WRITTEN_THEIR_OWN_WAY = frozenset({"param", "attention", "patch_merging"})


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Any]:
    pytest.importorskip("torch")
    WORKDIR[:] = [tmp_path_factory.mktemp("conventions")]
    built.cache_clear()
    return built


def expected(a: Analysis, info: NetworkInfo, conv: Convention) -> dict[str, Any]:
    """cnncalc's count per module of the exported model; "" holds the layers with none."""
    per: dict[str, Any] = defaultdict(int)
    for r in a.layers:
        cost = layer_cost(r, conv).total
        if r.name in info.activations:  # a module of its own after the layer's module
            act = fused_activation(r, conv)
            per[info.activations[r.name]] += act
            cost -= act
        per[info.modules.get(r.name, "")] += cost
    return dict(per)


def quietly(run: Callable[[], Any]) -> Any:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return run()


def check(a: Analysis, total: Any, per_module: dict[str, Any], want: dict[str, Any]) -> None:
    """The tool's total and its count per module against cnncalc's, exactly."""
    bad = [
        f"{attr}: cnncalc {value}, tool {per_module.get(attr)}"
        for attr, value in want.items()
        if attr and per_module.get(attr) != value
    ]
    assert not bad, "\n".join(bad)
    assert total == sum(want.values()), f"{a.network.name} total"


def module_type(model: Any, attr: str) -> str:
    return type(model.get_submodule(attr)).__name__


def transposed(a: Analysis) -> list[LayerResult]:
    return [r for r in a.layers if r.node.kind == "conv_transpose"]


def positions(shape: tuple[Any, ...]) -> Any:
    return product(shape[:-1])


def torchinfo_path(layer: Any) -> str:
    """The dotted module path of a torchinfo layer (its var_name is only the last part)."""
    parts = []
    while layer is not None and layer.parent_info is not None:
        parts.append(layer.var_name)
        layer = layer.parent_info
    return ".".join(reversed(parts))


def ptflops_paths(text: str) -> dict[str, int]:
    """ptflops' per-layer printout as dotted module paths: nesting is two spaces a level."""
    per: dict[str, int] = {}
    stack: list[tuple[int, str]] = []
    for m in re.finditer(r"^( *)\((\w+)\): \w+\((.*)$", text, re.M):
        indent, attr, rest = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([p for _, p in stack] + [attr])
        stack.append((indent, attr))
        found = re.match(r"[^,]*, [^,]*, ([\d.e+]+) Mac,", rest)
        if found:
            per[path] = round(float(found.group(1)))
    return per


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_torchinfo(exported: Any, file: str, name: str) -> None:
    pytest.importorskip("torchinfo")
    from torchinfo import summary

    a, info, model, inputs = exported(file, name)
    stats = quietly(lambda: summary(model, input_data=inputs, verbose=0))
    per: dict[str, int] = defaultdict(int)
    for layer in stats.summary_list:
        if layer.is_leaf_layer:
            per[torchinfo_path(layer)] += layer.macs  # a shared module: one entry per call
    want = expected(a, info, PRESETS["torchinfo"])
    # torchinfo's bug: it multiplies a module's weights by its output positions, which for
    # a transposed convolution are not the positions its weights are applied at (the input's).
    for r in transposed(a):
        weights = r.effect.macs // positions(r.input_shapes[0])
        extra = weights * (positions(r.shape) - positions(r.input_shapes[0]))
        want[info.modules[r.name]] += extra
    # and it counts a Linear's weights once per sample, not once per position it acts at.
    for r in a.layers:
        if r.node.kind == "fc" and len(r.shape) > 1 and r.shared_from is None:
            want[info.modules[r.name]] -= (positions(r.shape) - 1) * r.effect.params
    check(a, stats.total_mult_adds, per, want)


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_fvcore(exported: Any, file: str, name: str) -> None:
    pytest.importorskip("fvcore")
    flop_count_analysis = quietly(lambda: importlib.import_module("fvcore.nn").FlopCountAnalysis)

    a, info, model, inputs = exported(file, name)

    def run() -> tuple[int, dict[str, int]]:
        flops = flop_count_analysis(model, tuple(inputs))
        flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return flops.total(), dict(flops.by_module())

    total, per = quietly(run)
    check(a, total, per, expected(a, info, PRESETS["fvcore"]))


def import_ptflops() -> Any:
    """ptflops, which imports torchvision.ops when it can. A torchvision build whose compiled
    operators do not load against this torch fails with RuntimeError, not ImportError, so
    ptflops' own guard misses it: then import ptflops as if torchvision were absent."""
    try:
        return importlib.import_module("ptflops")
    except ImportError:
        pytest.skip("ptflops is not installed")
    except RuntimeError:
        for name in [m for m in sys.modules if m.split(".")[0] in ("ptflops", "torchvision")]:
            del sys.modules[name]
        sys.modules["torchvision"] = None  # type: ignore[assignment]
        try:
            return importlib.import_module("ptflops")
        finally:
            del sys.modules["torchvision"]


# The modules whose forward calls a torch.nn.functional function that ptflops patches.
PTFLOPS_TWICE = re.compile(r"ReLU|ELU|GELU|PReLU|(Adaptive)?(Max|Avg)Pool[123]d|Upsample")


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_ptflops(exported: Any, file: str, name: str) -> None:
    get_model_complexity_info = import_ptflops().get_model_complexity_info

    a, info, model, inputs = exported(file, name)
    args = dict(zip(info.inputs.values(), inputs, strict=True))
    out = io.StringIO()
    total, _ = quietly(
        lambda: get_model_complexity_info(
            model,
            (1,),
            input_constructor=lambda _: args,
            as_strings=False,
            print_per_layer_stat=True,
            ost=out,
            flops_units="Mac",  # exact numbers in the per-layer printout
        )
    )
    per = ptflops_paths(out.getvalue())
    conv = PRESETS["ptflops"]
    want = expected(a, info, conv)
    shown = dict(want)  # what its per-layer table shows
    extra = 0  # what its total has besides
    for r in a.layers:
        # ptflops counts softmax and silu only through its patch of torch.nn.functional,
        # which adds to the total but to no module: its table shows nn.Softmax, nn.SiLU at 0.
        if r.node.activation in ("softmax", "silu"):
            shown[info.activations[r.name]] -= fused_activation(r, conv)
        elif r.node.kind in ("softmax", "silu"):
            shown[info.modules[r.name]] -= layer_cost(r, conv).activations
        # ptflops also counts the tensor operations inside nn.LocalResponseNorm (x * x, an
        # average pool over the channels padded by size - 1 = 4, then * alpha and + k).
        if r.node.kind == "lrn":
            extra += 3 * product(r.shape) + (r.shape[-1] + 4) * positions(r.shape)
    # ptflops' bug: its functional patch also sees the F.* call inside a module that its
    # hook has already counted (nn.ReLU calls F.relu, nn.MaxPool2d F.max_pool2d, ...), so
    # these modules count twice in its total.
    for attr, value in shown.items():
        if attr and PTFLOPS_TWICE.fullmatch(module_type(model, attr)):
            extra += value
    bad = [
        f"{k}: cnncalc {v}, ptflops {per.get(k)}" for k, v in shown.items() if k and per.get(k) != v
    ]
    assert not bad, "\n".join(bad)
    assert total == sum(want.values()) + extra


def thop_layers(layers: dict[str, Any], prefix: str = "") -> dict[str, int]:
    """thop's nested (ops, params, children) per module, as dotted module paths."""
    flat: dict[str, int] = {}
    pending = [(prefix, layers)]
    while pending:
        base, items = pending.pop()
        for attr, (ops, _, children) in items.items():
            path = f"{base}.{attr}" if base else attr
            if children:
                pending.append((path, children))
            else:
                flat[path] = round(ops)
    return flat


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_thop(exported: Any, file: str, name: str) -> None:
    pytest.importorskip("thop")
    from thop import profile

    a, info, model, inputs = exported(file, name)
    total, _, layers = quietly(
        lambda: profile(model, inputs=tuple(inputs), verbose=False, ret_layer_info=True)
    )
    per = thop_layers(layers)
    want = expected(a, info, PRESETS["thop"])
    # thop's bug: it counts a transposed convolution as a convolution producing its output,
    # output values x input channels / groups x kernel taps, not its multiply-adds.
    for r in transposed(a):
        groups = getattr(r.node.layer, "groups", 1)
        taps = product(w.kernel for w in r.effect.window or ())
        thop = product(r.shape) * (r.input_shapes[0][-1] // groups) * taps
        want[info.modules[r.name]] += thop - r.effect.macs
    # and it counts adaptive average pooling in floating point, (prod(I/O) + 1) * outputs,
    # truncated: one less where the product rounds below the whole number.
    for r in a.layers:
        if r.node.kind == "adaptive_pool" and getattr(r.node.layer, "mode", "") == "avg":
            sizes = zip(r.input_shapes[0][:-1], r.shape[:-1], strict=True)
            ratio = math.prod(i / o for i, o in sizes)
            thop = int((ratio + 1) * product(r.shape))
            want[info.modules[r.name]] += thop - layer_cost(r, PRESETS["thop"]).total
    check(a, round(total), per, want)


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_torchvision(exported: Any, file: str, name: str) -> None:
    """torchvision's GFLOPS come from a FLOP counter that torch now ships, halved."""
    from torch.utils.flop_counter import FlopCounterMode

    a, info, model, inputs = exported(file, name)
    counter = FlopCounterMode(display=False, depth=None)
    with counter:
        model(*inputs)
    root = type(model).__name__ + "."
    per = {
        path[len(root) :]: sum(ops.values()) // 2
        for path, ops in counter.get_flop_counts().items()
        if path.startswith(root)
    }
    want = expected(a, info, PRESETS["torchvision"])
    per.update({k: 0 for k, v in want.items() if k and k not in per and v == 0})
    check(a, counter.get_total_flops() // 2, per, want)


# The kinds of today's CNNs, as the presets tell them apart (op_key): each must be in some
# network of tests/data/torch/, so that every tool above measures it on real torch.
MODERN_KINDS = {
    *("multiply", "add", "fc_channels", "scale", "prelu", "standardize"),
    *("layernorm", "layernorm_noaffine", "groupnorm", "groupnorm_noaffine"),
    *("instancenorm", "instancenorm_noaffine"),
    *("silu", "hardswish", "hardsigmoid", "relu6", "mish", "softplus", "selu"),
    *("adaptive_avgpool", "adaptive_maxpool", "upsample", "upsample_linear"),
    *("upsample_bilinear", "upsample_trilinear", "upsample_bicubic"),
    *("upsample_to", "upsample_to_linear", "upsample_to_bilinear", "upsample_to_trilinear"),
    "upsample_to_bicubic",
    *("slice", "channel_shuffle", "pixel_shuffle", "pixel_unshuffle", "pad", "crop"),
    *("identity", "drop_path"),
}


def test_every_kind_of_todays_cnns_is_measured_by_the_tools() -> None:
    found: set[str] = set()
    broadcast: set[tuple[str, int]] = set()  # merges with a size-1 axis, by spatial rank
    for file, name in NETWORKS:
        if Path(file).parent != DATA:
            continue
        (n,) = [n for n in load(file) if n.name == name]
        for r in analyze(n).layers:
            found |= {op_key(r), *([r.node.activation] if r.node.activation else [])}
            if r.node.kind in ("add", "multiply") and any(s != r.shape for s in r.input_shapes):
                broadcast.add((r.node.kind, len(r.shape) - 1))
    assert MODERN_KINDS - found == set()
    assert {(k, d) for k in ("add", "multiply") for d in (1, 2, 3)} <= broadcast


def test_examples_are_covered_when_present() -> None:
    if not EXAMPLES.exists():
        pytest.skip("examples.toml is not in this checkout")
    assert {n for f, n in NETWORKS if f == str(EXAMPLES)} == {n.name for n in load(str(EXAMPLES))}


def test_deviations_are_named_only_where_the_network_has_the_layer() -> None:
    def on(name: str, conv: str) -> list[str]:
        (n,) = load(str(DATA / f"{name}.toml"))
        return deviations(analyze(n), PRESETS[conv])

    assert on("lenet5", "torchinfo") == on("lenet5", "thop") == []
    assert on("dcgan_small", "torchinfo") == [PRESETS["torchinfo"].deviations[0][1]]
    assert len(on("twins", "ptflops")) == 2  # pools, gelu and relu twice; LRN's insides
    assert len(on("reshape_net", "ptflops")) == 0
    assert len(on("signal_1d", "deepspeed")) == 2  # a transposed conv and an upsample


LAYERS = [
    "conv 4 kernel=3 padding=same activation=relu",
    "conv 2 kernel=1 bias=false activation=softmax",
    "deconv 3 kernel=2 stride=2",
    "maxpool 2 ceil=true",
    "avgpool 3 stride=1 padding=1",
    "batchnorm",
    "upsample 2",
    "lrn",
    "gelu",
    "dropout",
]


@given(st.lists(st.sampled_from(LAYERS), min_size=1, max_size=5), st.sampled_from([1, 2, 3]))
@settings(max_examples=examples(60), deadline=None)
def test_every_count_is_the_macs_plus_what_the_convention_adds(
    layers: list[str], dims: int
) -> None:
    text = "input = {}\nlayers = {}".format(
        [6] * dims + [3], [*layers, "global_pool", "flatten", "fc 2"]
    )
    (n,) = load_text(text.replace("'", '"'), "random.toml")
    a = analyze(n)
    macs = a.totals.macs
    for conv in PRESETS.values():
        cost = network_cost(a, conv)
        assert cost.macs == conv.per_mac * macs
        assert all(v >= 0 for v in cost.parts().values())
        assert cost.total == sum(layer_cost(r, conv).total for r in a.layers)
        if not conv.bias and not conv.ops:
            assert cost.total == conv.per_mac * macs
    assert network_cost(a, PRESETS["cnncalc"]).total == macs
