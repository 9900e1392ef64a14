"""The memory command: what training and inference need, and the largest batch that fits.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from cnncalc.cli.networks import load_networks
from cnncalc.cli.options import (
    MAX_LAYERS,
    FileArg,
    Format,
    FormatOpt,
    InputOpt,
    LayersOpt,
    MaxLayersOpt,
    NetOpt,
    PlotOpt,
    SetOpt,
)
from cnncalc.errors import CnnCalcError


class MemoryDtype(StrEnum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"


class Device(StrEnum):
    cuda = "cuda"
    cpu = "cpu"


class Optimizer(StrEnum):
    none = "none"
    sgd = "sgd"
    momentum = "momentum"
    adam = "adam"
    adamw = "adamw"


BatchOpt = Annotated[
    int, typer.Option("--batch", "-b", min=1, max=2**40, metavar="N", help="Samples per batch.")
]
MemoryDtypeOpt = Annotated[
    MemoryDtype, typer.Option("--dtype", help="Element type of weights and activations.")
]
DeviceOpt = Annotated[
    Device,
    typer.Option(
        "--device", help="Where the network trains: the two keep different tensors for backward."
    ),
]
OptimizerOpt = Annotated[
    Optimizer,
    typer.Option(
        "--optimizer",
        help="States per trainable parameter: none and sgd 0, momentum 1, adam and adamw 2.",
    ),
]
MixedOpt = Annotated[
    bool,
    typer.Option(
        "--mixed-precision",
        help="Keep a float32 master copy of the weights and float32 optimizer states.",
    ),
]
FitOpt = Annotated[
    str | None,
    typer.Option(
        "--fit",
        help="A memory budget, e.g. `24GiB` or `16GB`: the largest batch that fits it, "
        "for training and for inference.",
        metavar="SIZE",
        show_default=False,
    ),
]


def memory_command(
    file: FileArg = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    fmt: FormatOpt = Format.table,
    batch: BatchOpt = 1,
    dtype: MemoryDtypeOpt = MemoryDtype.float32,
    device: DeviceOpt = Device.cuda,
    optimizer: OptimizerOpt = Optimizer.adam,
    mixed_precision: MixedOpt = False,
    fit: FitOpt = None,
    plot: PlotOpt = False,
    max_layers: MaxLayersOpt = MAX_LAYERS,
) -> None:
    """Training and inference memory, exactly: weights, gradients, optimizer states, what
    autograd keeps for backward per layer, both peaks, and with --fit the largest batch.

    The tensors kept for backward follow PyTorch's eager autograd, rule by rule as
    measured on torch (see the README's "Will it fit?"). With size symbols, give them
    values with --set; `--set H=224,320` answers for each value.

    Example: `cnncalc memory examples.toml --net resnet50 --batch 64 --dtype bfloat16
    --optimizer adamw --fit 24GiB`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.reports.memory import Settings, measure, parse_budget
    from cnncalc.reports.memory import fit as solve_fit

    budget = None if fit is None else parse_budget(fit)
    settings = Settings(batch, dtype.value, device.value, optimizer.value, mixed_precision)
    networks = []
    loaded = load_networks(file, net, input_shape, None, layers, max_layers)
    combos = set_values(sets)
    for chosen in combos:
        for n in loaded:
            networks.append(with_values(n, chosen, len(combos) > 1))
    results: list[Any] = []
    for n in networks:
        a = analyze(n)
        m = measure(a, settings)
        results.append((a, m, None if budget is None else solve_fit(a, settings, budget)))
    if plot:
        return emit_plot(results, fmt)
    if fmt is Format.json:
        from cnncalc.render.jsonstream import write_json
        from cnncalc.reports.memory_report import memory_json

        write_json({"networks": [memory_json(*r) for r in results]}, sys.stdout)
        return
    from cnncalc.render.formats import render
    from cnncalc.reports.memory_report import memory_table

    render([memory_table(*r) for r in results], fmt.value, sys.stdout)


def set_values(sets: list[str] | None) -> list[list[str]]:
    """``--set H=224,320 --set W=224`` → one list of single assignments per combination."""
    import itertools

    if not sets:
        return [[]]
    choices = []
    for item in sets:
        name, sep, values = item.partition("=")
        choices.append([f"{name}={v.strip()}" for v in values.split(",")] if sep else [item])
    combos = [list(c) for c in itertools.product(*choices)]
    if len(combos) > 1000:
        raise CnnCalcError(
            f"--set gives {len(combos):,} combinations of values; expected at most 1,000",
            key="--set",
        )
    return combos


def with_values(n: Any, chosen: list[str], rename: bool) -> Any:
    """A copy of the network with ``--set`` applied, named after the values when several."""
    from cnncalc.records import replace
    from cnncalc.spec.symbols import substitute_inputs

    copy = replace(n, inputs=dict(n.inputs))
    if chosen:
        substitute_inputs(copy, chosen)
    if rename:
        copy.name = f"{n.name} ({', '.join(chosen)})"
    return copy


def emit_plot(results: list[Any], fmt: Format) -> None:
    from cnncalc.render.formats import render_charts
    from cnncalc.render.plots import saved_chart

    if fmt is not Format.table:
        raise CnnCalcError(
            f"a chart is drawn for the terminal only; expected no --format, got {fmt.value}",
            key="--plot",
        )
    render_charts([saved_chart(a, m) for a, m, _ in results], sys.stdout)
