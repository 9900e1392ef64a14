"""Table → text: a rich table, CSV or Markdown. The only module that imports rich."""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from fractions import Fraction
from typing import Any, TextIO

from cnncalc.errors import printable
from cnncalc.render.fit import BAR_CHARS, exact, fit, percent
from cnncalc.render.plots import Chart
from cnncalc.reports.tables import COUNT, SHARE, Table, text

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
    """The tables drawn by rich; ``stack=False`` gives rich one row per layer (see below).

    Written anywhere but a terminal, lines lose their trailing spaces, as the plain writer's do.
    """
    from rich.console import Console

    console = Console(file=out, width=console_width(), highlight=False, soft_wrap=False)
    if console.is_terminal:
        draw_tables(console, tables, stack)
        return
    with console.capture() as captured:
        draw_tables(console, tables, stack)
    out.write(strip_lines(captured.get()))


def strip_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n"))


def draw_tables(console: Any, tables: list[Table], stack: bool) -> None:
    from rich import box
    from rich.cells import cell_len
    from rich.markup import escape
    from rich.table import Table as RichTable
    from rich.text import Text

    plain = not console.is_terminal or console.no_color
    for n, full_table in enumerate(tables):
        table = fit(full_table, console.width, cell_len)
        if n:
            console.print()
        grid = RichTable(
            title=Text(table.title, style="bold"),
            title_justify="left",
            box=box.SIMPLE_HEAD if plain else box.ROUNDED,
            show_footer=table.footers is not None,
            header_style="bold",
            footer_style="bold",
        )
        footers = table.footers or [""] * len(table.headers)
        for i, title in enumerate(table.headers):
            widest = max(
                [cell_len(footers[i]), cell_len(title)]
                + [cell_len(line) for row in table.rows for line in row[i].split("\n")]
            )
            grid.add_column(
                escape(title),
                footer=Text(footers[i]),
                justify="right" if table.right[i] else "left",
                no_wrap=True,
                overflow="fold",
                min_width=widest,
                style="cyan" if table.kinds[i] == SHARE and not plain else None,
            )
        # rich spends about half a millisecond on every row. When no cell holds more than a
        # line, one row whose cells hold every line draws the same text in a fraction of the
        # time. (rich draws a cell of nothing but line breaks one line high.)
        one_line = all(v.isprintable() for r in table.rows for v in r)  # no tab, no fold
        columns = [list(column) for column in zip(*table.rows, strict=True)]
        if stack and one_line and any(any(column) for column in columns):
            grid.add_row(*(Text("\n".join(column)) for column in columns))
        else:
            for row in table.rows:
                grid.add_row(*(Text(value) for value in row))
        console.print(grid)
        for note in table.notes:
            console.print(Text(note, style="dim"))
        for warning in table.warnings:
            console.print(Text(warning, style="yellow"))


def tables(tables: list[Table], out: TextIO) -> None:
    """The table format: without rich where that gives the same text, else with rich."""
    if not plain_tables(tables, out):
        rich_tables(tables, out)


