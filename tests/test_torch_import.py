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
        "warning: left out Softsign (features_3): no cnncalc layer type, and it has no "
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


FALLBACK_MODEL = """
import math
import torch
from torch import nn
import torch.nn.functional as F


class SamePad(nn.Conv2d):
    def forward(self, x):
        h, w = x.shape[-2:]  # control flow on sizes: torch.fx cannot trace math.ceil
        ph = max((math.ceil(h / self.stride[0]) - 1) * self.stride[0] + self.kernel_size[0] - h, 0)
        pw = max((math.ceil(w / self.stride[1]) - 1) * self.stride[1] + self.kernel_size[1] - w, 0)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = SamePad(3, 8, 3, stride=2)
        self.gamma = nn.Parameter(torch.ones(8))

    def forward(self, x):
        x = self.conv(x)
        return x * self.gamma.reshape(1, -1, 1, 1) + x
"""


def test_torch_export_takes_over_where_fx_cannot_trace(tmp_path: Path) -> None:
    """math.ceil on a traced size stops torch.fx; torch.export runs on the real sizes."""
    path = write(tmp_path, FALLBACK_MODEL)
    imported = import_torch(f"{path}:Scaled", {"input": [15, 15, 3]})
    text = imported.toml()
    assert text.startswith(
        "# Imported by cnncalc from model.py:Scaled, traced with torch.export.\n"
    )
    (n,) = load_text(text, "scaled.toml")
    a = analyze(n)
    kinds = [(r.node.layer.kind, tuple(r.shape)) for r in a.layers]
    assert kinds == [
        ("conv", (8, 8, 8)),  # the F.pad folded into it: 1 on each side
        ("scale", (8, 8, 8)),  # gamma, read in forward and reshaped, is a learned scale
        ("add", (8, 8, 8)),
    ]
    assert a.totals.trainable_params == 3 * 3 * 3 * 8 + 8 + 8
    assert "padding = [[1, 1], [1, 1]]" in text or "padding = 1" in text


BLOCKS_MODEL = """
import torch
from torch import nn


class Unit(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x))) + x


class Stages(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 1)
        self.stage1 = nn.Sequential(Unit(8), Unit(8), Unit(8))
        self.widen = nn.Conv2d(8, 16, 1)
        self.stage2 = nn.Sequential(Unit(16), Unit(16))

    def forward(self, x):
        return self.stage2(self.widen(self.stage1(self.stem(x))))
"""


def test_repeated_modules_become_a_block_with_repeat(tmp_path: Path) -> None:
    path = write(tmp_path, BLOCKS_MODEL)
    imported = import_torch(f"{path}:Stages", {"input": [8, 8, 3]})
    text = imported.toml()
    assert '{ name = "stage1", type = "unit", repeat = 3 },' in text
    assert '{ name = "stage2", type = "unit", filters = 16, repeat = 2 },' in text
    assert "[blocks.unit]\nargs = { filters = 8 }\n" in text
    (n,) = load_text(text, "stages.toml")
    flat = analyze(load_text(imported.toml(blocks=False), "flat.toml")[0])
    assert summary(analyze(n)) == summary(flat)
    assert [r.name for r in analyze(n).layers][-3:] == [
        "stage2_2.conv",
        "stage2_2.bn",
        "stage2_2.add",
    ]


PYRAMID_MODEL = """
import torch.nn.functional as F
from torch import nn


class Unit(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return self.bn(self.conv(x))


class Pooling(nn.Module):  # torchvision's ASPPPooling
    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        size = x.shape[-2:]
        return F.interpolate(self.conv(self.pool(x)), size=size, mode="bilinear")


class Pyramid(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.stage = nn.Sequential(Unit(), Unit())
        self.down = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.pool1 = Pooling()
        self.pool2 = Pooling()

    def forward(self, x):
        s = self.stage(self.stem(x))
        top = F.interpolate(self.down(s), size=s.size()[2:])  # an FPN's top-down step
        y = s + top + self.pool1(s) + self.pool2(s)
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
"""


def test_an_interpolate_to_another_tensors_size_is_upsample_to(tmp_path: Path) -> None:
    """The size read off a tensor's shape becomes ``to`` naming its layer (a folded block
    instance by its name, a block's own input as "input"), so the file follows any input."""
    text = import_torch(f"{write(tmp_path, PYRAMID_MODEL)}:Pyramid", {"input": [19, 13, 3]}).toml()
    for line in (
        '{ name = "stage", type = "unit", repeat = 2 },',
        '{ name = "upsample", type = "upsample", to = "stage" },',
        '{ name = "upsample_2", type = "upsample", mode = "bilinear", to = "input" },',
        '{ name = "upsample", type = "upsample", mode = "bilinear", to = "input" },',  # a block's
    ):
        assert line in text
    assert "[blocks.pooling]" in text and "size =" not in text
    (n,) = load_text(text, "pyramid.toml")
    n.inputs["input"] = (40, 24, 3)
    a = analyze(n)
    assert a.layers[-1].shape == (40, 24, 4)
    assert {r.name: r.shape for r in a.layers}["pool2.upsample"] == (20, 12, 4)


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
