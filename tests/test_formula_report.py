"""Reports of symbolic networks: formulas in tables and JSON, checked against the truth."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy

from cnncalc.cli.app import main
from cnncalc.engine.walk import analyze
from cnncalc.reports.formula_report import json_fields, multiples_text, periods, table_notes
from cnncalc.spec.load import inline_network, load
from cnncalc.symbolic.formula import Formula, evaluate
from conftest import network_files

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden"
VGG16 = DATA / "solve" / "vgg16.toml"
RESNET50 = DATA / "resnet50.toml"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def sympy_at(text: str, env: dict[str, int]) -> Any:
    names = {n: sympy.Symbol(n, integer=True, positive=True) for n in env}
    return sympy.sympify(text, locals=names).subs({names[n]: v for n, v in env.items()})


def test_vgg16_polynomials_give_the_published_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["summary", str(VGG16), "-f", "json"], capsys)
    doc = json.loads(out)["networks"][0]
    assert doc["symbols"] == ["H", "W"]
    poly = doc["polynomials"]
    assert poly == {
        "exact_for_multiples_of": {"H": 32, "W": 32},
        "params": "2048*H*W + 35597096",
        "trainable_params": "2048*H*W + 35597096",
        "macs": "307904*H*W + 20873216",
        "activations": "601*H*W/2 + 9192",
    }
    at_224 = {"H": 224, "W": 224}
    assert sympy_at(poly["params"], at_224) == 138_357_544
    assert sympy_at(poly["macs"], at_224) == 15_470_264_320
    assert sympy_at(doc["totals"]["params"], at_224) == 138_357_544
    assert doc["output"] == [1000]
    assert doc["layers"][2]["output"] == ["floor(H/2)", "floor(W/2)", 64]


def test_resnet50_totals_at_224(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["summary", str(RESNET50), "-f", "json"], capsys)
    doc = json.loads(out)["networks"][0]
    poly = doc["polynomials"]
    assert poly["exact_for_multiples_of"] == {"H": 32, "W": 32}
    assert poly["macs"] == "81456*H*W + 2048000"
    at_224 = {"H": 224, "W": 224}
    assert sympy_at(poly["macs"], at_224) == 4_089_184_256
    assert sympy_at(doc["totals"]["trainable_params"], at_224) == 25_557_032
    assert doc["totals"]["trainable_params"] == 25_557_032  # no fc after flatten of H, W
    # at an odd size the exact formula still holds; the polynomial does not
    at_225 = {"H": 225, "W": 225}
    code, out, _ = run(["macs", str(RESNET50), "--input", "225x225x3", "-f", "json"], capsys)
    assert (
        sympy_at(doc["totals"]["macs"], at_225) == json.loads(out)["networks"][0]["totals"]["macs"]
    )
    assert sympy_at(poly["macs"], at_225) != sympy_at(doc["totals"]["macs"], at_225)


def test_periods_and_the_note() -> None:
    a = analyze(inline_network("conv 8 kernel=3 stride=2; maxpool 2", "HxWxC"))
    assert periods(a, ["H", "W", "C"]) == {"H": 4, "W": 4, "C": 1}
    assert multiples_text({"H": 4, "W": 4, "C": 1}) == (
        "exact when H and W are multiples of 4 and for every C"
    )
    assert table_notes(a) == [
        "counts are polynomials in H, W and C, exact when H and W are multiples of 4 and for "
        "every C; shapes are exact for every size, and --format json gives exact formulas for "
        "every count"
    ]
    numeric = analyze(inline_network("maxpool 2", "8x8x3"))
    assert table_notes(numeric) == [] and json_fields(numeric) == {}


def test_symbolic_summary_table_golden(
    capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    for name, args in {
        "summary_vgg16": ["summary", str(VGG16)],
        "shapes_odd": ["shapes", str(DATA / "solve" / "odd.toml"), "--net", "two"],
        "params_fc_after_flatten": [
            "params",
            "--layers",
            "conv 16 kernel=3 stride=2; flatten; fc 10",
            "--input",
            "HxWx3",
        ],
    }.items():
        code, out, err = run(args, capsys)
        assert (code, err) == (0, "")
        golden = GOLDEN / f"{name}.txt"
        if os.environ.get("CNNCALC_REGENERATE_GOLDENS"):
            golden.write_text(out)
        assert out == golden.read_text()


def test_markdown_and_csv_show_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["macs", "--layers", "conv 16 kernel=3 stride=2", "--input", "HxWx3"]
    code, out, _ = run([*args, "-f", "markdown"], capsys)
    assert "| conv1 | conv | [⌊(H − 1)/2⌋, ⌊(W − 1)/2⌋, 16] | 108·(H − 2)·(W − 2) |  |" in out
    code, out, _ = run([*args, "-f", "csv"], capsys)
    assert out.splitlines()[1] == (
        'network,conv1,conv,"[⌊(H − 1)/2⌋, ⌊(W − 1)/2⌋, 16]",432·⌊(H − 1)/2⌋·⌊(W − 1)/2⌋,,'
    )


# ------------------------------------------------------------------- every network, made symbolic


def resamples(layer: Any) -> bool:
    """Up-sampling whose pixels torch picks in float32 from the sizes: with symbolic sizes
    its field (and every later one) is an estimate, marked as such."""
    return layer.kind == "upsample" and not (
        layer.mode == "nearest" and all(isinstance(s, int) for s in layer.scale or (0.5,))
    )


def broadcasts(r: Any) -> bool:
    """A merge that spreads a size-1 axis over the others' (a symbolic number of) units."""
    return r.node.kind in ("add", "multiply") and any(s != r.shape for s in r.input_shapes)


