"""Table → text: a rich table, CSV or Markdown. The only module that imports rich."""

from __future__ import annotations

import csv
import io
import os
import sys
from fractions import Fraction
from typing import Any, TextIO

from .arith import is_int
from .reports import COUNT, SHARE, Table, text

UNITS = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))
BAR_WIDTH = 10
BAR_CHARS = " ▏▎▍▌▋▊▉█"


def human(value: Any) -> str:
    """138357544 → '138.36 M': short, for reading; totals rows keep the exact integer."""
    if not is_int(value):
        return text(value)
    for size, unit in UNITS:
        if abs(value) >= size:
            return f"{value / size:.2f} {unit}"
    return str(value)


def exact(value: Any) -> str:
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


# --------------------------------------------------------------------------- rich


def console_width() -> int | None:
    """The terminal's width; piped output gets room enough not to fold numbers."""
    if "COLUMNS" in os.environ:
        try:
            return max(int(os.environ["COLUMNS"]), 40)
        except ValueError:
            return None
    return None if sys.stdout.isatty() else 160


def rich_tables(tables: list[Table], out: TextIO, stack: bool = True) -> None:
    """The tables drawn by rich; ``stack=False`` gives rich one row per layer (see below)."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table as RichTable
    from rich.text import Text

    console = Console(file=out, width=console_width(), highlight=False, soft_wrap=False)
    plain = not console.is_terminal or console.no_color
    for n, table in enumerate(tables):
        if n:
            console.print()
        grid = RichTable(
            title=Text(table.title, style="bold"),
            title_justify="left",
            box=box.SIMPLE_HEAD if plain else box.ROUNDED,
            show_footer=table.totals is not None,
            header_style="bold",
            footer_style="bold",
        )
        for i, col in enumerate(table.columns):
            numeric = col.kind in (COUNT, SHARE)
            footer = cell(table.totals[i], col.kind, True) if table.totals else ""
            grid.add_column(
                escape(col.title),
                footer=Text(footer),
                justify="right" if numeric else "left",
                no_wrap=numeric,
                overflow="fold",
                style="cyan" if col.kind == SHARE and not plain else None,
            )
        cells = [
            [cell(v, c.kind, False) for v, c in zip(row, table.columns, strict=True)]
            for row in table.rows
        ]
        # rich spends about half a millisecond on every row. When no cell will wrap (the
        # table fits and every cell is printable text), one row whose cells hold every line
        # draws the same text in a fraction of the time.
        heads = [
            (c.title, cell(t, c.kind, True))
            for c, t in zip(table.columns, table.totals or [None] * len(table.columns), strict=True)
        ]
        widths = [max(cell_len(h), cell_len(f)) for h, f in heads]
        for row in cells:
            widths = [max(w, cell_len(v)) for w, v in zip(widths, row, strict=True)]
        fits = sum(widths) + 3 * len(widths) + 1 <= console.width
        plain_lines = all(v.isprintable() for r in cells for v in r)  # no tab, no line break
        columns = [list(column) for column in zip(*cells, strict=True)]
        # (rich draws a cell of nothing but line breaks one line high)
        if stack and fits and plain_lines and any(any(column) for column in columns):
            grid.add_row(*(Text("\n".join(column)) for column in columns))
        else:
            for row in cells:
                grid.add_row(*(Text(value) for value in row))
        console.print(grid)
        for note in table.notes:
            console.print(Text(note, style="dim"))
        for warning in table.warnings:
            console.print(Text("warning: " + warning, style="yellow"))


def tables(tables: list[Table], out: TextIO) -> None:
    """The table format: without rich where that gives the same text, else with rich."""
    if not plain_tables(tables, out):
        rich_tables(tables, out)


def plain_tables(tables: list[Table], out: TextIO) -> bool:
    """Write the tables as rich would to a pipe or file, without rich; False if unsure."""
    from .plaintable import layout, plain_target

    width = console_width()
    if width is None or not plain_target(out):
        return False
    texts = []
    for table in tables:
        cols = table.columns
        text = layout(
            table.title,
            [c.title for c in cols],
            [c.kind in (COUNT, SHARE) for c in cols],
            [
                [cell(v, c.kind, False) for v, c in zip(row, cols, strict=True)]
                for row in table.rows
            ],
            None
            if table.totals is None
            else [cell(v, c.kind, True) for v, c in zip(table.totals, cols, strict=True)],
            table.notes + ["warning: " + w for w in table.warnings],
            width,
        )
        if text is None:
            return False
        texts.append(text)
    out.write("\n".join(texts))
    return True


# --------------------------------------------------------------------------- csv, markdown


def csv_tables(tables: list[Table], out: TextIO) -> None:
    """One CSV with a network column, exact numbers, and a 'total' row per network."""
    writer = csv.writer(out, lineterminator="\n")
    cols = tables[0].columns if tables else []
    writer.writerow(["network"] + [c.key for c in cols])
    for table in tables:
        net = table.title.split(":", 1)[0]
        for row in table.rows:
            writer.writerow(
                [net] + [csv_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
            )
        if table.totals:
            writer.writerow(
                [net]
                + [csv_cell(v, c.kind) for v, c in zip(table.totals, table.columns, strict=True)]
            )


def csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == SHARE and isinstance(value, Fraction):
        return f"{float(value):.6f}"
    return text(value)


def md_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_tables(tables: list[Table], out: TextIO) -> None:
    for n, table in enumerate(tables):
        if n:
            out.write("\n")
        out.write(f"### {md_escape(table.title)}\n\n")
        out.write("| " + " | ".join(md_escape(c.title) for c in table.columns) + " |\n")
        out.write(
            "|"
            + "|".join("---:" if c.kind in (COUNT, SHARE) else "---" for c in table.columns)
            + "|\n"
        )
        rows = table.rows + ([table.totals] if table.totals else [])
        for i, row in enumerate(rows):
            is_total = table.totals is not None and i == len(rows) - 1
            cells = [md_escape(md_cell(v, c.kind)) for v, c in zip(row, table.columns, strict=True)]
            if is_total:
                cells = [f"**{c}**" if c else "" for c in cells]
            out.write("| " + " | ".join(cells) + " |\n")
        for note in table.notes:
            out.write(f"\n{md_escape(note)}\n")
        for warning in table.warnings:
            out.write(f"\n> warning: {md_escape(warning)}\n")


def md_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == COUNT:
        return exact(value)
    if kind == SHARE:
        return percent(value)
    return text(value)


RENDERERS = {"table": tables, "csv": csv_tables, "markdown": markdown_tables}


def render(tables: list[Table], fmt: str, out: TextIO | None = None) -> str:
    """Render into ``out`` (or return the text when it is None)."""
    if out is not None:
        RENDERERS[fmt](tables, out)
        return ""
    buffer = io.StringIO()
    RENDERERS[fmt](tables, buffer)
    return buffer.getvalue()
