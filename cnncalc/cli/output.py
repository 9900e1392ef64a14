"""Writing what a command produced: to standard output or, never over its input, to a file."""

import sys
from collections.abc import Sequence

from cnncalc.errors import CnnCalcError
from cnncalc.files import refuse_inputs, write_atomically


def write_output(text: str, output: str | None, inputs: Sequence[str] = ()) -> None:
    """Write to a file, or to standard output for none or `-`."""
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    refuse_inputs(output, inputs)
    write_atomically(output, text)


def append_file(path: str, text: str) -> None:
    """Add to a file another program owns (GitHub's job summary)."""
    try:
        with open(path, "a", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        raise CnnCalcError(f"cannot write the file: {error.strerror}", file=path) from None
