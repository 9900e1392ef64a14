"""Tests for cnncalc.render.formats's rich tables: one stacked row draws what one row per layer
draws."""

from __future__ import annotations

import io
import os
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from test_plaintable import Pipe, a_table, quiet_env

from cnncalc.render.formats import rich_tables
from cnncalc.reports.tables import COUNT, Column, Table
from conftest import examples


def drawn(items: list[Table], width: int, terminal: bool, stack: bool) -> str:
    out = Pipe(tty=terminal)
    with mock.patch.dict(os.environ, quiet_env(width), clear=True):
        rich_tables(items, out, stack=stack)
    return out.getvalue()


@given(st.lists(a_table(), min_size=1, max_size=2), st.integers(40, 200), st.booleans())
@settings(max_examples=examples(200), deadline=None)
def test_stacked_rows_draw_the_same_table(items: list[Table], width: int, terminal: bool) -> None:
    assert drawn(items, width, terminal, True) == drawn(items, width, terminal, False)


def test_a_terminal_table_is_styled_and_the_same_stacked() -> None:
    table = Table(
        "net",
        [Column("a", "Layer"), Column("n", "Params", COUNT)],
        [["conv1", 80]] * 3,
        ["Total", 240],
        ["note"],
        [],
    )
    styled = drawn([table], 80, True, True)
    assert "\x1b[" in styled and "╭" in styled
    assert styled == drawn([table], 80, True, False)
    narrow = Table("net", table.columns, [["a_long_layer_name" * 3, 1]], None, [], [])
    assert drawn([narrow], 40, True, True) == drawn([narrow], 40, True, False)  # folds


def test_an_empty_table() -> None:
    table = Table("net", [Column("a", "Layer")], [], None, [], [])
    out = io.StringIO()
    rich_tables([table], out)
    assert "Layer" in out.getvalue()


# --------------------------------------------------------------------------- hostile names

HOSTILE = (
    '["team:a"]\ninput = [4]\nlayers = ["fc 2 name=\\"=HYPERLINK(1)\\"", '
    '"relu name=\\"@SUM\\u001b[31m\\"", "relu name=\\"-x\\u202e\\""]\n'
    '["team:b"]\ninput = [4]\nlayers = ["relu name=\\"+1\\""]\n'
)


def test_csv_names_are_text_not_formulas_or_escapes(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nets.toml"
    path.write_text(HOSTILE)
    code, out, err = cli("shapes", str(path), "-f", "csv")
    assert (code, err) == (0, "")
    rows = [line.split(",")[:2] for line in out.splitlines()[1:]]
    assert rows == [
        ["team:a", "'=HYPERLINK(1)"],
        ["team:a", "'@SUM\\x1b[31m"],
        ["team:a", "'-x\\u202e"],
        ["team:b", "'+1"],
    ]
    # exact numbers stay numbers, negative ones included
    from cnncalc.render.formats import csv_text

    assert [csv_text(v) for v in ("-3", "-1.5", "12", "-H + 2")] == ["-3", "-1.5", "12", "'-H + 2"]
