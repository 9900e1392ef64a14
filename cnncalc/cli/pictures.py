"""The picture commands: diagram (SVG or DOT) and report (one HTML page).

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

from typing import Annotated

import typer

from cnncalc.cli.networks import load_networks
from cnncalc.cli.options import (
    MAX_LAYERS,
    DiagramDepthOpt,
    DiagramFormat,
    Dtype,
    DtypeOpt,
    FileArg,
    InputOpt,
    LayersOpt,
    MaxLayersOpt,
    NetOpt,
    OutputOpt,
    ReportDepthOpt,
    ScaleOpt,
    SetOpt,
)
from cnncalc.cli.output import write_output
from cnncalc.errors import CnnCalcError


def diagram_command(
    file: FileArg = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    output: OutputOpt = None,
    fmt: Annotated[
        DiagramFormat,
        typer.Option("--format", "-f", help="SVG, or Graphviz DOT.", case_sensitive=False),
    ] = DiagramFormat.svg,
    depth: DiagramDepthOpt = None,
    scale: ScaleOpt = None,
    max_layers: MaxLayersOpt = MAX_LAYERS,
) -> None:
    """Draw the network: one box per layer (or block instance), edges labelled with shapes.

    The SVG needs no other program and fetches nothing; `--format dot` writes
    Graphviz DOT instead.

    Example: `cnncalc diagram examples.toml --net resnet50 --depth 1 -o resnet50.svg`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.render import diagram

    networks = load_networks(file, net, input_shape, sets, layers, max_layers)
    if len(networks) > 1:
        names = ", ".join(n.name for n in networks)
        raise CnnCalcError(
            f"the file has {len(networks)} networks and a diagram draws one; "
            f"choose it with --net ({names})",
            file=networks[0].file,
            key="--net",
        )
    a = analyze(networks[0])
    how = None if scale is None else scale.value
    if fmt is DiagramFormat.dot:
        write_output(diagram.dot(a, depth, how), output, [file or "-"])
    else:
        write_output(diagram.svg_document(a, depth, how), output, [file or "-"])


def report_command(
    file: FileArg = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    output: OutputOpt = None,
    depth: ReportDepthOpt = None,
    scale: ScaleOpt = None,
    dtype: DtypeOpt = Dtype.float32,
    max_layers: MaxLayersOpt = MAX_LAYERS,
) -> None:
    """Write one self-contained HTML page: summary, diagram, sortable tables, charts, warnings.

    Everything is inline and the page fetches nothing, so CI can publish it as
    an artifact. Every network of the file is included unless --net picks one.

    Example: `cnncalc report examples.toml --net lenet5 -o lenet5.html`
    """
    from pathlib import Path

    from cnncalc.engine.walk import analyze
    from cnncalc.render.html import page

    networks = load_networks(file, net, input_shape, sets, layers, max_layers)
    analyses = [analyze(n) for n in networks]
    source = networks[0].file
    title = networks[0].name if len(networks) == 1 else Path(source).name
    how = None if scale is None else scale.value
    write_output(page(analyses, title, dtype.value, depth, how), output, [file or "-"])
