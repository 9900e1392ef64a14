"""The report commands (shapes, params, receptive-field, macs, summary) and solve.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

import sys
from typing import Annotated, Any

import typer

from cnncalc.cli.networks import load_networks
from cnncalc.cli.options import (
    MAX_LAYERS,
    PLOTTED,
    ByTypeOpt,
    CompareOpt,
    ConventionOpt,
    DepthOpt,
    Dtype,
    DtypeOpt,
    FileArg,
    Format,
    FormatOpt,
    InputOpt,
    LayersOpt,
    MaxLayersOpt,
    NetOpt,
    PlotOpt,
    SetOpt,
    SummaryDepthOpt,
)
from cnncalc.errors import CnnCalcError
from cnncalc.spec.network import Network


def hide_parameter(command: Any, name: str) -> None:
    """Drop an option from a generated command's signature, so typer neither shows nor takes it."""
    import inspect

    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name != name]
    command.__signature__ = signature.replace(parameters=kept)


def retype_parameter(command: Any, name: str, annotation: Any) -> None:
    """Give one generated command's option an annotation (and so a help text) of its own."""
    import inspect

    signature = inspect.signature(command, eval_str=True)
    params = [
        p.replace(annotation=annotation) if p.name == name else p
        for p in signature.parameters.values()
    ]
    command.__signature__ = signature.replace(parameters=params)


def emit_reports(
    report: str,
    networks: list[Network],
    fmt: Format,
    dtype: Dtype,
    depth: int | None = None,
    by_type: bool = False,
    convention: str | None = None,
    compare: bool = False,
) -> None:
    from cnncalc.engine.walk import analyze

    if depth is None and report == "summary" and fmt is Format.table:
        depth = 2  # blocks of blocks read best folded; JSON and CSV stay complete
    analyses = [analyze(n) for n in networks]
    if depth is not None:
        from cnncalc.reports.fold import fold

        analyses = [fold(a, depth) for a in analyses]
    if compare or convention is not None:
        return emit_conventions(report, analyses, fmt, dtype, convention, compare)
    if fmt is Format.json:
        from cnncalc.render.jsonstream import write_json
        from cnncalc.reports.jsonreport import by_type_json, network_json

        docs = []
        for a in analyses:
            doc = network_json(a, report, dtype.value)
            if by_type:
                doc["by_type"] = by_type_json(a)
            docs.append(doc)
        write_json({"networks": docs}, sys.stdout)
        return
    from cnncalc.render.formats import render
    from cnncalc.reports.tables import TABLES, by_type_table

    make = by_type_table if by_type else TABLES[report]
    render([make(a, dtype.value) for a in analyses], fmt.value, sys.stdout)


def emit_conventions(
    report: str,
    analyses: list[Any],
    fmt: Format,
    dtype: Dtype,
    convention: str | None,
    compare: bool,
) -> None:
    """``--convention NAME``: the report counted as a peer tool counts; ``--compare``: all."""
    from cnncalc.reports import convention_report as cr
    from cnncalc.reports.conventions import PRESETS
    from cnncalc.reports.jsonreport import network_json

    if compare and convention is not None:
        raise CnnCalcError("give either --compare or --convention, not both", key="--compare")
    if convention is not None and convention not in PRESETS:
        from cnncalc.errors import suggest

        raise CnnCalcError(
            f"unknown convention '{convention}'{suggest(convention, list(PRESETS))}; "
            "expected one of " + ", ".join(PRESETS),
            key="--convention",
        )
    if fmt is Format.json:
        if compare:
            docs = [cr.compare_json(a) for a in analyses]
        else:
            conv = PRESETS[str(convention)]
            docs = [cr.add_json(network_json(a, report, dtype.value), a, conv) for a in analyses]
        from cnncalc.render.jsonstream import write_json

        write_json({"networks": docs}, sys.stdout)
        return
    from cnncalc.render.formats import render

    if compare:
        tables = [cr.compare_table(a) for a in analyses]
    else:
        conv = PRESETS[str(convention)]
        tables = [cr.convention_table(a, report, dtype.value, conv) for a in analyses]
    render(tables, fmt.value, sys.stdout)


