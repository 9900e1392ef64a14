"""PyTorch as the oracle: export a network, run it, and list every disagreement with cnncalc.

Shared by the torch test modules. Imports torch, so only a module that has already
called ``pytest.importorskip("torch")`` may import this one.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnncalc.engine.walk import Analysis, LayerResult, analyze
from cnncalc.interop.export_file import NetworkInfo
from cnncalc.interop.torch_export import Export, export_pytorch
from cnncalc.interop.torch_import import import_torch
from cnncalc.interop.torch_shapes import dilation_of
from cnncalc.layers.fields import bin_of
from cnncalc.layers.resample import family
from cnncalc.layers.resample import taps as source_pixels
from cnncalc.spec.load import load, load_text

_counter = itertools.count()
WORKDIR = Path(tempfile.mkdtemp(prefix="cnncalc-export-"))  # where exported modules go


def import_code(code: str, directory: Path) -> ModuleType:
    """Import generated source as a fresh module (written to a file, as a user would)."""
    name = f"cnncalc_export_{next(_counter)}"
    path = directory / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cnncalc_shape(t: torch.Tensor) -> tuple[int, ...]:
    """A torch tensor's shape in cnncalc's order, without the batch: spatial…, channels."""
    shape = tuple(t.shape[1:])
    return shape if len(shape) == 1 else (*shape[1:], shape[0])


def example_inputs(a: Analysis, info: NetworkInfo, batch: int = 1) -> list[torch.Tensor]:
    out = []
    for name in info.inputs:
        shape = a.network.inputs[name]
        dims = shape if len(shape) == 1 else (shape[-1], *shape[:-1])
        out.append(torch.randn(batch, *dims))
    return out


@contextmanager
def forward_locals(modules: Sequence[type[nn.Module]]) -> Iterator[dict[int, list[dict[str, Any]]]]:
    """Capture the local variables of the generated ``forward`` methods when they return.

    Every layer's output is a local variable of the forward that computes it, so this
    sees each layer's tensor without changing the exported code. Keyed by id(self), one
    entry per call (a shared block runs once for each instance that uses it).
    """
    codes = {cls.forward.__code__ for cls in modules}
    seen: dict[int, list[dict[str, Any]]] = {}

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "return":
            seen.setdefault(id(frame.f_locals["self"]), []).append(dict(frame.f_locals))
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code in codes else None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield seen
    finally:
        sys.settrace(previous)


def tensor_of(
    model: nn.Module, seen: dict[int, list[dict[str, Any]]], info: NetworkInfo, layer: str
) -> Any:
    path, call, var = info.variables[layer]
    frames = seen.get(id(model.get_submodule(path)), [])
    return frames[call].get(var) if call < len(frames) else None


def order(layers: Sequence[LayerResult]) -> list[LayerResult]:
    """The layers in an order where each comes after its inputs."""
    names = {r.name for r in layers}
    done: set[str] = set()
    pending, out = list(layers), []
    while pending:
        r = next(r for r in pending if all(n in done or n not in names for n in r.inputs))
        pending.remove(r)
        out.append(r)
        done.add(r.name)
    return out


def module_at(model: nn.Module, path: str) -> nn.Module:
    return model.get_submodule(path)


def counts(module: nn.Module) -> tuple[int, int]:
    """(trainable, non-trainable) numbers: batchnorm's running statistics are the latter.

    ``num_batches_tracked`` is a step counter, not a weight: cnncalc does not count it.
    """
    trainable = sum(p.numel() for p in module.parameters())
    frozen = sum(
        b.numel() for name, b in module.named_buffers() if not name.endswith("num_batches_tracked")
    )
    return trainable, frozen


class Mismatch(list[str]):
    """Disagreements between cnncalc and torch, one readable line each."""

    def check(self, what: str, ours: Any, theirs: Any) -> None:
        if ours != theirs:
            self.append(f"{what}: cnncalc {ours}, torch {theirs}")


def compare(a: Analysis, ex: Export, module: ModuleType, *, batch: int = 1) -> Mismatch:
    """Run the exported model once and compare every layer with cnncalc."""
    info = ex.networks[a.network.name]
    cls = getattr(module, info.class_name)
    classes = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, nn.Module)]
    bad = Mismatch()
    torch.manual_seed(0)
    model = cls().eval()
    inputs = example_inputs(a, info, batch)
    with torch.no_grad(), FlopCounterMode(display=False) as flops, forward_locals(classes) as seen:
        result = model(*inputs)
    outputs = result if isinstance(result, tuple) else (result,)
    for r in a.layers:
        tensor = tensor_of(model, seen, info, r.name)
        if tensor is None:
            bad.append(f"{r.name}: no tensor for it in {info.variables[r.name]}")
            continue
        bad.check(f"{r.name} output shape", tuple(r.shape), cnncalc_shape(tensor))
    for (name, shape), t in zip(a.outputs.items(), outputs, strict=True):
        bad.check(f"network output {name}", tuple(shape), cnncalc_shape(t))

    # parameters, per module and in total
    per_module: dict[str, list[LayerResult]] = {}
    for r in a.layers:
        path = info.modules.get(r.name)
        if path is None:
            bad.check(f"{r.name} parameters (no module)", 0, r.own_params)
        else:
            per_module.setdefault(path, []).append(r)

    def weights(r: LayerResult, path: str) -> tuple[int, int]:
        """The layer's module, and its fused activation's when that has weights (PReLU)."""
        trainable, frozen = counts(module_at(model, path))
        act = info.activations.get(r.name)
        if act is not None:
            more = counts(module_at(model, act))
            trainable, frozen = trainable + more[0], frozen + more[1]
        return trainable, frozen

    for path, rs in per_module.items():
        owner = next(r for r in rs if r.shared_from is None)
        for r in rs:
            bad.check(f"{r.name} parameters of its weights", r.own_params, sum(weights(r, path)))
        trainable, frozen = weights(owner, path)
        bad.check(f"{owner.name} trainable parameters", owner.effect.params, trainable)
        bad.check(f"{owner.name} non-trainable parameters", owner.effect.frozen_params, frozen)
    trainable, frozen = counts(model)
    t = a.totals
    bad.check("total trainable parameters", t.trainable_params, trainable)
    bad.check("total parameters", t.params, trainable + frozen)

    # MACs = FLOPs / 2, per module (summed over every use of a shared one) and in total
    measured = flops.get_flop_counts()
    root = type(model).__name__
    for path, rs in per_module.items():
        got = sum(measured.get(f"{root}.{path}", {}).values())
        bad.check(f"{rs[0].name} MACs", sum(r.effect.macs for r in rs), got / 2 / batch)
    for r in a.layers:
        if r.name not in info.modules:
            bad.check(f"{r.name} MACs (no module)", 0, r.effect.macs)
    bad.check("total MACs", t.macs, flops.get_total_flops() / 2 / batch)
    return bad


def check_networks(analyses: Sequence[Analysis], directory: Path) -> dict[str, Mismatch]:
    ex = export_pytorch(analyses)
    module = import_code(ex.code, directory)
    return {a.network.name: compare(a, ex, module) for a in analyses}


def analyses_of_file(path: str | Path) -> list[Analysis]:
    return [analyze(n) for n in load(str(path))]


def analyses_of_text(text: str, name: str = "network.toml") -> list[Analysis]:
    return [analyze(n) for n in load_text(text, name)]


Checker = Callable[[Sequence[Analysis], Path], dict[str, Mismatch]]


# --------------------------------------------------------------------------- receptive fields


def positive_weights(model: nn.Module) -> None:
    """Weights 1/fan-in (positive, so no path cancels; scaled, so deep nets stay in range)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.conv._ConvNd):
                m.weight.fill_(1.0 / m.weight.numel())


