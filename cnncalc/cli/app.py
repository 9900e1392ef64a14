"""The command line (typer): the only module that prints or exits.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

import json
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer

from cnncalc import __version__
from cnncalc.cli.lean import LeanGroup, only_command
from cnncalc.errors import EXIT_INVALID, EXIT_OK, CnnCalcError, printable, suggest
from cnncalc.spec.network import Network

app = typer.Typer(
    cls=LeanGroup,
    name="cnncalc",
    help="Shapes, parameters, receptive fields and MACs of convolutional networks, "
    "computed from a TOML layer spec before you write any model code.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
MaxLayersOpt = Annotated[
    int, typer.Option("--max-layers", min=1, help="Refuse networks that expand to more layers.")
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


def hide_parameter(command: Any, name: str) -> None:
    """Drop an option from a generated command's signature, so typer neither shows nor takes it."""
    import inspect

    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name != name]
    command.__signature__ = signature.replace(parameters=kept)


def load_networks(
    file: str | None,
    net: str | None,
    input_shape: str | None,
    sets: Sequence[str] | None,
    layers: str | None,
    max_layers: int,
) -> list[Network]:
    """The networks a command works on, after --net, --input, --layers and --set."""
    from cnncalc.spec.load import inline_network, load
    from cnncalc.spec.reader import unknown_network

    if layers is not None:
        if file is not None:
            raise CnnCalcError("give either FILE or --layers, not both", key="--layers")
        networks = [inline_network(layers, input_shape)]
    elif file is None:
        raise CnnCalcError("missing FILE; expected an architecture file, `-`, or --layers")
    else:
        networks = load(file, max_layers, only=net)
    if net is not None:
        chosen = [n for n in networks if n.name == net]
        if not chosen:
            names = [n.name for n in networks]
            raise unknown_network(net, names, networks[0].file)
        networks = chosen
    if input_shape is not None and layers is None:
        for n in networks:
            override_input(n, input_shape)
    if sets:
        from cnncalc.spec.symbols import substitute_inputs

        for n in networks:
            substitute_inputs(n, sets)
    return networks


def override_input(net: Network, text: str) -> None:
    from cnncalc.engine.walk import replace_input
    from cnncalc.spec.reader import Reader
    from cnncalc.spec.shorthand import parse_dims

    name, _, dims = text.rpartition("=")
    if not name:
        if len(net.inputs) != 1:
            raise CnnCalcError(
                "the network has several inputs; expected --input NAME=SIZES with NAME one of "
                + ", ".join(net.inputs),
                network=net.name,
                key="--input",
            )
        name = next(iter(net.inputs))
    reader = Reader.from_doc("--input", {})  # errors name the option, with no line
    shape = reader.read_shape(parse_dims(dims), (), net.name, "--input")
    replace_input(net, {name: shape})


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
    from cnncalc.reports.fold import fold
    from cnncalc.reports.tables import TABLES, by_type_json, by_type_table, network_json

    if depth is None and report == "summary" and fmt is Format.table:
        depth = 2  # blocks of blocks read best folded; JSON and CSV stay complete
    analyses = [fold(analyze(n), depth) for n in networks]
    if compare or convention is not None:
        return emit_conventions(report, analyses, fmt, dtype, convention, compare)
    if fmt is Format.json:
        from cnncalc.render.jsonstream import write_json

        docs = []
        for a in analyses:
            doc = network_json(a, report, dtype.value)
            if by_type:
                doc["by_type"] = by_type_json(a)
            docs.append(doc)
        write_json({"networks": docs}, sys.stdout)
        return
    from cnncalc.render.formats import render

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
    from cnncalc.reports.tables import network_json

    if compare and convention is not None:
        raise CnnCalcError("give either --compare or --convention, not both", key="--compare")
    if convention is not None and convention not in PRESETS:
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


def add_report_command(name: str, summary: str, example: str) -> None:
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
        max_layers: MaxLayersOpt = 1_000_000,
        plot: PlotOpt = False,
    ) -> None:
        from cnncalc.spec.reader import DEFAULT_MAX_LAYERS

        networks = load_networks(
            file, net, input_shape, sets, layers, max_layers or DEFAULT_MAX_LAYERS
        )
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
    app.command(name)(command)


COUNTED = ("macs", "summary")  # the reports that take --convention


