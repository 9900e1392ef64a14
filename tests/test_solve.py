"""``cnncalc solve``: valid input sizes, checked against the numeric engine value by value."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from cnncalc.cli.app import main
from cnncalc.engine.walk import analyze
from cnncalc.errors import CnnCalcError
from cnncalc.reports.solve import NetworkSolution, solve
from cnncalc.reports.solve_symbol import SymbolSolution
from cnncalc.spec.load import inline_network, load
from cnncalc.spec.network import Network
from cnncalc.spec.symbols import substitute_inputs

DATA = Path(__file__).parent / "data"
SOLVE = DATA / "solve"
GOLDEN = DATA / "golden"


def network(path: Path, name: str | None = None) -> Network:
    nets = load(str(path))
    return nets[0] if name is None else next(n for n in nets if n.name == name)


def solved(path: Path, name: str | None = None, count: int = 5) -> NetworkSolution:
    return solve(analyze(network(path, name)), count)


def symbol(sol: NetworkSolution, name: str) -> SymbolSolution:
    return next(s for s in sol.symbols if s.name == name)


def numerically_valid(path: Path, name: str | None, env: dict[str, int]) -> bool:
    """The truth: the numeric engine accepts the sizes and reads every pixel."""
    net = network(path, name)
    substitute_inputs(net, [f"{k}={v}" for k, v in env.items()])
    try:
        a = analyze(net)
    except CnnCalcError:
        return False
    return not any("never read" in w.message for w in a.warnings)


def valid_set(s: SymbolSolution, values: Iterable[int]) -> set[int]:
    """The values the solution calls valid."""
    out = set()
    for x in values:
        if s.min_size is None or x < s.min_size:
            continue
        if s.finite is not None and x in s.finite:
            out.add(x)
        elif s.valid is not None and s.valid.contains(x):
            out.add(x)
    return out


def check_against_engine(
    path: Path, name: str | None, symbol_name: str, fixed: dict[str, int], upto: int
) -> SymbolSolution:
    sol = solved(path, name)
    s = symbol(sol, symbol_name)
    expected = {
        x for x in range(1, upto) if numerically_valid(path, name, {**fixed, symbol_name: x})
    }
    assert valid_set(s, range(1, upto)) == expected
    assert [v for v in s.values if v < upto] == sorted(expected)[: len(s.values)]
    return s


# -------------------------------------------------------------------- the networks the issue names


def test_vgg16_needs_multiples_of_32() -> None:
    s = check_against_engine(SOLVE / "vgg16.toml", None, "H", {"W": 224}, 140)
    assert (s.valid and (s.valid.modulus, s.valid.residues)) == (32, [0])
    assert s.min_size == 32
    assert s.values == [32, 64, 96, 128, 160]
    w = symbol(solved(SOLVE / "vgg16.toml"), "W")
    assert (w.valid and (w.valid.modulus, w.valid.residues)) == (32, [0])


def test_stride_2_valid_3x3_conv_needs_odd_sizes() -> None:
    s = check_against_engine(SOLVE / "odd.toml", "one", "H", {"W": 9}, 60)
    assert (s.valid and (s.valid.modulus, s.valid.residues)) == (2, [1])
    assert (s.min_size, s.values) == (3, [3, 5, 7, 9, 11])
    s = check_against_engine(SOLVE / "odd.toml", "two", "H", {"W": 7}, 60)
    assert (s.valid and (s.valid.modulus, s.valid.residues)) == (4, [3])
    assert (s.min_size, s.values) == (7, [7, 11, 15, 19, 23])


def test_unet_sizes_survive_down_and_up_sampling() -> None:
    s = check_against_engine(SOLVE / "unet.toml", "unet", "H", {"W": 16}, 100)
    assert (s.valid and (s.valid.modulus, s.valid.residues)) == (16, [0])
    assert (s.min_size, s.values) == (16, [16, 32, 48, 64, 80])


def test_unet_with_strided_convs_is_held_only_by_its_concats() -> None:
    s = check_against_engine(SOLVE / "unet.toml", "unet_strided", "H", {"W": 16}, 100)
    assert (s.valid and (s.valid.modulus, s.valid.residues)) == (16, [0])
    assert (s.min_size, s.values) == (1, [16, 32, 48, 64, 80])
    sol = solved(SOLVE / "unet.toml", "unet_strided")
    kinds = {c.kind for c, _ in sol.conditions}
    assert kinds == {"match"}  # a "same" strided conv reads every pixel of any size
    cat1 = next(when for c, when in sol.conditions if c.layer == "cat1" and c.axis == "H")
    assert cat1 == "H ≡ 0 (mod 2)"


def test_no_valid_size_when_upsampling_meets_a_1x1_stride_2_conv() -> None:
    path = SOLVE / "none.toml"
    sol = solved(path, "upsample_then_stride")
    assert not sol.solvable
    h = symbol(sol, "H")
    assert h.values == [] and h.valid is not None and h.valid.residues == []
    assert h.note == (
        "no value of H works: conv1 on axis H never reads every input pixel, whatever the size"
    )
    assert not any(
        numerically_valid(path, "upsample_then_stride", {"H": x, "W": x}) for x in range(1, 50)
    )


def test_an_add_of_different_strides_is_valid_only_where_one_side_broadcasts() -> None:
    """⌊H/2⌋ = ⌊H/4⌋ never holds from 4 on; add broadcasts a size of 1, so H = 4 works."""
    path = SOLVE / "none.toml"
    sol = solved(path, "different_strides")
    h = symbol(sol, "H")
    assert h.values == [4]
    assert [
        x for x in range(1, 80) if numerically_valid(path, "different_strides", {"H": x, "W": 4})
    ] == [4]


def test_conflicting_congruences_name_the_layer() -> None:
    layers = 'maxpool 2 name=a; conv 3 kernel=3 stride=2 name=b inputs=["input"]'
    sol = solve(analyze(inline_network(layers, "Hx3")))
    h = symbol(sol, "H")
    assert h.values == []
    assert h.note == (
        "no value of H works: b on axis L reads every input pixel only when H ≡ 1 (mod 2), "
        "which the layers before it rule out"
    )


# --------------------------------------------------------------------------- symbols tied together


def test_concat_of_two_inputs_ties_them() -> None:
    path = SOLVE / "tied.toml"
    sol = solved(path, "pyramid")
    assert [(r.symbol, str(r.value), r.layer) for r in sol.relations] == [
        ("h", "⌈H/2⌉", "concat1"),
        ("w", "⌈W/2⌉", "concat1"),
    ]
    h = symbol(sol, "H")
    assert (h.valid and (h.valid.modulus, h.valid.residues)) == (4, [0, 3])
    assert h.values == [3, 4, 7, 8, 11]
    for x in range(1, 40):
        env = {"H": x, "h": -(-x // 2), "W": 4, "w": 2}
        assert numerically_valid(path, "pyramid", env) == (x in valid_set(h, [x]))
    assert not numerically_valid(path, "pyramid", {"H": 8, "h": 5, "W": 4, "w": 2})


def test_fixed_reshape_has_one_valid_length() -> None:
    s = symbol(solved(SOLVE / "tied.toml", "fixed_reshape"), "L")
    assert s.finite == [16] and s.values == [16]


def test_reshape_into_rows_ties_h_and_w_and_is_searched() -> None:
    path = SOLVE / "tied.toml"
    sol = solved(path, "rows_of_16", count=6)
    assert [s.tied for s in sol.symbols] == [["W"], ["H"]]
    (joint,) = sol.joint
    assert joint.symbols == ["H", "W"]
    assert joint.values == [(4, 4), (2, 8), (8, 2), (4, 8), (8, 4), (6, 8)]
    assert joint.complete
    for h, w in joint.values:
        assert numerically_valid(path, "rows_of_16", {"H": h, "W": w})
        assert (3 * h * w) % 16 == 0


def test_groups_put_a_condition_on_a_channel_symbol() -> None:
    sol = solve(analyze(inline_network("conv 8 kernel=1 groups=4", "7x7xC")))
    c = symbol(sol, "C")
    assert (c.valid and (c.valid.modulus, c.valid.residues)) == (4, [0])
    assert c.values == [4, 8, 12, 16, 20]


# ------------------------------------------------------------------------------------------ bounds


def test_resnet50_reads_every_pixel_of_32k_plus_1_to_4() -> None:
    s = check_against_engine(DATA / "resnet50.toml", "resnet50", "H", {"W": 33}, 70)
    assert (s.valid and (s.valid.modulus, s.valid.residues)) == (32, [1, 2, 3, 4])


def test_search_gives_up_within_its_bound() -> None:
    layers = "; ".join(["maxpool 2"] * 20)
    sol = solve(analyze(inline_network(layers, "Hx3")), count=3)
    s = symbol(sol, "H")
    assert s.min_size == 2**20
    assert s.values == [2**20]  # the next one, 2**21, is past the search bound
    assert not s.complete
    assert s.note.startswith("searched 100,000 candidate values of H from 1048576 to ")
    assert s.note.endswith(" and found only 1; gave up")


def test_a_network_without_symbols() -> None:
    sol = solve(analyze(inline_network("maxpool 2", "8x8x3")))
    assert sol.symbols == [] and sol.solvable


# ------------------------------------------------------------------------------------- the command


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_solve_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["solve", str(SOLVE / "vgg16.toml"), "--format", "json", "--count", "3"], capsys
    )
    assert (code, err) == (0, "")
    (doc,) = json.loads(out)["networks"]
    assert doc["name"] == "vgg16"
    assert doc["input"] == ["H", "W", 3]
    assert doc["solvable"] is True
    assert doc["symbols"][0] == {
        "name": "H",
        "valid": {"modulus": 32, "residues": [0]},
        "finite": None,
        "valid_text": "H ≡ 0 (mod 32)",
        "min_size": 32,
        "values": [32, 64, 96],
        "complete": True,
        "note": "",
        "tied_to": [],
    }
    assert doc["relations"] == [] and doc["joint"] == []
    first = doc["conditions"][0]
    assert first == {
        "layer": "maxpool1",
        "axis": "H",
        "kind": "unread",
        "formula": "Mod(H, 2)",
        "relation": "<= 0",
        "text": "reads all of H: window 2, stride 2",
        "holds_when": "H ≡ 0 (mod 2)",
    }


def test_solve_json_relations(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["solve", str(SOLVE / "tied.toml"), "--net", "pyramid", "--format", "json"], capsys
    )
    (doc,) = json.loads(out)["networks"]
    assert doc["input"] == {"full": ["H", "W", 3], "half": ["h", "w", 3]}
    assert doc["relations"][0] == {
        "symbol": "h",
        "equals": "ceiling(H/2)",
        "text": "h = ⌈H/2⌉",
        "layer": "concat1",
    }


def test_solve_with_set_solves_for_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["solve", str(SOLVE / "vgg16.toml"), "--set", "W=224", "--format", "json"], capsys
    )
    (doc,) = json.loads(out)["networks"]
    assert doc["input"] == ["H", 224, 3]
    assert [s["name"] for s in doc["symbols"]] == ["H"]


def test_solve_table_golden(capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("vgg16", "none"):
        code, out, err = run(["solve", str(SOLVE / f"{name}.toml")], capsys)
        assert (code, err) == (0, "")
        golden = GOLDEN / f"solve_{name}.txt"
        if os.environ.get("CNNCALC_REGENERATE_GOLDENS"):
            golden.write_text(out)
        assert out == golden.read_text()


def test_solve_markdown_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["solve", str(SOLVE / "odd.toml"), "--net", "one", "-f", "markdown"], capsys)
    assert code == 0
    assert "| H | H ≡ 1 (mod 2) | 3 | 3, 5, 7, 9, 11, … |" in out
    code, out, _ = run(["solve", str(SOLVE / "odd.toml"), "--net", "one", "-f", "csv"], capsys)
    assert out.splitlines()[:2] == [
        "network,symbol,valid,min,values",
        'one,H,H ≡ 1 (mod 2),3,"3, 5, 7, 9, 11, …"',
    ]


def test_solve_on_a_numeric_network(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["solve", "--layers", "maxpool 2", "--input", "8x8x3"], capsys)
    assert code == 0
    assert "the input has no size symbols" in out


def test_solve_count_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["solve", str(SOLVE / "vgg16.toml"), "--count", "0"], capsys)
    assert code == 2
    assert "--count" in err


def test_solve_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["solve", "--help"], capsys)
    assert code == 0
    assert "Valid values of the size symbols" in out
    assert "cnncalc solve examples.toml --net vgg16 --input HxWx3 --count 3" in " ".join(
        out.split()
    )
    assert "--count" in out and "--set" in out