def broadcasts_for_some_sizes(r: Any) -> bool:
    """A merge of symbolic sizes that may be 1 (an FPN's ⌈H/16⌉ at H ≤ 16) with others that
    are then more: spread over a symbolic number of units there, so estimated."""
    return any("broadcast only for some input sizes" in w.message for w in r.warnings)


# Known defects of windowed attention over symbolic sizes: where one window covers an axis
# (Swin-T's last stage, 7x7, and swin_tiny's), numbers leave the shift out, as torchvision
# does, and a symbol cannot tell; a grid partition over a symbolic size (sequence_1d's second
# layer) is reported global. Strict: the test fails once they agree, so the mark comes off
# with the fix.
SYMBOLIC_FIELD_DEFECT = {"swin_t", "swin_tiny", "sequence_1d"}


def numeric_networks() -> list[Any]:
    found: list[Any] = []
    for path in network_files():
        for net in load(str(path)):
            (shape,) = net.inputs.values() if len(net.inputs) == 1 else (None,)
            if shape is not None and all(type(s) is int for s in shape) and len(shape) > 1:
                marks = []
                if net.name in SYMBOLIC_FIELD_DEFECT:
                    reason = "symbolic field of a shifted window that covers the axis"
                    marks = [pytest.mark.xfail(strict=True, reason=reason)]
                found.append(pytest.param(path, net.name, marks=marks))
    return found


def symbolic_networks() -> list[tuple[Path, str]]:
    found = []
    for path in network_files():
        for net in load(str(path)):
            if any(not isinstance(s, int) for shape in net.inputs.values() for s in shape):
                found.append((path, net.name))
    return found


def values_at(v: Any, env: dict[str, int]) -> Any:
    if isinstance(v, Formula):
        return evaluate(v, env)
    if isinstance(v, tuple | list):
        return tuple(values_at(x, env) for x in v)
    return Fraction(v) if isinstance(v, Fraction) else v


@pytest.mark.parametrize(
    ("path", "name"), numeric_networks(), ids=lambda x: x if isinstance(x, str) else x.stem
)
def test_every_numeric_network_made_symbolic_agrees(path: Path, name: str) -> None:
    """Spatial sizes replaced by symbols, evaluated at the file's sizes: the same numbers."""
    from cnncalc.engine.walk import replace_input
    from cnncalc.spec.symbols import symbol

    net = next(n for n in load(str(path)) if n.name == name)
    ((key, shape),) = net.inputs.items()
    names = ("D", "H", "W")[3 - (len(shape) - 1) :]
    numeric = analyze(net)
    replace_input(net, {key: tuple(symbol(n) for n in names) + (shape[-1],)})
    sym = analyze(net)
    env = dict(zip(names, shape[:-1], strict=True))
    estimated = False
    for s, n in zip(sym.layers, numeric.layers, strict=True):
        assert values_at(s.shape, env) == n.shape, s.name
        assert values_at(s.effect.macs, env) == n.effect.macs, s.name
        assert values_at(s.totals.params, env) == n.totals.params, s.name
        estimated = (
            estimated or resamples(s.node.layer) or broadcasts(n) or broadcasts_for_some_sizes(s)
        )
        if s.field.estimate or n.field.estimate:  # closed formulas, marked in every report
            assert estimated or n.field.estimate, f"{s.name}: estimated, nothing before why"
            continue
        for part in ("size", "stride", "start"):
            got, want = getattr(s.field, part), getattr(n.field, part)
            assert values_at(got, env) == values_at(want, env), (s.name, part)


@pytest.mark.parametrize(
    ("path", "name"), symbolic_networks(), ids=lambda x: x if isinstance(x, str) else x.stem
)
def test_every_symbolic_network_reports_in_every_format(
    path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for report in ("shapes", "params", "receptive-field", "macs", "summary"):
        for fmt in ("table", "json", "csv", "markdown"):
            code, out, err = run([report, str(path), "--net", name, "-f", fmt], capsys)
            assert (code, err) == (0, ""), (report, fmt)
            assert out


def test_estimated_fields_are_marked_in_every_report(capsys: pytest.CaptureFixture[str]) -> None:
    """Bilinear up-sampling of a symbolic size: its field and the next are estimates."""
    layers = "conv 4 kernel=3; upsample 2 mode=bilinear; conv 4 kernel=3; adaptive_pool 2"
    args = ["--layers", layers, "--input"]
    code, out, _ = run(["receptive-field", *args, "HxWx3", "-f", "json"], capsys)
    marks = [r["receptive_field"].get("estimate") for r in json.loads(out)["networks"][0]["layers"]]
    assert marks == [None, True, True, True]
    code, out, _ = run(["receptive-field", *args, "HxWx3", "-f", "csv"], capsys)
    assert out.count("(estimate)") == 3
    code, out, _ = run(["receptive-field", *args, "HxWx3", "-f", "markdown"], capsys)
    assert "so the size, stride and start come from the closed formulas" in out
    code, out, _ = run(["summary", *args, "HxWx3", "-f", "markdown"], capsys)
    assert "~ an estimate: cnncalc cannot follow every unit's field here" in out
    for report in ("receptive-field", "summary"):
        code, out, _ = run([report, *args, "20x20x3"], capsys)  # numeric: followed exactly
        assert code == 0 and "estimate" not in out
    code, out, _ = run(["receptive-field", *args, "20x20x3", "-f", "json"], capsys)
    assert "estimate" not in out
