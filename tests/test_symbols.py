"""Size symbols: names in ``input``, malformed ones, and ``--set`` / ``--input`` substitution."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cnncalc.cli.app import main
from cnncalc.errors import CnnCalcError
from cnncalc.spec.symbols import symbol
from cnncalc.symbolic.formula import Formula
from conftest import network_files

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
INVALID = sorted((DATA / "invalid_symbols").glob("*.toml"))


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_symbol_is_a_formula() -> None:
    h = symbol("H")
    assert isinstance(h, Formula)
    assert str(h) == "H"
    assert symbol("width_2") == symbol("width_2")


@pytest.mark.parametrize("name", ["2H", "", "H W", "H-1", "_H", "Ĥ", "a" * 33, "floor", "Max"])
def test_malformed_names_are_refused(name: str) -> None:
    with pytest.raises(CnnCalcError):
        symbol(name)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_malformed_symbol_in_a_file(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    expected = first.removeprefix("# expect: ").format(file=str(path))
    code, out, err = run(["shapes", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err == expected + "\n"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("H=x", "--set: cannot read 'H=x'; expected SYMBOL=VALUE with a positive integer value"),
        ("H=0", "--set: cannot read 'H=0'; expected SYMBOL=VALUE"),
        ("H=²", "--set: cannot read 'H=²'; expected SYMBOL=VALUE"),
        ("H", "--set: cannot read 'H'; expected SYMBOL=VALUE"),
        ("2H=3", "--set: cannot read '2H=3'"),
        ("Q=3", "vgg16, --set: the network has no size symbol 'Q'; its symbols: H, W"),
    ],
)
def test_bad_set(option: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["shapes", str(DATA / "solve" / "vgg16.toml"), "--set", option], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1


def test_symbols_on_the_command_line_keep_their_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["shapes", "--layers", "maxpool 2", "--input", "HxWx3", "-f", "json"], capsys
    )
    assert code == 0
    assert json.loads(out)["networks"][0]["input"] == ["H", "W", 3]
    code, _, err = run(["shapes", "--layers", "maxpool 2", "--input", "2HxWx3"], capsys)
    assert code == 2
    assert "'2H' is not a valid size symbol" in err


# --------------------------------------------------------------------------- substitution is exact


def numeric_twin(text: str, sizes: dict[str, int]) -> str:
    """The same file written with numbers where it has symbols."""
    for name, value in sizes.items():
        text = re.sub(rf'"{name}"(?=\s*[,\]])', str(value), text)
    return text


@pytest.mark.parametrize(
    ("path", "sizes"),
    [
        (DATA / "resnet50.toml", {"H": 224, "W": 224}),
        (DATA / "resnet50.toml", {"H": 225, "W": 97}),
        (DATA / "solve" / "vgg16.toml", {"H": 224, "W": 224}),
        (DATA / "solve" / "unet.toml", {"H": 256, "W": 320}),
        (DATA / "solve" / "odd.toml", {"H": 33, "W": 35}),
        (DATA / "solve" / "tied.toml", {"H": 8, "W": 4, "h": 4, "w": 2, "L": 16}),
    ],
)
def test_set_gives_exactly_the_numeric_result(
    path: Path, sizes: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twin = tmp_path / path.name
    twin.write_text(numeric_twin(path.read_text(encoding="utf-8"), sizes), encoding="utf-8")
    _, expected, _ = run(["summary", str(twin), "-f", "json"], capsys)
    for net in json.loads(expected)["networks"]:
        sets = [f"--set={k}={v}" for k, v in sizes.items() if f'"{k}"' in path.read_text()]
        used = [s for s in sets if _uses(path, net["name"], s)]
        code, out, err = run(
            ["summary", str(path), "--net", net["name"], "-f", "json", *used], capsys
        )
        assert (code, err) == (0, "")
        assert json.loads(out)["networks"] == [net]


def _uses(path: Path, net: str, option: str) -> bool:
    from cnncalc.spec.load import load

    name = option.split("=")[1]
    chosen = next(n for n in load(str(path)) if n.name == net)
    return any(str(s) == name for shape in chosen.inputs.values() for s in shape)


def test_input_replaces_a_symbolic_input(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "resnet50.toml")
    _, by_set, _ = run(["macs", path, "--set", "H=224", "--set", "W=224", "-f", "json"], capsys)
    _, by_input, _ = run(["macs", path, "--input", "224x224x3", "-f", "json"], capsys)
    assert by_set == by_input
    assert json.loads(by_set)["networks"][0]["totals"]["macs"] == 4_089_184_256


# -------------------------------------------------------------------- no sympy on the numeric path


def imported_modules(args: list[str]) -> dict[str, Any]:
    code = (
        "import json, sys\n"
        "from cnncalc.cli.app import main\n"
        f"code = main({args!r})\n"
        "sys.stdout.flush()\n"
        "print(json.dumps({'code': code, 'sympy': 'sympy' in sys.modules}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    return result


def test_numeric_summary_does_not_import_sympy() -> None:
    result = imported_modules(
        [
            "summary",
            str(DATA / "solve" / "vgg16.toml"),
            "--set",
            "H=224",
            "--set",
            "W=224",
            "--format",
            "json",
        ]
    )
    assert result == {"code": 0, "sympy": False}


def test_symbolic_reports_and_solve_do_not_need_sympy_either() -> None:
    for args in (
        ["summary", str(DATA / "resnet50.toml"), "--format", "json"],
        ["solve", str(DATA / "resnet50.toml")],
    ):
        assert imported_modules(args) == {"code": 0, "sympy": False}


def numeric_examples() -> list[tuple[Path, str, list[int]]]:
    """Every single-input network with numeric sizes in the test data (and examples.toml)."""
    from cnncalc.spec.load import load

    found = []
    for path in network_files():
        for net in load(str(path)):
            shapes = list(net.inputs.values())
            if len(shapes) == 1 and len(shapes[0]) > 1 and all(type(s) is int for s in shapes[0]):
                found.append((path, net.name, list(shapes[0])))
    return found


@pytest.mark.parametrize(
    ("path", "name", "shape"),
    numeric_examples(),
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_symbols_then_set_is_the_numeric_report(
    path: Path, name: str, shape: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["D", "H", "W"][3 - (len(shape) - 1) :]
    symbolic = "x".join([*names, str(shape[-1])])
    sets = [f"--set={n}={v}" for n, v in zip(names, shape, strict=False)]
    _, expected, _ = run(["summary", str(path), "--net", name, "-f", "json"], capsys)
    code, out, err = run(
        ["summary", str(path), "--net", name, "-f", "json", "--input", symbolic, *sets], capsys
    )
    assert (code, err) == (0, "")
    assert out == expected
