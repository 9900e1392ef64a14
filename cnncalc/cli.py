"""The command line (typer): the only module that prints or exits."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer

from . import __version__
from .errors import EXIT_INVALID, EXIT_OK, CnnCalcError
from .network import Network

app = typer.Typer(
    name="cnncalc",
    help="Shapes, parameters, receptive fields and MACs of convolutional networks, "
    "computed from a TOML layer spec before you write any model code.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
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
    from . import spec

    if layers is not None:
        if file is not None:
            raise CnnCalcError("give either FILE or --layers, not both", key="--layers")
        networks = [spec.inline_network(layers, input_shape)]
    elif file is None:
        raise CnnCalcError("missing FILE; expected an architecture file, `-`, or --layers")
    else:
        networks = spec.load(file, max_layers)
        if input_shape is not None:
            for n in networks:
                override_input(n, input_shape)
    if net is not None:
        chosen = [n for n in networks if n.name == net]
        if not chosen:
            names = [n.name for n in networks]
            raise CnnCalcError(
                f"no network '{net}'{spec.suggest(net, names)}; the file has " + ", ".join(names),
                file=networks[0].file,
                key="--net",
            )
        networks = chosen
    if sets:
        from .symbols import substitute_inputs

        for n in networks:
            substitute_inputs(n, sets)
    return networks


def override_input(net: Network, text: str) -> None:
    from .engine import replace_input
    from .spec import Reader, parse_dims

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
    reader = Reader.__new__(Reader)
    reader.file, reader.lines = "--input", {}
    shape = reader.read_shape(parse_dims(dims), (), net.name, "--input")
    replace_input(net, {name: shape})


def emit_reports(
    report: str,
    networks: list[Network],
    fmt: Format,
    dtype: Dtype,
    convention: str | None = None,
    compare: bool = False,
) -> None:
    from .engine import analyze
    from .reports import TABLES, network_json

    analyses = [analyze(n) for n in networks]
    if compare or convention is not None:
        return emit_conventions(report, analyses, fmt, dtype, convention, compare)
    if fmt is Format.json:
        doc = {"networks": [network_json(a, report, dtype.value) for a in analyses]}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    from .render import render

    render([TABLES[report](a, dtype.value) for a in analyses], fmt.value, sys.stdout)


def emit_conventions(
    report: str,
    analyses: list[Any],
    fmt: Format,
    dtype: Dtype,
    convention: str | None,
    compare: bool,
) -> None:
    """``--convention NAME``: the report counted as a peer tool counts; ``--compare``: all."""
    from . import convention_report as cr
    from .conventions import PRESETS
    from .reports import network_json

    if compare and convention is not None:
        raise CnnCalcError("give either --compare or --convention, not both", key="--compare")
    if convention is not None and convention not in PRESETS:
        from .spec import suggest

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
        sys.stdout.write(json.dumps({"networks": docs}, indent=2, ensure_ascii=False) + "\n")
        return
    from .render import render

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
        convention: ConventionOpt = None,
        compare: CompareOpt = False,
        max_layers: MaxLayersOpt = 1_000_000,
    ) -> None:
        from .spec import DEFAULT_MAX_LAYERS

        networks = load_networks(
            file, net, input_shape, sets, layers, max_layers or DEFAULT_MAX_LAYERS
        )
        emit_reports(name, networks, fmt, dtype, convention, compare)

    command.__doc__ = f"{summary}\n\nExample: `{example}`"
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
        result: Any = app(args=args, prog_name="cnncalc", standalone_mode=False)
    except CnnCalcError as error:
        print(one_line(str(error)), file=sys.stderr)
        return EXIT_INVALID
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        print("cnncalc: aborted", file=sys.stderr)
        return EXIT_INVALID
    except typer.TyperException as error:
        message = one_line(error.format_message()).replace("Value error, ", "")
        if not message:  # no arguments at all: the help was shown
            return EXIT_OK
        print(f"cnncalc: error: {message}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    return int(result) if isinstance(result, int) else EXIT_OK


def one_line(message: str) -> str:
    return " ".join(message.split())


def run() -> None:
    sys.exit(main())


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
    from .engine import analyze
    from .spec import DEFAULT_MAX_LAYERS
    from .torch_export import export_pytorch

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
