"""The command line (typer): the only module that prints or exits.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer

from . import __version__
from .errors import EXIT_INVALID, EXIT_OK, CnnCalcError
from .lean import LeanGroup, only_command
from .network import Network

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
MaxLayersOpt = Annotated[
    int, typer.Option("--max-layers", min=1, help="Refuse networks that expand to more layers.")
]


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
        networks = spec.load(file, max_layers, only=net)
        if input_shape is not None:
            for n in networks:
                override_input(n, input_shape)
    if net is not None:
        chosen = [n for n in networks if n.name == net]
        if not chosen:
            names = [n.name for n in networks]
            raise spec.unknown_network(net, names, networks[0].file)
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


def emit_reports(report: str, networks: list[Network], fmt: Format, dtype: Dtype) -> None:
    from .engine import analyze
    from .reports import TABLES, network_json

    analyses = [analyze(n) for n in networks]
    if fmt is Format.json:
        from .jsonstream import write_json

        doc = {"networks": [network_json(a, report, dtype.value) for a in analyses]}
        write_json(doc, sys.stdout)
        return
    from .render import render

    render([TABLES[report](a, dtype.value) for a in analyses], fmt.value, sys.stdout)


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
        "Multiply-accumulates per layer and their share of the total.",
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
        max_layers: MaxLayersOpt = 1_000_000,
    ) -> None:
        from .spec import DEFAULT_MAX_LAYERS

        networks = load_networks(
            file, net, input_shape, sets, layers, max_layers or DEFAULT_MAX_LAYERS
        )
        emit_reports(name, networks, fmt, dtype)

    command.__doc__ = f"{summary}\n\nExample: `{example}`"
    app.command(name)(command)


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
    return " ".join(message.split())


def run() -> None:
    """The ``cnncalc`` program. One run builds acyclic data that reference counting frees;
    the cycle collector's passes over a large analysis would only cost time."""
    import gc

    gc.disable()
    sys.exit(main())