REPORTS = {
    "shapes": (
        "Output shape and padding of every layer.",
        "cnncalc shapes examples.toml --net lenet5",
    ),
    "params": (
        "Parameters per layer, trainable and not, with totals and memory.",
        "cnncalc params examples.toml --net vgg16 --dtype float16",
    ),
    "receptive-field": (
        "Receptive-field size, stride and start per layer and axis.",
        "cnncalc receptive-field examples.toml --net vgg16",
    ),
    "macs": (
        "Multiply-accumulates per layer and their share of the total; `--convention torchinfo` "
        "counts as torchinfo does, `--compare` shows every tool's total side by side.",
        'cnncalc macs --input 28x28x192 --layers "conv 16 kernel=1; conv 32 kernel=5 padding=same"',
    ),
    "summary": (
        "Shapes, parameters, MACs and receptive fields in one table, with totals.",
        "cnncalc summary examples.toml --net alexnet --format json",
    ),
}


def report_command(name: str, summary: str, example: str) -> Any:
    """One report command; the five differ only in their name, text and optional options."""

    def command(
        file: FileArg = None,
        net: NetOpt = None,
        input_shape: InputOpt = None,
        sets: SetOpt = None,
        layers: LayersOpt = None,
        fmt: FormatOpt = Format.table,
        dtype: DtypeOpt = Dtype.float32,
        depth: DepthOpt = None,
        by_type: ByTypeOpt = False,
        convention: ConventionOpt = None,
        compare: CompareOpt = False,
        max_layers: MaxLayersOpt = MAX_LAYERS,
        plot: PlotOpt = False,
    ) -> None:

        networks = load_networks(file, net, input_shape, sets, layers, max_layers)
        if plot:
            return emit_plots(name, networks, fmt)
        emit_reports(name, networks, fmt, dtype, depth, by_type, convention, compare)

    command.__doc__ = f"{summary}\n\nExample: `{example}`"
    if name not in PLOTTED:
        hide_parameter(command, "plot")
    if name not in COUNTED:
        hide_parameter(command, "convention")
    if name != "macs":
        hide_parameter(command, "compare")
    if name == "summary":
        retype_parameter(command, "depth", SummaryDepthOpt)
    return command


COUNTED = ("macs", "summary")  # the reports that take --convention


def emit_plots(report: str, networks: list[Network], fmt: Format) -> None:
    from cnncalc.engine.walk import analyze
    from cnncalc.render.formats import render_charts
    from cnncalc.render.plots import charts

    if fmt is not Format.table:
        raise CnnCalcError(
            f"a chart is drawn for the terminal only; expected no --format, got {fmt.value}",
            key="--plot",
        )
    render_charts([c for n in networks for c in charts(analyze(n), report)], sys.stdout)


CountOpt = Annotated[
    int,
    typer.Option(
        "--count", "-c", min=1, max=1000, metavar="N", help="How many valid sizes to list."
    ),
]


def solve_command(
    file: FileArg = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    fmt: FormatOpt = Format.table,
    count: CountOpt = 5,
    max_layers: MaxLayersOpt = MAX_LAYERS,
) -> None:
    """Valid values of the size symbols: no input pixel left unread, every output at least 1.

    For each symbol in `input` (`["H", "W", 3]`): the sizes for which no layer
    leaves input pixels unread, as a congruence (`H ≡ 0 (mod 32)`), the smallest
    size for which every output is at least 1, the first valid sizes, and what
    ties symbols together (a concat of two inputs, a reshape).

    Example: `cnncalc solve examples.toml --net vgg16 --input HxWx3 --count 3`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.reports.solve import solve
    from cnncalc.reports.solve_report import solution_json, solution_tables

    networks = load_networks(file, net, input_shape, sets, layers, max_layers)
    solutions = [solve(analyze(n), count) for n in networks]
    if fmt is Format.json:
        from cnncalc.render.jsonstream import write_json

        doc = {"networks": [solution_json(s) for s in solutions]}
        write_json(doc, sys.stdout)
        return
    from cnncalc.render.formats import render

    render([t for s in solutions for t in solution_tables(s)], fmt.value, sys.stdout)