def plain_tables(tables: list[Table], out: TextIO) -> bool:
    """Write the tables as rich would to a pipe or file, without rich; False if unsure."""
    from cnncalc.render.plaintable import layout, plain_target

    width = console_width()
    if width is None or not plain_target(out):
        return False
    texts = []
    for table in tables:
        fitted = fit(table, width)
        text = layout(
            fitted.title,
            fitted.headers,
            fitted.right,
            fitted.rows,
            fitted.footers,
            fitted.notes + fitted.warnings,
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
        # the title is "NAME: SIZES → SIZES" and sizes hold no ": ", so the last one ends the
        # name, which may hold colons itself (team:a and team:b are two networks)
        net = csv_text(table.title.rsplit(": ", 1)[0])
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
    return csv_text(text(value))


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def csv_text(value: str) -> str:
    """A cell a spreadsheet shows as the text it is. Control characters are escaped, and text
    that starts with = + - or @ (a formula to Excel or LibreOffice: =HYPERLINK(…), @SUM(…))
    gets a leading apostrophe, as OWASP's CSV-injection advice says; numbers stay numbers."""
    value = printable(value)
    if value[:1] in ("=", "+", "-", "@") and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def md_escape(value: str) -> str:
    """Markdown table cells: no pipes, no HTML, no control characters."""
    text = printable(value).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def markdown_tables(tables: list[Table], out: TextIO) -> None:
    for n, table in enumerate(t.for_reading() for t in tables):
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


# --------------------------------------------------------------------------- charts

CHART_STYLES = ("cyan", "magenta")
MIN_BAR = 6
CHART_PIPE_WIDTH = 100  # a chart written to a file or pipe, where no terminal sets the width


def bar_cells(fraction: float, width: int) -> str:
    """A bar ``fraction`` of ``width`` cells long, in eighths; a non-zero value shows at least ▏."""
    eighths = round(max(0.0, min(fraction, 1.0)) * width * 8)
    if fraction > 0 and eighths == 0:
        eighths = 1
    full, rest = divmod(eighths, 8)
    return "█" * full + (BAR_CHARS[rest] if rest else "")


def cut(label: str, width: int) -> str:
    return label if len(label) <= width else label[: max(width - 1, 0)] + "…"


def chart_lines(chart: Chart, width: int) -> list[list[tuple[str, str | None]]]:
    """Each row as (text, style) pieces that fill at most ``width`` cells when it can be done.

    Every series gets a column of `` │ bar text``; the bars share what the
    labels and texts leave, and long labels are cut before bars shrink below
    a few cells.
    """
    labels = [printable(label) for label in chart.labels]  # names from the file
    text_ws = [max((len(t) for t in s.texts), default=0) for s in chart.series]
    fixed = sum(4 + w for w in text_ws)
    longest = max((len(s) for s in labels), default=0)
    label_w = min(longest, max(width // 3, 8))
    columns = max(len(chart.series), 1)
    bar_w = (width - label_w - 1 - fixed) // columns
    if bar_w < MIN_BAR:
        label_w = max(min(longest, width - 1 - fixed - MIN_BAR * columns), 8)
        bar_w = max((width - label_w - 1 - fixed) // columns, MIN_BAR)
    rows: list[list[tuple[str, str | None]]] = []
    head: list[tuple[str, str | None]] = [(" " * label_w + " ", None)]
    for series, text_w in zip(chart.series, text_ws, strict=True):
        head.append(
            (" │ " + cut(series.title, bar_w + 1 + text_w).ljust(bar_w + 1 + text_w), "bold")
        )
    rows.append(head)
    for i, label in enumerate(labels):
        row: list[tuple[str, str | None]] = [(cut(label, label_w).ljust(label_w) + " ", None)]
        for k, (series, text_w) in enumerate(zip(chart.series, text_ws, strict=True)):
            most = max((v for v in series.values if v is not None), default=0.0)
            value = series.values[i]
            drawn = bar_cells(value / most, bar_w) if value is not None and most > 0 else ""
            row.append((" │ ", None))
            row.append((drawn.ljust(bar_w), CHART_STYLES[k % len(CHART_STYLES)]))
            row.append((" " + series.texts[i].rjust(text_w), None))
        rows.append(row)
    return rows


def render_charts(charts: list[Chart], out: TextIO) -> None:
    """Horizontal bar charts that fit the terminal; the bars need no colour to read."""
    from rich.console import Console

    console = Console(file=out, width=console_width(), highlight=False, soft_wrap=False)
    if console.is_terminal:
        draw_charts(console, charts)
        return
    with console.capture() as captured:
        draw_charts(console, charts)
    out.write(strip_lines(captured.get()))


def draw_charts(console: Any, charts: list[Chart]) -> None:
    from rich.text import Text

    piped = not console.is_terminal and "COLUMNS" not in os.environ
    width = min(console.width, CHART_PIPE_WIDTH) if piped else console.width
    for n, chart in enumerate(charts):
        if n:
            console.print()
        console.print(Text(printable(chart.title), style="bold"), overflow="fold")
        for row in chart_lines(chart, width):
            line = Text(no_wrap=True, overflow="crop")
            for piece, style in row:
                line.append(piece, style=style)
            console.print(line, no_wrap=True, overflow="crop", crop=True)
        for note in chart.notes:
            console.print(Text(printable(note), style="dim"))


def styled_lines(lines: list[tuple[str, str]], out: TextIO) -> None:
    """(rich style, text) lines: coloured on a terminal that allows colour, plain otherwise."""
    if not out.isatty() or os.environ.get("NO_COLOR"):
        out.write("".join(line + "\n" for _, line in lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=True)
    for style, line in lines:
        console.print(Text(line, style=style))
