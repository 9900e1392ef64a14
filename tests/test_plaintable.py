"""Tests for cnncalc.render.plaintable: piped tables are the very text rich writes, or left to
rich."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc import analyze, load
from cnncalc.render.formats import plain_tables, rich_tables, tables
from cnncalc.render.plaintable import TERMINAL_HINTS, layout, plain_target
from cnncalc.reports.tables import COUNT, SHARE, TABLES, TEXT, Column, Table
from conftest import examples

NETWORKS = Path(__file__).resolve().parent.parent / "benchmarks" / "networks.toml"
SAFE = list(" abcxyz019_-.,[]()/+*=x") + ["→", "█", "▏", "×", "…"]
UNSAFE = ["é", "中", "\t", "🙂", "\u200b"]


def quiet_env(width: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_HINTS}
    env["COLUMNS"] = str(width)
    return env


def both(items: list[Table], width: int) -> tuple[str | None, str]:
    """(the plain writer's text or None when it declines, rich's text)."""
    with mock.patch.dict(os.environ, quiet_env(width), clear=True):
        plain, rich = io.StringIO(), io.StringIO()
        done = plain_tables(items, plain)
        rich_tables(items, rich)
    return (plain.getvalue() if done else None), rich.getvalue()


@st.composite
def a_table(draw: Any) -> Table:
    words = st.text(st.sampled_from(SAFE), max_size=14)
    kinds = draw(st.lists(st.sampled_from([TEXT, COUNT, SHARE]), min_size=1, max_size=6))
    columns = [
        Column(
            f"c{i}",
            draw(words.filter(lambda t: ":" not in t)),
            k,
            fold=k == TEXT and draw(st.booleans()),
            optional=draw(st.booleans()),
        )
        for i, k in enumerate(kinds)
    ]

    def value(kind: str) -> Any:
        if kind == TEXT:
            long = st.text(st.sampled_from(SAFE), max_size=60)  # folds in a narrow table
            return draw(words | long | st.text(st.sampled_from(SAFE + UNSAFE), max_size=6))
        if kind == COUNT:
            return draw(st.integers(-(10**14), 10**14) | st.sampled_from([0, 999, 1000]))
        return draw(st.none() | st.fractions(0, 1, max_denominator=1000))

    rows = [[value(k) for k in kinds] for _ in range(draw(st.integers(0, 6)))]
    totals = draw(st.none() | st.just([value(k) for k in kinds]))
    notes = draw(st.lists(words, max_size=2))
    warnings = draw(st.lists(words, max_size=2))
    return Table(draw(words), columns, rows, totals, notes, warnings)


@given(st.lists(a_table(), min_size=1, max_size=3), st.integers(40, 200))
@settings(max_examples=examples(300), deadline=None)
def test_the_plain_writer_writes_what_rich_writes(items: list[Table], width: int) -> None:
    plain, rich = both(items, width)
    if plain is not None:
        assert plain == rich


def reports() -> list[Table]:
    nets = {n.name: n for n in load(str(NETWORKS))}
    return [TABLES[r](analyze(n), "float32") for n in nets.values() for r in TABLES]


def test_every_report_of_vgg16_and_resnet50_is_written_plainly_and_identically() -> None:
    for table in reports():
        plain, rich = both([table], 160)
        assert plain is not None, table.title
        assert plain == rich


def test_too_wide_or_unusual_tables_are_left_to_rich() -> None:
    table = Table(
        "t", [Column("a", "A"), Column("n", "N", COUNT)], [["x" * 50, 10**6]], None, [], []
    )
    assert both([table], 80)[0] is not None
    assert both([table], 40)[0] is None  # rich would fold the name
    for odd in UNSAFE:
        unusual = Table("t", table.columns, [["layer" + odd, 1]], None, [], [])
        plain, rich = both([unusual], 80)
        if odd == "\t":  # a control character is shown as \x09, in plain characters
            assert plain == rich and "layer\\x09" in rich
        else:
            assert plain is None
    long_note = Table("t", table.columns, [["a", 1]], None, ["n" * 81], [])
    assert both([long_note], 80)[0] is None
    long_title = Table("t" * 30, table.columns, [["a", 1]], None, [], [])
    assert both([long_title], 80)[0] is None


def test_layout_of_a_small_table() -> None:
    text = layout(
        "net: 8x8x1 → 10",
        ["Layer", "Params"],
        [False, True],
        [["conv1", "80"]],
        ["Total", "80"],
        ["a note"],
        80,
    )
    assert text == (  # no line ends in a space
        "net: 8x8x1 → 10\n"
        "\n"
        "  Layer   Params\n"
        " ────────────────\n"
        "  conv1       80\n"
        "\n"
        "  Total       80\n"
        "\n"
        "a note\n"
    )


def test_a_folded_name_takes_several_lines() -> None:
    text = layout(
        "net",
        ["Layer", "Params"],
        [False, True],
        [["block1.\nconv1", "80"], ["fc", "10"]],
        None,
        [],
        80,
    )
    assert text == (
        "net\n\n  Layer     Params\n ──────────────────\n"
        "  block1.       80\n  conv1\n  fc            10\n\n"
    )


class Pipe(io.StringIO):
    def __init__(self, tty: bool = False, encoding: str | None = "utf-8") -> None:
        super().__init__()
        self.tty, self._encoding = tty, encoding

    def isatty(self) -> bool:
        return self.tty

    @property
    def encoding(self) -> str | None:  # type: ignore[override]
        return self._encoding


def test_only_an_unstyled_utf8_target_is_written_plainly() -> None:
    with mock.patch.dict(os.environ, quiet_env(100), clear=True):
        assert plain_target(Pipe())
        assert plain_target(io.StringIO())
        assert not plain_target(Pipe(tty=True))
        assert not plain_target(Pipe(encoding="ascii"))
    for hint in TERMINAL_HINTS:
        with mock.patch.dict(os.environ, quiet_env(100) | {hint: "1"}, clear=True):
            assert not plain_target(Pipe())


def test_the_table_format_falls_back_to_rich() -> None:
    table = Table("t", [Column("a", "A")], [["中文"]], None, [], [])
    with mock.patch.dict(os.environ, quiet_env(100), clear=True):
        out = io.StringIO()
        tables([table], out)
    assert out.getvalue() == both([table], 100)[1]
    assert "中文" in out.getvalue()