for _name, (_summary, _example) in REPORTS.items():
    add_report_command(_name, _summary, _example)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"cnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Shapes, parameters, receptive fields and MACs of convolutional networks.

    Example: `cnncalc summary examples.toml --net vgg16`
    """


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code; every user error is one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result: Any = only_command(app, args)(args=args, prog_name="cnncalc", standalone_mode=False)
    except CnnCalcError as error:
        print(one_line(str(error)), file=sys.stderr)
        return EXIT_INVALID
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        print("cnncalc: aborted", file=sys.stderr)
        return EXIT_INVALID
    except typer.TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # `cnncalc` alone: show the help
            typer.echo(error.format_message())
            return EXIT_OK
        message = one_line(error.format_message()).replace("Value error, ", "")
        if not message:  # no arguments at all: the help was shown
            return EXIT_OK
        print(f"cnncalc: error: {message}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    return int(result) if isinstance(result, int) else EXIT_OK


def one_line(message: str) -> str:
    """One line for stderr: runs of white space folded, control characters made visible."""
    return printable(" ".join(message.split()))


def run() -> None:
    """The ``cnncalc`` program. One run builds acyclic data that reference counting frees;
    the cycle collector's passes over a large analysis would only cost time."""
    import gc

    gc.disable()
    sys.exit(main())


# --------------------------------------------------------------------------- pictures


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


def write_output(text: str, output: str | None) -> None:
    """Write to a file, or to standard output for none or `-`."""
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as error:
        raise CnnCalcError(f"cannot write the file: {error.strerror}", file=output) from None


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


@app.command("diagram")
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
    depth: DepthOpt = None,
    scale: ScaleOpt = None,
    max_layers: MaxLayersOpt = 1_000_000,
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
        write_output(diagram.dot(a, depth, how), output)
    else:
        write_output(diagram.svg_document(a, depth, how), output)


@app.command("report")
def report_command(
    file: FileArg = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    output: OutputOpt = None,
    depth: DepthOpt = None,
    scale: ScaleOpt = None,
    dtype: DtypeOpt = Dtype.float32,
    max_layers: MaxLayersOpt = 1_000_000,
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
    write_output(page(analyses, title, dtype.value, depth, how), output)


# --------------------------------------------------------------------------- check


class CheckFormat(StrEnum):
    text = "text"
    github = "github"
    json = "json"
    junit = "junit"


@app.command("check")
def check_command(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Architecture files, directories (every *.toml under them that holds a "
            "network) or quoted globs such as `'models/**/*.toml'`; `-` reads standard input.",
            metavar="FILE...",
            show_default=False,
        ),
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")
    ] = False,
    fmt: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            "-f",
            help="text; github (annotations, and a job summary when GITHUB_STEP_SUMMARY is "
            "set); json; junit (XML for CI test reports).",
            case_sensitive=False,
        ),
    ] = CheckFormat.text,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to this file; with json or junit the text report still "
            "goes to standard output.",
        ),
    ] = None,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="First write the exact current params, trainable_params, macs and output "
            "(and the values of existing layer expectations) into each [expect] table.",
        ),
    ] = False,
    skip_non_networks: Annotated[
        bool,
        typer.Option(
            "--skip-non-networks",
            help="Skip named TOML files that hold no network (for pre-commit hooks).",
        ),
    ] = False,
    max_layers: MaxLayersOpt = 1_000_000,
) -> int:
    """Check every network's expectations, budgets and warnings, for CI.

    Exit codes: 0 all pass; 1 an expectation failed (or a warning, with --strict);
    2 a file is invalid.

    Example: `cnncalc check models/ --format github`
    """
    import os

    from cnncalc.check.expect import run_check
    from cnncalc.check.formats import (
        github_annotations,
        github_summary,
        json_document,
        junit_xml,
        text_lines,
    )

    report = run_check(files, strict, max_layers, skip_non_networks, update)
    if fmt is CheckFormat.json:
        document = json.dumps(json_document(report), indent=2, ensure_ascii=False) + "\n"
    elif fmt is CheckFormat.junit:
        document = junit_xml(report)
    elif fmt is CheckFormat.github:
        document = github_annotations(report)
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            write_file(summary_file, github_summary(report), "a")
    else:
        document = "".join(line + "\n" for _, _, line in text_lines(report))
    if output is not None:
        write_file(output, document, "w")
        if fmt is not CheckFormat.text:
            print_check_text(text_lines(report))
    elif fmt is CheckFormat.text:
        print_check_text(text_lines(report))
    else:
        sys.stdout.write(document)
        for stream, _, text in text_lines(report):  # invalid files still get their one line
            if stream == "err":
                print(text, file=sys.stderr)
    return report.exit_code


