"""Writing what a command produced: to standard output or to a file."""

import sys

from cnncalc.errors import CnnCalcError


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


def write_file(path: str, text: str, mode: str) -> None:
    try:
        with open(path, mode, encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        raise CnnCalcError(f"cannot write the file: {error.strerror}", file=path) from None
