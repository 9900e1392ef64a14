"""Charts: the numbers behind `--plot` (and the HTML report) and their terminal rendering.

The golden terminal charts live in tests/data/pictures/golden/; regenerate them with
``CNNCALC_REGENERATE_GOLDENS=1 python -m pytest tests/test_plots.py``.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from cnncalc import analyze, load, load_text
from cnncalc.cli.app import main
from cnncalc.engine.walk import Analysis
from cnncalc.render.formats import bar_cells, chart_lines, render_charts
from cnncalc.render.plots import by_kind, by_layer, charts, field_growth, short

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "pictures"
GOLDEN = DATA / "golden"
LENET = str(DATA / "lenet5.toml")
COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-9](;[0-9]+)*m")


def lenet() -> Analysis:
    return analyze(load(LENET)[0])


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CNNCALC_REGENERATE_GOLDENS") == "1":
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden"


# --------------------------------------------------------------------------- the numbers


def test_macs_per_layer_are_the_layers_macs() -> None:
    chart = by_layer(lenet(), "macs")
    assert chart.labels == ["c1", "s2", "c3", "s4", "flatten1", "f5", "f6", "out"]
    (series,) = chart.series
    # Hand-computed: c1 28*28*6*25, c3 10*10*16*150, f5 400*120, f6 120*84, out 84*10.
    assert series.values == [117600.0, 0.0, 240000.0, 0.0, 0.0, 48000.0, 10080.0, 840.0]
    assert series.texts[0] == "117.60 k 28.2%"
    assert series.texts[-1] == "840 0.2%"
    assert chart.notes == ["total MACs: 416,520"]


def test_params_per_layer_type_add_up_to_the_total() -> None:
    a = lenet()
    chart = by_kind(a, "params")
    assert chart.labels == ["conv", "avgpool", "flatten", "fc"]
    (series,) = chart.series
    assert series.values == [156.0 + 2416.0, 0.0, 0.0, 48120.0 + 10164.0 + 850.0]
    assert sum(v for v in series.values if v is not None) == a.totals.params == 61706


def test_shared_weights_count_once_in_params_but_at_every_use_in_macs() -> None:
    text = """
    input = { a = [8, 8, 3], b = [8, 8, 3] }
    outputs = ["ca", "cb"]
    layers = [
      { name = "ca", type = "conv", inputs = ["a"], filters = 4, kernel = 3 },
      { name = "cb", type = "conv", inputs = ["b"], filters = 4, kernel = 3, share = "ca" },
    ]
    """
    a = analyze(load_text(text, "shared.toml")[0])
    assert by_layer(a, "params").series[0].values == [112.0, 0.0]
    assert by_layer(a, "macs").series[0].values == [6 * 6 * 4 * 27.0] * 2


def test_field_growth_follows_the_notes_formula() -> None:
    chart = field_growth(lenet())
    assert chart.labels[0] == "input"
    size, stride = chart.series
    # r += (F-1)*j, j *= S: 1, 5, 6, 14, 16, then the whole 32x32 input.
    assert size.values[:5] == [1.0, 5.0, 6.0, 14.0, 16.0]
    assert stride.values[:5] == [1.0, 1.0, 2.0, 2.0, 4.0]
    assert size.texts[1] == "5x5"
    assert size.texts[5] == "32x32 (global)"
    assert stride.texts[4] == "4x4"


def test_symbolic_sizes_give_text_but_no_bar() -> None:
    a = analyze(load_text('input = ["H", "W", 3]\nlayers = ["conv 8 kernel=3"]', "s.toml")[0])
    (series,) = by_layer(a, "macs").series
    assert series.values == [None]
    assert "H" in series.texts[0] and "W" in series.texts[0]
    size, _ = field_growth(a).series
    assert size.values == [1.0, 3.0]


def test_short_numbers() -> None:
    assert [short(v) for v in (0, 999, 1000, 138357544, 15470264320)] == [
        "0",
        "999",
        "1.00 k",
        "138.36 M",
        "15.47 G",
    ]


def test_charts_per_report() -> None:
    a = lenet()
    assert [c.title.rsplit("· ", 1)[-1] for c in charts(a, "macs")] == [
        "MACs per layer",
        "MACs per layer type",
    ]
    assert [c.title.rsplit("· ", 1)[-1] for c in charts(a, "receptive-field")] == [
        "receptive field"
    ]


# --------------------------------------------------------------------------- drawing


def test_bars_are_drawn_in_eighths() -> None:
    assert bar_cells(1.0, 4) == "████"
    assert bar_cells(0.5, 4) == "██"
    assert bar_cells(0.5 + 1 / 32, 4) == "██▏"  # one eighth of a cell more
    assert bar_cells(0.0, 4) == ""
    assert bar_cells(1e-9, 4) == "▏"  # tiny but not zero: still visible


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_chart_lines_fit_the_width(width: int) -> None:
    a = analyze(load(str(DATA / "resnet_like.toml"))[0])
    for report in ("macs", "params", "receptive-field"):
        for chart in charts(a, report):
            lengths = [cell_len("".join(t for t, _ in row)) for row in chart_lines(chart, width)]
            assert max(lengths) <= width
            assert max(lengths) >= width - 2  # and use the room there is


def test_a_narrow_terminal_crops_rather_than_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    a = analyze(load(str(DATA / "resnet_like.toml"))[0])
    render_charts(charts(a, "receptive-field"), out)
    lines = out.getvalue().splitlines()
    assert max(cell_len(line) for line in lines) <= 40
    rows = [line for line in lines if "│" in line]
    assert len(rows) == 2 + len(a.layers) == 41  # heading, input, layers: one line each
    assert rows[-1].startswith("classif…  │ ")  # a label is cut before a bar goes


def test_longest_bar_fills_its_column() -> None:
    rows = chart_lines(by_layer(lenet(), "macs"), 80)
    c3 = next(r for r in rows if r[0][0].startswith("c3"))
    bar = c3[2][0]
    assert bar.strip() == "█" * len(bar)


@pytest.mark.parametrize(
    ("report", "name"),
    [("macs", "lenet5_macs_plot.txt"), ("receptive-field", "lenet5_field_plot.txt")],
)
def test_golden_terminal_charts(
    report: str, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    assert main([report, LENET, "--plot"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert max(cell_len(line) for line in out.splitlines()) <= 80
    golden(name, out)


def test_colour_on_a_terminal_and_none_under_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    render_charts(charts(lenet(), "params"), out)
    assert COLOUR.search(out.getvalue())
    monkeypatch.setenv("NO_COLOR", "1")
    plain = io.StringIO()
    render_charts(charts(lenet(), "params"), plain)
    assert not COLOUR.search(plain.getvalue())
    assert "█" in plain.getvalue()  # the bars need no colour


def test_plot_is_only_for_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["macs", LENET, "--plot", "--format", "json"]) == 2
    assert capsys.readouterr().err == (
        "--plot: a chart is drawn for the terminal only; expected no --format, got json\n"
    )


def test_plot_exists_only_where_there_is_a_chart(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["shapes", LENET, "--plot"]) == 2
    assert capsys.readouterr().err.startswith("cnncalc: error: No such option: --plot")
    monkeypatch.setenv("COLUMNS", "200")
    for report in ("macs", "params", "receptive-field"):
        assert main([report, "--help"]) == 0
        assert "--plot" in capsys.readouterr().out
    assert main(["summary", "--help"]) == 0
    assert "--plot" not in capsys.readouterr().out


def test_plot_covers_every_network_of_a_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "90")
    assert main(["params", str(DATA / "towers.toml"), "--plot"]) == 0
    out = capsys.readouterr().out
    assert out.count("Params per layer type") == 2
    assert "towers: " in out and "chain: " in out


def test_a_global_field_is_drawn_in_full() -> None:
    """ResNet-50's last blocks see 427 pixels of a 224-pixel input, padding included; the
    global average pool after them sees the whole input, and its bar is no shorter."""
    chart = field_growth(analyze(load(str(ROOT / "examples.toml"), only="resnet50")[0]))
    size = chart.series[0]
    longest = max(v for v in size.values if v is not None)
    pool = chart.labels.index("avgpool")
    assert size.texts[pool] == "224x224 (global)"
    assert size.values[pool] == longest == 427.0


def test_plot_shows_control_characters_as_escapes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "net.toml"
    path.write_text(
        'name = "n\\u001b]0;x\\u0007"\ninput = [8, 8, 3]\n'
        'layers = ["conv 4 kernel=3 name=\\"c\\u001b[2J\\"", '
        '"conv 4 kernel=3 name=\\"d\\u202e\\""]\n'
    )
    code, out, err = cli("macs", str(path), "--plot")
    assert (code, err) == (0, "")
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "n\\x1b]0;x\\x07" in out and "c\\x1b[2J" in out and "d\\u202e" in out
