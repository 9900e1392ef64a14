"""Tables fitted to a width before they are drawn: which columns show, where names fold.

Both table writers (rich on a terminal, the plain writer for pipes) draw what :func:`fit`
decides, so a table reads the same either way. The layer name gets its room first: a table
too wide for the terminal first shows its totals rounded, then abbreviates layer types,
then hides the least important columns, and only then folds names, at ``.`` and ``_``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import printable
from cnncalc.reports.tables import COUNT, SHARE, Table, text
from cnncalc.symbolic.arith import is_formula, is_int

UNITS = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))
BAR_WIDTH = 10
BAR_CHARS = " ▏▎▍▌▋▊▉█"


def human(value: Any) -> str:
    """138357544 → '138.36 M': short, for reading; totals rows keep the exact integer."""
    if is_formula(value):
        from cnncalc.symbolic.substitute import linearize
        from cnncalc.symbolic.text import human as human_formula

        return human_formula(linearize(value))
    if not is_int(value):
        return text(value)
    for size, unit in UNITS:
        if abs(value) >= size:
            return f"{value / size:.2f} {unit}"
    return str(value)


def exact(value: Any) -> str:
    if is_formula(value):  # a count: the polynomial that holds for multiples of the period
        from cnncalc.symbolic.substitute import linearize
        from cnncalc.symbolic.text import decimal

        return decimal(linearize(value))
    return f"{value:,}" if is_int(value) else text(value)


def percent(value: Any) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"


def bar(value: Any) -> str:
    """A share drawn in eighths of a character, so small layers still show."""
    if value is None:
        return ""
    eighths = round(float(value) * BAR_WIDTH * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (BAR_CHARS[rest] if rest else "")).ljust(BAR_WIDTH)


def cell(value: Any, kind: str, total_row: bool) -> str:
    if value is None:
        return ""
    if kind == COUNT:
        return exact(value) if total_row else human(value)
    if kind == SHARE:
        return percent(value) if total_row else f"{bar(value)} {percent(value):>6}"
    return text(value)


# --------------------------------------------------------------------------- fitting

Measure = Callable[[str], int]
FOLDED_MIN = 8  # a name is cut into pieces this wide only when no fold at . or _ fits
SEPARATORS = "._ "


@dataclass
class Fitted:
    """A table ready to draw, every cell a text; a cell may hold line breaks (a folded name)."""

    title: str
    headers: list[str]
    right: list[bool]  # right-justified (numbers)
    rows: list[list[str]]
    footers: list[str] | None
    notes: list[str]  # the lines after the table, wrapped to the width where they can be
    warnings: list[str]
    kinds: list[str]  # the shown columns' cell kinds


def table_width(widths: Sequence[int]) -> int:
    """A table's width: a space of padding each side of every cell, a rule between cells."""
    return sum(widths) + 3 * len(widths) + 1


def pieces(text: str) -> list[str]:
    """``bottleneck_down1.conv1`` → ``bottleneck_``, ``down1.``, ``conv1``: where a name folds."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in SEPARATORS:
            out.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        out.append(text[start:])
    return out or [""]


def fold(text: str, width: int, measure: Measure, chop: bool) -> str:
    """Lines of at most ``width`` cells, broken after ``.``, ``_`` or a space (or anywhere)."""
    lines: list[str] = []
    line = ""
    for piece in pieces(text):
        if line and measure(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += piece
        while chop and measure(line.rstrip()) > width:
            cut = width
            while cut > 1 and measure(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    lines.append(line.rstrip())
    return "\n".join(lines)


def longest(text: str, measure: Measure) -> int:
    return max(measure(line) for line in text.split("\n"))


def fit(table: Table, width: int, measure: Measure = len) -> Fitted:
    """``table`` as text arranged to fit ``width`` cells, when that can be done."""
    table = table.for_reading()
    cols = table.columns
    shown = list(range(len(cols)))
    rows = [
        [printable(cell(v, c.kind, False)) for v, c in zip(row, cols, strict=True)]
        for row in table.rows
    ]
    footers = None
    if table.totals is not None:
        footers = [
            printable(cell(v, c.kind, True)) for v, c in zip(table.totals, cols, strict=True)
        ]
    hidden: list[str] = []

    def widths() -> list[int]:
        out = []
        for i in shown:
            texts = [cols[i].title] + [r[i] for r in rows] + ([footers[i]] if footers else [])
            out.append(max(longest(t, measure) for t in texts))
        return out

    def excess() -> int:
        return table_width(widths()) - width

    exact_footers, full_rows = footers, [list(r) for r in rows]
    if excess() > 0 and footers is not None and table.totals is not None:
        short = [printable(cell(v, c.kind, False)) for v, c in zip(table.totals, cols, strict=True)]
        footers = [
            s if c.kind == COUNT else f for s, f, c in zip(short, footers, cols, strict=True)
        ]
    if excess() > 0:
        for i, c in enumerate(cols):
            if c.abbreviate is not None:
                for r in rows:
                    r[i] = c.abbreviate(r[i])
    while excess() > 0:
        optional = [i for i in shown if cols[i].optional]
        if not optional:
            break
        shown.remove(optional[-1])
        hidden.append(cols[optional[-1]].title)
    if hidden:  # with a column less, full texts and exact totals may fit again
        short_rows, rows = rows, full_rows
        if excess() > 0:
            rows = short_rows
        short_footers, footers = footers, exact_footers
        if excess() > 0:
            footers = short_footers
    rounded = footers != exact_footers
    for chop in (False, True):
        for i in reversed([i for i in shown if cols[i].fold]):  # the first (the name) folds last
            over = excess()
            if over <= 0:
                break
            now = max(longest(r[i], measure) for r in rows) if rows else 0
            floor = max([measure(cols[i].title)] + ([measure(footers[i])] if footers else []))
            if chop:
                floor = max(floor, FOLDED_MIN)
            else:
                floor = max([floor] + [measure(p.rstrip()) for r in rows for p in pieces(r[i])])
            target = max(now - over, floor)
            if target < now:
                for r in rows:
                    r[i] = fold(r[i].replace("\n", ""), target, measure, chop)
    notes = [printable(n) for n in table.notes]
    if hidden or rounded:
        what = (["totals rounded"] if rounded else []) + (
            [" and ".join(reversed(hidden)) + " hidden"] if hidden else []
        )
        notes.append(
            f"to fit {width} characters: {', '.join(what)} "
            "(widen the terminal, set COLUMNS, or use --format csv)"
        )
    return Fitted(
        printable(table.title),
        [cols[i].title for i in shown],
        [cols[i].kind in (COUNT, SHARE) for i in shown],
        [[r[i] for i in shown] for r in rows],
        None if footers is None else [footers[i] for i in shown],
        wrap(notes, width),
        wrap(["warning: " + printable(w) for w in table.warnings], width),
        [cols[i].kind for i in shown],
    )


def wrap(lines: list[str], width: int) -> list[str]:
    """Lines broken at spaces to fit ``width``, as rich would break them."""
    return [
        part
        for line in lines
        for part in (
            textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [line]
        )
    ]
