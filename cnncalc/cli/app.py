"""The typer application: its commands, and the entry point that turns errors into exit codes.

The command line (this subpackage) is the only place that prints or exits. No ``from
__future__ import annotations`` in it: typer reads every command's annotations when the
program starts, and string annotations cost it several milliseconds to evaluate.
"""

import io
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from cnncalc import __version__
from cnncalc.cli import check, interop, memory, pictures, reports
from cnncalc.cli.lean import LeanGroup, only_command
from cnncalc.errors import EXIT_INVALID, EXIT_OK, CnnCalcError, printable

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

# The command list of `cnncalc --help`: one line each, short enough not to be cut off.
SHORT_HELP = {
    "shapes": "Output shape and padding of every layer.",
    "params": "Parameters per layer, trainable and not; memory.",
    "receptive-field": "Receptive-field size, stride and start per layer.",
    "macs": "Multiply-accumulates per layer, or as other tools count.",
    "summary": "Shapes, parameters, MACs and fields in one table.",
    "diagram": "Draw the network as SVG or Graphviz DOT.",
    "report": "Write a self-contained HTML report.",
    "check": "Check expectations, budgets and warnings, for CI.",
    "solve": "Which input sizes are valid for size symbols.",
    "memory": "Training and inference memory: will it fit?",
    "export": "Write a PyTorch nn.Module for each network.",
    "import": "Write the TOML of an ONNX, Keras or PyTorch model.",
}
COMMANDS: dict[str, Any] = {
    **{
        name: reports.report_command(name, summary, example)
        for name, (summary, example) in reports.REPORTS.items()
    },
    "diagram": pictures.diagram_command,
    "report": pictures.report_command,
    "check": check.check_command,
    "solve": reports.solve_command,
    "memory": memory.memory_command,
    "export": interop.export,
    "import": interop.import_,
}
for _name, _command in COMMANDS.items():
    app.command(_name, short_help=SHORT_HELP[_name])(_command)


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
        sys.stdout.flush()  # a full disk fails here, inside main, not at exit
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
        silence_stdout()
        return EXIT_OK
    except OSError as error:  # standard output on a full disk (> /dev/full), a quota, …
        silence_stdout()
        print(f"cnncalc: error: cannot write the output: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID
    return int(result) if isinstance(result, int) else EXIT_OK


def silence_stdout() -> None:
    """Point standard output at /dev/null: what is left in its buffer cannot fail again at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (a test's capture): nothing is flushed at exit


def one_line(message: str) -> str:
    """One line for stderr: runs of white space folded, control characters made visible."""
    return printable(" ".join(message.split()))


def run() -> None:
    """The ``cnncalc`` program. One run builds acyclic data that reference counting frees;
    the cycle collector's passes over a large analysis would only cost time."""
    import gc

    gc.disable()
    sys.exit(main())
