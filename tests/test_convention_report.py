"""Tests for cnncalc.reports.convention_report and the ``--convention`` and ``--compare``
options."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cnncalc.cli.app import main
from cnncalc.cli.options import CONVENTIONS
from cnncalc.engine.walk import analyze
from cnncalc.reports.convention_report import compare_json, compare_table, convention_table
from cnncalc.reports.conventions import PRESETS, network_cost
from cnncalc.reports.tables import TABLES
from cnncalc.spec.load import load

ROOT = Path(__file__).resolve().parents[1]
TORCH = Path(__file__).parent / "data" / "torch"
GOLDEN = Path(__file__).parent / "data" / "conventions"
REGENERATE = os.environ.get("CNNCALC_REGENERATE_GOLDENS") == "1"


def analysis(name: str):  # type: ignore[no-untyped-def]
    (n,) = load(str(TORCH / f"{name}.toml"))
    return analyze(n)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


CASES = {
    "lenet5-macs-torchinfo.txt": ["macs", "lenet5", "--convention", "torchinfo"],
    "dcgan_small-macs-thop.md": ["macs", "dcgan_small", "-c", "thop", "-f", "markdown"],
    "resnet_small-summary-deepspeed.txt": ["summary", "resnet_small", "-c", "deepspeed"],
    "resnet_small-compare.txt": ["macs", "resnet_small", "--compare"],
    "unet_small-compare.csv": ["macs", "unet_small", "--compare", "-f", "csv"],
}


@pytest.mark.parametrize("golden", CASES)
def test_output_matches_the_golden_file(
    golden: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    report, net, *options = CASES[golden]
    code, out, err = run(capsys, report, str(TORCH / f"{net}.toml"), *options)
    assert (code, err) == (0, "")
    path = GOLDEN / golden
    if REGENERATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")


def test_the_default_convention_leaves_the_reports_as_they_were() -> None:
    a = analysis("resnet_small")
    for report in ("macs", "summary"):
        plain, counted = (
            TABLES[report](a, "float32"),
            convention_table(a, report, "float32", PRESETS["cnncalc"]),
        )
        assert plain == counted


def test_convention_column_sums_to_its_total() -> None:
    a = analysis("unet_small")
    for conv in PRESETS.values():
        table = convention_table(a, "macs", "float32", conv)
        if conv.name == "cnncalc":
            continue
        at = [c.key for c in table.columns].index("ops")
        assert table.columns[at].title == f"{conv.unit} ({conv.name})"
        assert sum(row[at] for row in table.rows) == table.totals[at] == network_cost(a, conv).total  # type: ignore[index]
        part = [c.key for c in table.columns].index("share")
        assert sum(row[part] for row in table.rows) == 1


def test_json_names_the_convention(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "macs", str(TORCH / "lenet5.toml"), "-c", "ptflops", "-f", "json")
    assert code == 0
    (net,) = json.loads(out)["networks"]
    assert (net["convention"], net["unit"]) == ("ptflops", "MACs")
    assert [layer["ops"] for layer in net["layers"]] == [
        # conv + bias + tanh (ptflops counts no tanh), pools per input, fc + bias, softmax
        117600 + 4704,
        4704,
        240000 + 1600,
        1600,
        0,
        48000 + 120,
        10080 + 84,
        840 + 10 + 10,
    ]
    assert net["totals"]["ops"] == sum(layer["ops"] for layer in net["layers"]) == 429352
    assert net["totals"]["macs"] == 416520
    assert net["ops_parts"] == {
        "macs": 416520,
        "bias": 6518,
        "activations": 10,
        "pooling": 6304,
        "normalization": 0,
        "upsampling": 0,
        "merges": 0,
    }
    code, out, _ = run(capsys, "macs", str(TORCH / "lenet5.toml"), "-f", "json")
    assert "convention" not in json.loads(out)["networks"][0]  # unchanged without the option


def test_compare_json_has_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "macs", str(TORCH / "twins.toml"), "--compare", "-f", "json")
    assert code == 0
    (net,) = json.loads(out)["networks"]
    assert net == compare_json(analysis("twins"))
    assert net["macs"] == 209176
    assert [c["name"] for c in net["conventions"]] == list(PRESETS)
    deepspeed = net["conventions"][-1]
    assert (deepspeed["unit"], deepspeed["per_mac"]) == ("FLOPs", 2)
    assert deepspeed["parts"]["macs"] == 2 * 209176
    assert deepspeed["total"] == sum(deepspeed["parts"].values())


def test_compare_shows_only_the_parts_some_convention_counts() -> None:
    table = compare_table(analysis("lenet5"))
    assert [c.title for c in table.columns] == [
        "Convention",
        "Counts",
        "Total",
        "x MACs",
        "Multiply-adds",
        "Bias adds",
        "Activations",
        "Pooling",
    ]
    assert [row[0] for row in table.rows] == list(PRESETS)


def test_errors(capsys: pytest.CaptureFixture[str]) -> None:
    lenet = str(TORCH / "lenet5.toml")
    assert run(capsys, "macs", lenet, "-c", "torchinf") == (
        2,
        "",
        "--convention: unknown convention 'torchinf' — did you mean 'torchinfo'?; expected one "
        "of cnncalc, torchvision, torchinfo, fvcore, ptflops, thop, deepspeed\n",
    )
    assert run(capsys, "macs", lenet, "-c", "thop", "--compare") == (
        2,
        "",
        "--compare: give either --compare or --convention, not both\n",
    )
    code, _, err = run(capsys, "shapes", lenet, "-c", "thop")
    assert code == 2 and "No such option: -c" in err
    code, _, err = run(capsys, "summary", lenet, "--compare")
    assert code == 2 and "No such option: --compare" in err


def test_help_names_every_convention(capsys: pytest.CaptureFixture[str]) -> None:
    assert CONVENTIONS == tuple(PRESETS)
    code, out, _ = run(capsys, "macs", "--help")
    text = " ".join(out.replace("│", " ").replace("`", "").split())
    assert code == 0
    assert "--convention torchinfo counts as torchinfo does, --compare shows every" in text
    for name in PRESETS:
        assert name in text


def test_readme_documents_every_convention() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Counting like other tools (`--convention`)")[1].split("\n## ")[0]
    table = section.split("| Convention |")[1].split("\n\n")[0]  # then the kinds' table
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(PRESETS)
    assert "cnncalc macs" in section and "--compare" in section