def write_file(path: str, text: str, mode: str) -> None:
    try:
        with open(path, mode, encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        raise CnnCalcError(f"cannot write the file: {error.strerror}", file=path) from None


def print_check_text(lines: list[tuple[str, str, str]]) -> None:
    """Findings and summary on standard output, invalid-file errors on standard error."""
    from cnncalc.render.formats import styled_lines

    run: list[tuple[str, str]] = []
    for i, (stream, style, text) in enumerate(lines):
        run.append((style, text))
        if i + 1 == len(lines) or lines[i + 1][0] != stream:
            out = sys.stderr if stream == "err" else sys.stdout
            styled_lines(run, out)
            out.flush()
            run = []


# --------------------------------------------------------------------------- solve

CountOpt = Annotated[
    int, typer.Option("--count", "-c", min=1, max=1000, help="How many valid sizes to list.")
]


@app.command("solve")
def solve_command(
    file: FileArg = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    fmt: FormatOpt = Format.table,
    count: CountOpt = 5,
    max_layers: MaxLayersOpt = 1_000_000,
) -> None:
    """Valid values of the size symbols: no input pixel left unread, every output at least 1.

    For each symbol in `input` (`["H", "W", 3]`): the sizes for which no layer
    leaves input pixels unread, as a congruence (`H ≡ 0 (mod 32)`), the smallest
    size for which every output is at least 1, the first valid sizes, and what
    ties symbols together (a concat of two inputs, a reshape).

    Example: `cnncalc solve vgg16.toml --count 3`
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


class Target(StrEnum):
    pytorch = "pytorch"


@app.command("export")
def export(
    file: FileArg = None,
    to: Annotated[
        Target,
        typer.Option("--to", "-t", help="Framework to write code for.", case_sensitive=False),
    ] = Target.pytorch,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    activation_modules: Annotated[
        bool,
        typer.Option(
            "--activation-modules",
            help="Write activations as modules (`nn.ReLU()`), so that tools that count by "
            "module (torchinfo, ptflops, thop) see them.",
        ),
    ] = False,
    max_layers: MaxLayersOpt = 1_000_000,
) -> None:
    """Write runnable model code: one PyTorch nn.Module class per network, needing only torch.

    Layer names become attribute names, padding is exactly the padding cnncalc
    computed, and flatten and reshape keep cnncalc's channels-last order.

    Example: `cnncalc export examples.toml --net lenet5 --to pytorch -o lenet5.py`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.interop.torch_export import export_pytorch
    from cnncalc.spec.reader import DEFAULT_MAX_LAYERS

    networks = load_networks(file, net, input_shape, sets, layers, max_layers or DEFAULT_MAX_LAYERS)
    source = "--layers" if layers is not None else os.path.basename(file or "")
    analyses = [analyze(n) for n in networks]
    code = export_pytorch(analyses, source, activation_modules=activation_modules).code
    if output is None:
        sys.stdout.write(code)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(code)
    except OSError as error:
        raise CnnCalcError(f"cannot write the file: {error.strerror}", file=output) from None
    names = ", ".join(n.name for n in networks)
    print(f"wrote {output}: {names}", file=sys.stderr)


@app.command("import")
def import_(
    target: Annotated[
        str,
        typer.Argument(
            help="The PyTorch module, `FILE.py:ClassName`; built with no arguments.",
            show_default=False,
        ),
    ],
    input_shapes: Annotated[
        list[str],
        typer.Option(
            "--input",
            "-i",
            help="Input shape in cnncalc's order, e.g. `224x224x3` (or `NAME=96x96x3` for "
            "each of several inputs).",
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
) -> None:
    """Write the cnncalc TOML of a PyTorch nn.Module, traced with torch.fx (needs torch).

    Layers without a cnncalc equivalent are named in an error; an unknown activation
    (no parameters, same shape) is left out with a warning.

    Example: `cnncalc import model.py:ResNet --input 224x224x3 -o resnet.toml`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.spec.load import load_text
    from cnncalc.spec.shorthand import parse_dims

    shapes: dict[str, list[int]] = {}
    for text in input_shapes:
        name, _, dims = text.rpartition("=")
        sizes = parse_dims(dims)
        if any(not isinstance(s, int) for s in sizes):
            raise CnnCalcError(
                f"cannot read '{dims}'; expected sizes like 224x224x3", key="--input"
            )
        shapes[name or "input"] = [int(s) for s in sizes]
    try:
        import torch  # noqa: F401
    except ImportError:
        raise CnnCalcError("cnncalc import needs PyTorch: pip install torch") from None
    from cnncalc.interop.torch_import import import_torch

    imported = import_torch(target, shapes)
    text = imported.toml()
    for network in load_text(text, output or "<import>"):
        analyze(network)  # what cnncalc writes, cnncalc reads
    for warning in imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise CnnCalcError(f"cannot write the file: {error.strerror}", file=output) from None
    print(f"wrote {output}: {imported.name}", file=sys.stderr)
