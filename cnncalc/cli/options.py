"""The options the commands share, as typer annotations, and their choices.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

from enum import StrEnum
from typing import Annotated

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
    typer.Argument(help="Architecture file (TOML); `-` reads standard input.", show_default=False),
]
NetOpt = Annotated[
    str | None, typer.Option("--net", "-n", help="Report only the network of this name.")
]
InputOpt = Annotated[
    str | None,
    typer.Option(
        "--input",
        "-i",
        help="Replace the input shape, e.g. `224x224x3` "
        "(or `NAME=96x96x3` for one of several inputs).",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Give a symbolic size a value, e.g. `H=224`; repeatable."),
]
LayersOpt = Annotated[
    str | None,
    typer.Option(
        "--layers",
        "-l",
        help="A network given inline instead of FILE: layers in the "
        "one-line shorthand separated by `;` (needs --input).",
    ),
]
FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
DtypeOpt = Annotated[Dtype, typer.Option("--dtype", help="Element type for the memory figures.")]
DepthOpt = Annotated[
    int | None,
    typer.Option(
        "--depth",
        "-d",
        min=1,
        help="Fold block instances nested deeper than this into one row (or box) each: "
        "1 shows every top-level block instance as one row. The summary table defaults to 2.",
    ),
]
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
    typer.Option("--output", "-o", help="Write to this file (default: standard output)."),
]
ScaleOpt = Annotated[
    Scale | None,
    typer.Option(
        "--scale", help="Size boxes by cost: area in proportion to the parameters or the MACs."
    ),
]
