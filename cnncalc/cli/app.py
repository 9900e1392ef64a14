"""The typer application: its commands, and the entry point that turns errors into exit codes.

The command line (this subpackage) is the only place that prints or exits. No ``from
__future__ import annotations`` in it: typer reads every command's annotations when the
program starts, and string annotations cost it several milliseconds to evaluate.
"""

import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from cnncalc import __version__
from cnncalc.cli.lean import LeanGroup
from cnncalc.errors import EXIT_INVALID, EXIT_OK, CnnCalcError, printable
from cnncalc.spec import parsecache

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
# Where each command's function lives (module of cnncalc.cli, name): a run imports the
# module of its own command only. The report commands are made by reports.report_command.
COMMANDS: dict[str, tuple[str, str | None]] = {
    **{name: ("reports", None) for name in ("shapes", "params", "receptive-field", "macs")},
    "summary": ("reports", None),
    "diagram": ("pictures", "diagram_command"),
    "report": ("pictures", "report_command"),
    "check": ("check", "check_command"),
    "solve": ("reports", "solve_command"),
    "memory": ("memory", "memory_command"),
    "export": ("interop", "export"),
    "import": ("interop", "import_"),
}


def command_function(name: str) -> Any:
    """The function of command ``name``, its module imported now."""
    module_name, attribute = COMMANDS[name]
    module = importlib.import_module(f"cnncalc.cli.{module_name}")
    if attribute is None:
        return module.report_command(name, *module.REPORTS[name])
    return getattr(module, attribute)


def make_app(names: Sequence[str]) -> typer.Typer:
    """The typer application with the commands ``names`` (typer reads each one's signature)."""
    made = typer.Typer(
        cls=LeanGroup,
        name="cnncalc",
        help="Shapes, parameters, receptive fields and MACs of convolutional networks, "
        "computed from a TOML layer spec before you write any model code.",
        epilog="A file of 8 KiB or more is parsed once: its parsed form is kept in the user's "
        "cache directory (~/.cache/cnncalc). CNNCALC_NO_CACHE=1 turns that off.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in names:
        made.command(name, short_help=SHORT_HELP[name])(command_function(name))
    made.callback()(root)
    return made


_whole: list[typer.Typer] = []  # the application with every command, made when first needed


def whole_app() -> typer.Typer:
    if not _whole:
        _whole.append(make_app(list(COMMANDS)))
    return _whole[0]


def app_for(args: Sequence[str]) -> typer.Typer:
    """The application for a command line: only its command when it starts with one.

    typer builds every command it has before it reads the command line, and each command's
    module costs its imports. Anything else (no command, an option, a misspelt name) gets
    the whole application, so help and "No such command" suggestions list every command.
    """
    if args and args[0] in COMMANDS:
        return make_app([args[0]])
    return whole_app()


def __getattr__(name: str) -> Any:
    """``app``: the whole application (for tools that look for a typer app here)."""
    if name == "app":
        return whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"cnncalc {__version__}")
        raise typer.Exit()


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
    parsecache.enable()  # a user runs the same files many times a minute
    try:
        result: Any = app_for(args)(args=args, prog_name="cnncalc", standalone_mode=False)
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
