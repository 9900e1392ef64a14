"""Tests for cnncalc.render.fit: tables at 60, 80, 100 and 200 columns (goldens), and folding."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from test_plaintable import both, quiet_env

from cnncalc import analyze, load
from cnncalc.render.fit import fit, fold, pieces
from cnncalc.reports.tables import TABLES, short_shape, short_type
from conftest import DATA, golden

EXAMPLES = DATA.parent.parent / "examples.toml"
WIDTHS = (60, 80, 100, 200)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("net", ["resnet50", "googlenet"])
def test_summary_at_each_width(width: int, net: str, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = cli("summary", str(EXAMPLES), "--net", net)
    assert code == 0
    golden(f"fit/summary-{net}-{width}.txt", out)
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines)
    assert not any(line.endswith(" ") for line in lines)
    table = TABLES["summary"](analyze(load(str(EXAMPLES), only=net)[0]), "float32")
    if width >= 80:  # one line per row: every layer's name starts a line
        rows = [line.split()[0] for line in lines[4 : 4 + len(table.rows)]]
        assert rows == [row[0] for row in table.rows]
    plain, rich = both([table], width)
    assert plain is not None and plain == rich


def test_the_name_column_keeps_its_room_and_folds_only_at_separators() -> None:
    (network,) = load(str(EXAMPLES), only="resnet50")
    table = TABLES["summary"](analyze(network), "float32")
    with mock.patch.dict(os.environ, quiet_env(60), clear=True):
        narrow = fit(table, 60)
    names = [row[0] for row in narrow.rows]
    assert "bottleneck_down1.\nshortcut_bn" in names
    assert all(line for name in names for line in name.split("\n"))
    assert narrow.headers == ["Layer", "Output", "Params", "MACs"]
    assert narrow.footers is not None and narrow.footers[2:] == ["25.61 M", "4.09 G"]
    wide = fit(table, 200)
    assert wide.footers is not None and wide.footers[3:5] == ["25,610,152", "4,089,184,256"]
    assert wide.notes == fit(table, 200).notes and not any("to fit" in n for n in wide.notes)
    assert any("to fit 60 characters: totals rounded" in n for n in narrow.notes)


def test_folding_and_abbreviations() -> None:
    assert pieces("a_b.c d") == ["a_", "b.", "c ", "d"]
    assert fold("bottleneck_down1.conv1", 17, len, False) == "bottleneck_down1.\nconv1"
    assert fold("bottleneck_down1.conv1", 12, len, False) == "bottleneck_\ndown1.conv1"
    assert fold("abcdefghij", 4, len, True) == "abcd\nefgh\nij"
    assert short_type("batchnorm+relu") == "bn+relu"
    assert short_type("conv_transpose+leaky_relu") == "deconv+lrelu"
    assert short_shape("[56, 56, 64]") == "56x56x64"
    assert short_shape("[⌈H/2⌉, 64]") == "⌈H/2⌉x64"
    assert short_shape("[⌊(H − 1)/2⌋, 64]") == "⌊(H − 1)/2⌋ × 64"