Span = tuple[int, int] | None


def smallest_gradient(a: Analysis) -> float:
    """A lower bound on any nonzero input gradient: every window averages its taps.

    float32 is fast but loses gradients below 1e-38; deep networks measure in float64.
    """
    bound = 1.0
    for r in a.layers:
        if r.effect.window is not None:
            for w in r.effect.window:
                bound /= w.kernel
    return bound


PADDED, EMPTY, READS = (
    0,
    1,
    2,
)  # a unit reads padding somewhere upstream; or not, and nothing; or not


def interior(a: Analysis) -> dict[str, list[list[int]]]:
    """For every tensor and spatial axis, which units read no padding anywhere upstream.

    Worked out unit by unit from the layers' windows (not from the field formulas): a
    unit is interior when every tap it reads is a real, interior unit of its input.
    Only those units have the field the formulas describe; the others lose part of it
    to the padding of some layer on the way. An interior unit may still read nothing
    (between the taps of a transposed convolution).
    """
    state: dict[str, list[list[int]]] = {
        name: [[READS] * size for size in shape[:-1]] for name, shape in a.network.inputs.items()
    }
    by_name = {r.name: r for r in a.layers}

    def combine(values: list[int]) -> int:
        if any(v == PADDED for v in values):
            return PADDED
        return READS if any(v == READS for v in values) else EMPTY

    for r in order(a.layers):
        f = r.field
        if f.is_global or not f.size or any(n not in state for n in r.inputs):
            continue
        ins = [state[n] for n in r.inputs]
        kind = r.node.layer.kind
        if f.grid is not None or any(
            n in by_name and by_name[n].field.grid is not None for n in r.inputs
        ):
            # a token axis (tokens, param, a per-token layer, grid back): each token has the
            # field of its grid position, so the units are the grid's, position by position
            live = [i for i in ins if len(i) == len(ins[0])]
            state[r.name] = [
                [combine([i[ax][o] for i in live]) for o in range(len(ins[0][ax]))]
                for ax in range(len(ins[0]))
            ]
            continue
        axes: list[list[int]] = []
        for ax in range(len(r.shape) - 1):  # every spatial axis, split channels too
            size = r.shape[ax]
            if ax >= len(ins[0]):  # a new axis split off the channels: all real units
                axes.append([READS] * size)
                continue
            src = ins[0][ax]
            if kind in ("conv", "pool", "conv_transpose"):
                w = r.effect.window[ax]  # type: ignore[index]
                d = dilation_of(w)
                line = []
                for o in range(size):
                    if kind == "conv_transpose":
                        full = o + w.pad_start
                        taps = [
                            (full - m * d) // w.stride
                            for m in range(w.kernel)
                            if (full - m * d) % w.stride == 0
                        ]
                    else:
                        taps = [o * w.stride - w.pad_start + m * d for m in range(w.kernel)]
                    line.append(combine([src[t] if 0 <= t < len(src) else PADDED for t in taps]))
            elif kind == "adaptive_pool":
                line = [combine([src[t] for t in bin_of(o, len(src), size)]) for o in range(size)]
            elif kind in ("pad", "crop"):  # shifted by the start; pad's new units: padding
                p0 = r.effect.padding[ax][0]  # type: ignore[index]
                line = [src[o - p0] if 0 <= o - p0 < len(src) else PADDED for o in range(size)]
            elif kind == "param" and r.node.layer.mode == "concat" and ax == 0:
                line = [PADDED] * r.node.layer.shape[0] + src  # new tokens: as padding
            elif kind == "slice" and r.node.layer.axis % len(r.shape) == ax:
                line = src[r.node.layer.start : r.node.layer.end]
            elif kind == "patch_merging":  # 2o and 2o + 1; an odd size is padded at the end
                line = [
                    combine([src[t] if t < len(src) else PADDED for t in (2 * o, 2 * o + 1)])
                    for o in range(size)
                ]
            elif kind == "attention":  # a window's positions, its padding as padding
                layer = r.node.layer
                p = layer.plan(r.input_shapes)
                line = [
                    combine([src[t] if 0 <= t < len(src) else PADDED for t in reads])
                    for reads in window_reads(len(src), p.window[ax], p.shift[ax], layer.partition)
                ]
            elif kind == "pixel_shuffle":
                line = [src[o // (size // len(src))] for o in range(size)]
            elif kind == "pixel_unshuffle":
                k = len(src) // size
                line = [combine(src[o * k : o * k + k]) for o in range(size)]
            elif kind == "upsample":
                layer: Any = r.node.layer
                scales = layer.scale or (None,)
                s = scales[ax] if len(scales) > 1 else scales[0]
                how = family(layer.mode)
                line = [
                    combine(
                        [
                            src[t]
                            for t in source_pixels(how, len(src), size, s, layer.align_corners, o)
                        ]
                    )
                    for o in range(size)
                ]
            else:  # merges read the same unit of every input (or its one unit, broadcast)
                ins = ins[:1] if kind == "crop" else ins  # crop's second input gives a size
                line = [
                    combine([i[ax][o if len(i[ax]) > 1 else 0] for i in ins if ax < len(i)])
                    for o in range(size)
                ]
            axes.append(line)
        state[r.name] = axes
    return state


def window_reads(size: int, window: int, shift: int, partition: str) -> list[list[int]]:
    """Along one axis, the positions each output attends to, as torchvision's Swin and
    MaxViT compute them: block windows start at ``shift + k * window`` (the first at
    ``shift - window``: with the roll and the mask, the positions before the shift attend
    among themselves); a window reaching past either end reads padding (-1 here), as
    torch pads the end to whole windows. A grid reads every (size / window)-th position."""
    if partition == "grid":
        step = size // window
        return [[t % step + step * k for k in range(window)] for t in range(size)]
    out = []
    for t in range(size):
        first = shift + window * ((t - shift) // window)
        reads = [q for q in range(first, first + window) if 0 <= q < size]
        out.append(reads + ([-1] if first < 0 or first + window > size else []))
    return out


def runs_of(states: list[int], count: int, want: int = EMPTY) -> list[int]:
    """``count`` neighbouring interior units, as central as possible; fewer if none fit."""
    ok = [s >= want for s in states]
    size = len(ok)
    middle = size // 2
    for k in range(min(count, size), 0, -1):
        starts = [t for t in range(size - k + 1) if all(ok[t : t + k])]
        if starts:
            best = min(starts, key=lambda t: abs(t + k // 2 - middle))
            return list(range(best, best + k))
    return []


@dataclass
class Plan:
    """The units probed on one layer: along each axis, a run of neighbours (one period + 1)."""

    layer: LayerResult
    runs: list[list[tuple[int, ...]]]  # per axis, the probed units in order
    reads: bool  # the other axes' units read something, so a run shows its axis's fields


def plan(r: LayerResult, inner: dict[str, list[list[int]]]) -> Plan | None:
    f = r.field
    if f.is_global or f.units is None or not f.size or r.name not in inner:
        return None
    n = len(f.size)
    ok = inner[r.name]
    centres = [runs_of(line, 1, READS) for line in ok[n:]]  # axes split off the channels
    if not all(centres):
        return None
    extra = tuple(c[0] for c in centres)
    lines = [runs_of(ok[ax], f.units[ax].period + 1) for ax in range(n)]
    if not all(lines):
        return None
    if all(u.empty == 0 for u in f.units):  # every unit reads something: walk the diagonal
        k = min(len(line) for line in lines)
        diagonal = [tuple(line[i] for line in lines) + extra for i in range(k)]
        return on_tensor(Plan(r, [diagonal] * n, True))
    # other axes stay on an interior unit that reads something, when there is one
    base, full = [], True
    for ax, line in enumerate(lines):
        middle = len(ok[ax]) // 2
        reading = [t for t, state in enumerate(ok[ax]) if state == READS]
        full = full and bool(reading)
        base.append(min(reading, key=lambda t: abs(t - middle)) if reading else line[0])
    runs = [[(*base[:ax], t, *base[ax + 1 :], *extra) for t in lines[ax]] for ax in range(n)]
    return on_tensor(Plan(r, runs, full))


def on_tensor(p: Plan) -> Plan | None:
    """The plan without the grid positions a token axis no longer holds (a slice of the
    tokens keeps the grid's field for the tokens it keeps)."""
    r = p.layer
    if r.field.grid is None:
        return p
    runs = [[u for u in run if 0 <= position(r, u)[0] < r.shape[0]] for run in p.runs]
    return Plan(r, runs, p.reads) if any(runs) else None


def position(r: LayerResult, unit: tuple[int, ...]) -> tuple[int, ...]:
    """A probed unit's index in the layer's tensor: on a token axis, the token of that grid
    position (row-major, after the tokens put before the grid)."""
    grid = r.field.grid
    if grid is None:
        return unit
    token = 0
    for i, size in zip(unit, grid, strict=True):
        token = token * int(size) + i
    return (int(r.field.lead) + token,)


def measure_fields(a: Analysis, directory: Path, chunk: int = 48) -> tuple[Mismatch, int]:
    """Compare every spatial layer's exact fields with what autograd shows on a linear copy.

    Every probed unit's field must equal cnncalc's (clipped to the input); where a whole
    period plus one unit fits inside the input, the reported size (the widest field) and
    stride (the average step) must match too. Returns the disagreements and how many
    (layer, axis) pairs were checked unclipped.
    """
    ex = export_pytorch([a], linear=True)
    module = import_code(ex.code, directory)
    info = ex.networks[a.network.name]
    dtype = torch.float32 if smallest_gradient(a) > 1e-30 else torch.float64
    model = getattr(module, info.class_name)().to(dtype).eval()
    positive_weights(model)
    inner = interior(a)
    plans = [p for p in (plan(r, inner) for r in a.layers) if p is not None]
    # one probe = (layer, output unit); probes go in the batch, one input copy each
    probes = sorted({(p.layer.name, unit) for p in plans for run in p.runs for unit in run})
    by_name = {p.layer.name: p.layer for p in plans}
    measured: dict[tuple[str, tuple[int, ...]], list[Span]] = {}
    for at in range(0, len(probes), chunk):
        part = probes[at : at + chunk]
        xs = [
            torch.ones(len(part), 1, *shape[:-1], dtype=dtype, requires_grad=True)
            for name, shape in a.network.inputs.items()
            if name in info.inputs
        ]
        with forward_locals([type(model)]) as seen:
            model(*xs)
        loss = torch.zeros((), dtype=dtype)
        for b, (name, unit) in enumerate(part):
            loss = (
                loss
                + tensor_of(model, seen, info, name)[(b, 0, *position(by_name[name], unit))].sum()
            )
        grads = torch.autograd.grad(loss, xs, allow_unused=True)
        reach = [g.abs() > 0 for g in grads if g is not None]  # (probes, 1, spatial…) each
        for b, (name, unit) in enumerate(part):
            spans: list[Span] = []
            for ax in range(len(by_name[name].field.size)):
                hits: list[int] = []  # every input's pixels along this axis
                for hit in reach:
                    h = hit[b, 0]
                    line = h.movedim(ax, 0).reshape(h.shape[ax], -1).any(1)
                    hits += torch.nonzero(line).flatten().tolist()
                spans.append((min(hits), max(hits)) if hits else None)
            measured[(name, unit)] = spans

    bad = Mismatch()
    for name, unit in probes:
        f = by_name[name].field
        assert f.units is not None
        predicted = [f.units[ax].at(t) for ax, t in enumerate(unit[: len(f.size)])]
        if any(p is None for p in predicted):  # reads nothing on one axis: nothing at all
            predicted = [None] * len(predicted)
        for ax, (want, got) in enumerate(zip(predicted, measured[(name, unit)], strict=True)):
            bad.check(f"{name} unit {unit} axis {ax}: field", want, got)
    unclipped = 0
    for p in plans:
        f = p.layer.field
        assert f.units is not None
        for ax, run in enumerate(p.runs):
            u = f.units[ax]
            extent = (f.grid or p.layer.shape)[ax]
            whole = len(run) == u.period == extent  # every unit of the axis listed
            if (len(run) < u.period + 1 and not whole) or not p.reads:
                continue
            unclipped += 1
            spans = [measured[(p.layer.name, unit)][ax] for unit in run]
            widths = [s[1] - s[0] + 1 for s in spans[: u.period] if s is not None]
            bad.check(f"{p.layer.name} axis {ax}: size", f.size[ax], max(widths, default=0))
            first = next((i for i, s in enumerate(spans) if s is not None), None)
            if first is not None and first + u.period < len(spans):
                a0, a1 = spans[first], spans[first + u.period]
                if a0 is not None and a1 is not None:
                    step = Fraction(a1[0] - a0[0], u.period)
                    bad.check(f"{p.layer.name} axis {ax}: stride", Fraction(f.stride[ax]), step)
    return bad, unclipped


# --------------------------------------------------------------------------- import


WEIGHTS = {"conv", "conv_transpose", "fc", "batchnorm"}


def summary(a: Analysis) -> dict[str, Any]:
    """What a round trip must keep: totals, outputs, and every layer with weights."""
    t = a.totals
    by_name = {r.name: r for r in a.layers}
    readers = Counter(n for r in a.layers for n in r.inputs)

    def placed(r: LayerResult) -> tuple[Any, ...] | None:
        """A zero pad read only by this layer imports as the layer's own padding."""
        own = starts(r)
        pad = by_name.get(r.inputs[0])
        if pad is None or pad.node.kind != "pad" or readers[pad.name] > 1 or own is None:
            return own
        if getattr(pad.node.layer, "mode", "") != "zero" or pad.effect.padding is None:
            return own
        return tuple(s + p for s, (p, _) in zip(own, pad.effect.padding, strict=True))

    return {
        "totals": (t.params, t.trainable_params, t.macs),
        "outputs": [tuple(s) for s in a.outputs.values()],
        "layers": [
            (r.node.layer.kind, tuple(r.shape), placed(r), r.field.size, r.field.stride)
            for r in a.layers
            if r.node.layer.kind in WEIGHTS
        ],
    }


def starts(r: LayerResult) -> tuple[Any, ...] | None:
    """Padding at the start of each axis: it places the windows. (The end may differ: a
    transposed conv's end padding and output_padding can trade pixels, a pool's unread end
    padding can go.)"""
    return None if r.effect.padding is None else tuple(p for p, _ in r.effect.padding)


def round_trip(a: Analysis, tmp_path: Path) -> Analysis:
    """Export, then import the generated module with torch.fx, then analyse again."""
    ex = export_pytorch([a])
    path = tmp_path / f"{a.network.name}_model.py"
    path.write_text(ex.code, encoding="utf-8")
    info = ex.networks[a.network.name]
    shapes = {name: list(shape) for name, shape in a.network.inputs.items()}
    if len(shapes) > 1:
        shapes = {info.inputs[name]: s for name, s in shapes.items()}
    imported = import_torch(f"{path}:{info.class_name}", shapes)
    (n,) = load_text(imported.toml(), "imported.toml")
    return analyze(n)
