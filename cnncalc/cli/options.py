"""The options the commands share, as typer annotations, and their choices.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

from enum import StrEnum
from typing import Annotated, Any

import typer


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Dtype(StrEnum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


FileArg = Annotated[
    str | None,
    typer.Argument(
        help="Architecture file (TOML); `-` reads standard input.",
        metavar="FILE",
        show_default=False,
    ),
]
NetOpt = Annotated[
    str | None,
    typer.Option("--net", "-n", metavar="NAME", help="Report only the network of this name."),
]
InputOpt = Annotated[
    str | None,
    typer.Option(
        "--input",
        "-i",
        metavar="HxWxC",
        help="Replace the input shape, e.g. `224x224x3` "
        "(or `NAME=96x96x3` for one of several inputs).",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="NAME=VALUE",
        help="Give a symbolic size a value, e.g. `H=224`; repeatable.",
    ),
]
LayersOpt = Annotated[
    str | None,
    typer.Option(
        "--layers",
        "-l",
        metavar="LAYERS",
        help="A network given inline instead of FILE: layers in the "
        "one-line shorthand separated by `;` (needs --input).",
    ),
]
FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
DtypeOpt = Annotated[Dtype, typer.Option("--dtype", help="Element type for the memory figures.")]
FOLD = "Fold block instances nested deeper than N into one {what} each; 1 shows each top-level "


def depth_option(help: str) -> Any:
    """``--depth N``, with the help of the command it belongs to."""
    return Annotated[int | None, typer.Option("--depth", "-d", min=1, metavar="N", help=help)]


DepthOpt = depth_option(
    FOLD.format(what="row") + "block instance as one row. Default: every layer."
)
SummaryDepthOpt = depth_option(
    FOLD.format(what="row")
    + "block instance as one row. Default: 2 for the table; JSON, CSV and Markdown "
    "list every layer."
)
DiagramDepthOpt = depth_option(
    FOLD.format(what="box") + "block instance as one box. Default: every layer."
)
ReportDepthOpt = depth_option(
    FOLD.format(what="box and table row")
    + "block instance as one box in the diagram and one row in the layer table. "
    "Default: every layer."
)
ByTypeOpt = Annotated[
    bool,
    typer.Option(
        "--by-type", help="Totals per layer type (conv, fc, batchnorm …) instead of per layer."
    ),
]
CONVENTIONS = (
    "cnncalc",
    "torchvision",
    "torchinfo",
    "fvcore",
    "ptflops",
    "thop",
    "deepspeed",
)  # conventions.PRESETS, named here so --help needs no import


ConventionOpt = Annotated[
    str | None,
    typer.Option(
        "--convention",
        "-c",
        metavar="NAME",
        help="Count as a peer tool counts: "
        + ", ".join(f"`{name}`" for name in CONVENTIONS)
        + " (default `cnncalc`: multiply-adds of conv, conv_transpose and fc).",
        show_default=False,
    ),
]
CompareOpt = Annotated[
    bool,
    typer.Option("--compare", help="Show the network's total under every convention side by side."),
]
MAX_LAYERS = 10_000  # spec.reader.DEFAULT_MAX_LAYERS, named here so --help needs no import
MaxLayersOpt = Annotated[
    int,
    typer.Option(
        "--max-layers",
        min=1,
        metavar="N",
        help="Refuse networks that expand to more layers (the default keeps every command "
        "to a few seconds; raise it for larger networks).",
    ),
]
PlotOpt = Annotated[
    bool,
    typer.Option(
        "--plot",
        help="Draw a bar chart that fits the terminal instead of the table "
        "(plain characters under `NO_COLOR`).",
    ),
]
PLOTTED = ("macs", "params", "receptive-field")


class DiagramFormat(StrEnum):
    svg = "svg"
    dot = "dot"


class Scale(StrEnum):
    params = "params"
    macs = "macs"


OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write to this file (default: standard output)."
    ),
]
ScaleOpt = Annotated[
    Scale | None,
    typer.Option(
        "--scale", help="Size boxes by cost: area in proportion to the parameters or the MACs."
    ),
]
