"""Tables for a pipe or a file, character for character as rich draws them there, without rich.

Written to a terminal, cnncalc's tables are rich tables. Written anywhere else (``| less``,
``> file``, a CI log) rich leaves out colour and draws the plain ``SIMPLE_HEAD`` box; loading
and running rich for that costs more than the whole analysis of a network, and about half a
millisecond per row. :func:`layout` writes the same text itself when it can be sure it is the
same: every character is one cell wide and the table, its title and its notes fit the width,
so rich would neither wrap nor fold anything. Otherwise it returns None and the caller uses
rich. ``tests/test_plaintable.py`` renders many tables both ways and compares them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

# Characters rich counts as one cell: printable ASCII and the few symbols cnncalc writes.
ONE_CELL = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("→×…⋮─█▉▊▋▌▍▎▏")
RULE = "─"
PADDING = 1  # spaces each side of a cell
# Environment variables with which rich treats a pipe as a terminal, or may.
TERMINAL_HINTS = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")


def plain_target(out: TextIO) -> bool:
    """Whether rich would write to ``out`` without any styling: not a terminal, UTF-8."""
    if sys.platform == "win32" or any(hint in os.environ for hint in TERMINAL_HINTS):
        return False
    if "IPython" in sys.modules or "ipykernel" in sys.modules:
        return False
    try:
        if out.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    encoding = getattr(out, "encoding", None)
    return encoding is None or encoding.lower().startswith("utf")


def one_cell(text: str) -> bool:
    return ONE_CELL.issuperset(text)


def layout(
    title: str,
    headers: Sequence[str],
    right: Sequence[bool],
    rows: Sequence[Sequence[str]],
    footers: Sequence[str] | None,
    notes: Sequence[str],
    width: int,
) -> str | None:
    """The table as rich prints it to a non-terminal ``width`` cells wide, or None when unsure.

    ``right`` says which columns are right-justified; ``notes`` are the lines printed after
    the table. A cell may hold line breaks (a folded name). Lines end without the spaces rich
    pads them with.
    """
    columns = len(headers)
    texts = [title, *headers, *notes, *(footers or ())]
    if not all(one_cell(t) for t in texts) or any(":" in h for h in headers):
        return None  # (a colon could start an emoji code in a rich header)
    widths = [len(h) for h in headers]
    if footers is not None:
        widths = [max(w, len(f)) for w, f in zip(widths, footers, strict=True)]
    split = [[value.split("\n") for value in row] for row in rows]
    for row in split:
        for i, lines in enumerate(row):
            for line in lines:
                if len(line) > widths[i]:
                    widths[i] = len(line)
                if not one_cell(line):
                    return None
    total = sum(widths) + 2 * PADDING * columns + columns + 1
    if total > width or len(title) > total or any(len(n) > width for n in notes):
        return None
    lines = [title, ""] if title else [""]
    lines.append(_line(headers, widths, right))
    lines.append(" " + RULE * (total - 2))
    for row in split:
        height = max(len(cell) for cell in row)
        for k in range(height):
            lines.append(_line([c[k] if k < len(c) else "" for c in row], widths, right))
    if footers is not None:
        lines += ["", _line(footers, widths, right)]
    lines.append("")
    lines.extend(notes)
    return "".join(line.rstrip() + "\n" for line in lines)


def _line(values: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    cells = [
        (value.rstrip().rjust(w) if r else value.ljust(w))
        for value, w, r in zip(values, widths, right, strict=True)
    ]
    return ("  " + "   ".join(cells)).rstrip()
