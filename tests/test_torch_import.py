"""Tests for cnncalc.interop.torch_import and ``cnncalc import``: torch.fx traces back to the
same network.

Round trip: every network of tests/data/torch/ and examples.toml is exported, imported
again from the generated module, and must give the same totals, output shapes and,
layer by layer, the same layers with weights, padding and receptive fields.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")


from torchcheck import round_trip, summary  # noqa: E402

from cnncalc.cli.app import main  # noqa: E402
from cnncalc.engine.walk import analyze  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.interop.torch_export import export_pytorch  # noqa: E402
from cnncalc.interop.torch_import import import_torch  # noqa: E402
from cnncalc.spec.load import load, load_text  # noqa: E402

DATA = Path(__file__).parent / "data" / "torch"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples.toml"
FILES = sorted(DATA.glob("*.toml")) + ([EXAMPLES] if EXAMPLES.exists() else [])
NETWORKS = [(str(f), n.name) for f in FILES for n in load(str(f))]


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_export_then_import_gives_the_same_network(file: str, name: str, tmp_path: Path) -> None:
    (n,) = [n for n in load(file) if n.name == name]
    a = analyze(n)
    assert summary(round_trip(a, tmp_path)) == summary(a)


def test_the_toml_names_layers_after_the_modules(tmp_path: Path) -> None:
    (n,) = load(str(DATA / "twins.toml"))
    text = import_torch(
        f"{write(tmp_path, export_pytorch([analyze(n)]).code)}:Twins",
        {"left": [24, 24, 3], "right": [24, 24, 3]},
    ).toml()
    assert "input = { left = [24, 24, 3], right = [24, 24, 3] }" in text
    assert (  # the module called again shares its weights
        '{ name = "conv_2", type = "conv", filters = 8, kernel = 3, share = "conv_1", '
        'activation = "leaky_relu", inputs = ["right"] }' in text
    )
    assert 'outputs = ["left_head", "left_head_1", "class_"]' in text


def write(tmp_path: Path, code: str, name: str = "model.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


USER_MODEL = """
import torch
from torch import nn
import torch.nn.functional as F


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2), nn.Softsign()
        )
        self.head = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        x = self.features(x)
        return self.head(x.view(x.size(0), -1))


class Norm(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(16)

    def forward(self, x):
        return self.norm(x)


class NeedsArgs(nn.Module):
    def __init__(self, width):
        super().__init__()
"""


def test_a_user_model_with_an_unknown_activation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, USER_MODEL)
    assert main(["import", f"{path}:Small", "--input", "16x16x3"]) == 0
    out, err = capsys.readouterr()
    assert err == (
        "warning: left out features_3 (Softsign): no cnncalc layer type, and it has no "
        "parameters and keeps the shape\n"
    )
    (n,) = load_text(out, "small.toml")
    a = analyze(n)
    assert a.totals.params == (3 * 9 + 1) * 8 + (512 + 1) * 10
    assert [r.node.layer.kind for r in a.layers] == ["conv", "pool", "flatten", "fc"]
    assert '"padding": [[1, 1], [1, 1]]' not in out and "padding = [[1, 1], [1, 1]]" in out


def test_what_cannot_be_translated_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, USER_MODEL)
    assert main(["import", f"{path}:Norm", "--input", "16x4"]) == 2
    assert (
        capsys.readouterr().err
        == "Norm: no cnncalc layer for norm (LayerNorm over axes other than the channels, or all)\n"
    )
    assert main(["import", f"{path}:NeedsArgs", "--input", "4x16"]) == 2
    assert capsys.readouterr().err == (
        "cannot build NeedsArgs(): TypeError: NeedsArgs.__init__() missing 1 required "
        "positional argument: 'width'; cnncalc builds the module with no arguments (wrap it "
        "in a class that passes them)\n"
    )
    assert main(["import", f"{path}:Nothing", "--input", "4x16"]) == 2
    assert capsys.readouterr().err == f"{path}: the module has no 'Nothing'\n"
    assert main(["import", "model.py", "--input", "4x16"]) == 2
    assert capsys.readouterr().err == (
        "MODULE:CLASS: cannot read 'model.py'; expected FILE.py:ClassName\n"
    )


def test_several_inputs_need_a_shape_each(tmp_path: Path) -> None:
    (n,) = load(str(DATA / "twins.toml"))
    path = write(tmp_path, export_pytorch([analyze(n)]).code)
    with pytest.raises(CnnCalcError) as error:
        import_torch(f"{path}:Twins", {"input": [24, 24, 3]})
    assert str(error.value) == (
        "--input: Twins.forward takes left, right; give each a shape, e.g. --input left=224x224x3"
    )


def test_cli_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (n,) = load(str(DATA / "lenet5.toml"))
    path = write(tmp_path, export_pytorch([analyze(n)]).code)
    out = tmp_path / "lenet5.toml"
    assert main(["import", f"{path}:Lenet5", "--input", "32x32x1", "-o", str(out)]) == 0
    assert capsys.readouterr().err == f"wrote {out}: Lenet5\n"
    assert analyze(load(str(out))[0]).totals.params == 61706


def test_cli_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "cnncalc import model.py:ResNet --input 224x224x3 -o resnet.toml" in out


def test_import_says_what_it_is_doing(tmp_path: Path) -> None:
    (n,) = load(str(DATA / "twins.toml"))
    path = write(tmp_path, export_pytorch([analyze(n)]).code)
    seen: list[str] = []
    import_torch(f"{path}:Twins", {"left": [24, 24, 3], "right": [24, 24, 3]}, seen.append)
    assert seen[:3] == [
        f"building {path}:Twins",
        "tracing Twins with torch.fx",
        "running Twins once to find its shapes",
    ]
    assert seen[3].startswith("translating node 1 of ") and seen[-1].startswith("translating")
