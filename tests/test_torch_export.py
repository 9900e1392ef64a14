"""Tests for cnncalc.interop.torch_export and ``cnncalc export``: the code, the CLI, and PyTorch
as judge.

The differential tests export every network of examples.toml (when it is there) and of
tests/data/torch/, run it with torch and compare each layer with cnncalc: output shape,
trainable and non-trainable parameters, MACs (FlopCounterMode's FLOPs / 2), and the
receptive field of every spatial layer as autograd measures it.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnncalc.cli.app import main
from cnncalc.engine.walk import analyze
from cnncalc.errors import CnnCalcError, printable
from cnncalc.interop.torch_export import export_pytorch
from cnncalc.interop.torch_names import MODULE_ATTRIBUTES, Names, class_name
from cnncalc.spec.load import load, load_dict, load_text
from conftest import examples, skip_unexported

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "torch"
EXAMPLES = ROOT / "examples.toml"
REGENERATE = os.environ.get("CNNCALC_REGENERATE_GOLDENS") == "1"
OWN = sorted(DATA.glob("*.toml"))


def export_file(path: Path, **options: object) -> str:
    return export_pytorch([analyze(n) for n in load(str(path))], path.name, **options).code  # type: ignore[arg-type]


def network_ids() -> list[tuple[str, str]]:
    """(file, network) for every network the differential tests cover."""
    found = [(str(p), n.name) for p in OWN for n in load(str(p))]
    if EXAMPLES.exists():
        found += [(str(EXAMPLES), n.name) for n in load(str(EXAMPLES))]
    return found


NETWORKS = network_ids()


# --------------------------------------------------------------------------- the code


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.stem)
def test_export_matches_the_golden_file(path: Path) -> None:
    golden = DATA / "golden" / f"{path.stem}.py.txt"
    code = export_file(path)
    if REGENERATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(code, encoding="utf-8")
    assert code == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.stem)
def test_exported_code_is_plain_python_that_imports_only_torch(path: Path) -> None:
    tree = ast.parse(export_file(path))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported == {"torch"}
    assert all(len(line) <= 100 for line in export_file(path).splitlines())


def test_names_become_valid_unique_identifiers() -> None:
    names = Names(frozenset({"self", "torch"}))
    claimed = [names.claim(w) for w in ["conv-1", "conv_1", "2pool", "class", "forward", "self"]]
    assert claimed == ["conv_1", "conv_1_2", "_2pool", "class_", "forward_", "self_"]
    assert [class_name(n) for n in ["mobilenet_v2", "lenet5", "my-net", "_"]] == [
        "MobilenetV2",
        "Lenet5",
        "MyNet",
        "Network",
    ]


def test_layer_names_are_attribute_names() -> None:
    text = export_file(DATA / "twins.toml")
    for line in [
        "self.conv_1 = nn.Conv2d(3, 8, kernel_size=3)",
        "self.forward_ = nn.LocalResponseNorm(5, k=2.0)",
        "self._2pool = nn.MaxPool2d(2)",
        "conv_1b = F.leaky_relu(self.conv_1(right))  # 22x22x8",  # shared weights
        "def forward(self, left: Tensor, right: Tensor) -> tuple[Tensor, Tensor, Tensor]:",
        "return left_head, right_head, class_",
    ]:
        assert line in text


def test_asymmetric_padding_is_an_explicit_pad() -> None:
    (a,) = [
        analyze(n)
        for n in load_text(
            'input = [8, 8, 3]\nlayers = ["conv 4 kernel=3 stride=2 padding=same", '
            '"maxpool 2 padding=[[0,1],[1,0]]", "deconv 2 kernel=3 padding=[[1,0],[0,0]]"]',
            "pad.toml",
        )
    ]
    code = export_pytorch([a]).code
    assert "conv1 = F.pad(x, (1, 0, 1, 0))  # padding 1+0, 1+0" in code  # CS 230's "same"
    assert "maxpool1 = F.pad(conv1, (1, 0, 0, 1), value=-torch.inf)  # padding 0+1, 1+0" in code
    # a transposed conv's padding crops its output
    assert "deconv1 = F.pad(deconv1, (0, 0, -1, 0))  # 3x4x2 (cropped 1+0, 0+0)" in code


def test_symbolic_sizes_are_an_error() -> None:
    (n,) = load_text('input = ["H", 8, 1]\nlayers = ["conv 2 kernel=3"]', "sym.toml")
    with pytest.raises(CnnCalcError) as error:
        export_pytorch([analyze(n)])
    assert str(error.value) == (
        "sym.toml: sym, input: cannot export to PyTorch with symbolic sizes (H); "
        "give them values, e.g. --set H=224"
    )


def test_lrn_on_a_flat_vector_has_no_torch_equivalent() -> None:
    (n,) = load_text('input = [16]\nlayers = ["fc 8", "lrn name=norm"]', "lrn.toml")
    with pytest.raises(CnnCalcError) as error:
        export_pytorch([analyze(n)])
    assert str(error.value) == (
        "lrn.toml:2: lrn, norm: cannot export to PyTorch: torch's local response "
        "normalisation needs spatial axes"
    )


# --------------------------------------------------------------------------- the CLI


def test_cli_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lenet5.py"
    assert main(["export", str(DATA / "lenet5.toml"), "--to", "pytorch", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == export_file(DATA / "lenet5.toml")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"wrote {out}: lenet5\n"


def test_cli_writes_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export", "--layers", "conv 4 kernel=3; flatten; fc 2", "--input", "8x8x1"])
    assert code == 0
    out = capsys.readouterr().out
    assert "self.conv1 = nn.Conv2d(1, 4, kernel_size=3)" in out
    assert "flatten1 = torch.flatten(conv1.permute(0, 2, 3, 1), 1)  # 144" in out


def test_cli_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["export", str(DATA / "lenet5.toml"), "--to", "keras"]) == 2
    assert "'keras' is not one of 'pytorch'" in capsys.readouterr().err
    assert main(["export", "--layers", "conv 2 kernel=3", "--input", "Hx8x1"]) == 2
    assert capsys.readouterr().err == (
        "<layers>: network, input: cannot export to PyTorch with symbolic sizes (H); "
        "give them values, e.g. --set H=224\n"
    )
    missing = tmp_path / "no" / "such.py"
    assert main(["export", str(DATA / "lenet5.toml"), "-o", str(missing)]) == 2
    assert (
        capsys.readouterr().err == f"{missing}: cannot write the file: No such file or directory\n"
    )


def test_cli_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--help"]) == 0
    assert "cnncalc export examples.toml --net lenet5 --to pytorch -o lenet5.py" in " ".join(
        capsys.readouterr().out.split()
    )


# --------------------------------------------------------------------------- against torch


@pytest.fixture(scope="module")
def tc(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    pytest.importorskip("torch")
    import torchcheck

    torchcheck.WORKDIR = tmp_path_factory.mktemp("exported")
    return torchcheck


def analysis_of(file: str, name: str):  # type: ignore[no-untyped-def]
    (n,) = [n for n in load(file) if n.name == name]
    a = analyze(n)
    skip_unexported(a)
    return a


def test_module_attributes_are_those_of_torch(tc) -> None:  # type: ignore[no-untyped-def]
    from torch import nn

    public = {a for a in dir(nn.Module) if not a.startswith("_")}
    assert public <= MODULE_ATTRIBUTES | {"training"}


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_every_layer_agrees_with_torch(tc, file: str, name: str) -> None:  # type: ignore[no-untyped-def]
    a = analysis_of(file, name)
    ex = export_pytorch([a])
    bad = tc.compare(a, ex, tc.import_code(ex.code, tc.WORKDIR))
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(("file", "name"), NETWORKS, ids=[n for _, n in NETWORKS])
def test_receptive_fields_agree_with_autograd(tc, file: str, name: str) -> None:  # type: ignore[no-untyped-def]
    a = analysis_of(file, name)
    bad, checked = tc.measure_fields(a, tc.WORKDIR)
    assert not bad, "\n".join(bad)
    spatial = [r for r in a.layers if not r.field.is_global and r.field.size and periodic(r)]
    assert checked >= len(spatial) // 2  # most layers had a whole unclipped period to check


def periodic(r: Any) -> bool:
    """Fields that repeat within the layer's output; after resampling by torch's float32 rule
    they are listed output by output, and every probed unit is checked on its own."""
    units = r.field.units or ()
    return all(u.period < size for u, size in zip(units, r.shape, strict=False))


def test_examples_are_covered_when_present() -> None:
    if not EXAMPLES.exists():
        pytest.skip("examples.toml is not in this checkout")
    assert {n for f, n in NETWORKS if f == str(EXAMPLES)} == {n.name for n in load(str(EXAMPLES))}


# --------------------------------------------------------------------------- blocks


def test_a_block_becomes_one_class_with_its_own_arithmetic() -> None:
    code = export_file(DATA / "blocks.toml")
    assert "class Unit(nn.Module):" in code
    assert "    def __init__(self, in_channels: int, width: int, k: int) -> None:" in code
    assert (
        "        self.conv1 = nn.Conv2d(in_channels, width * 2, kernel_size=k, "
        "padding=(k - 1) // 2)" in code
    )
    # "stage" pads evenly with stride 1 and unevenly with stride 2: two classes
    assert "class Stage(nn.Module):" in code and "class Stage2(nn.Module):" in code
    assert "        self.s3 = Stage2(in_channels=16)" in code


def test_shared_instances_call_one_module_and_read_in_blocks_are_inline() -> None:
    code = export_file(DATA / "blocks.toml")
    assert "        twin = self.s3(s2)  # 5x5x16" in code  # share = "s3": the same weights
    assert "        peek = self.peek(probe_conv1)  # 5x5x16" in code  # reads inside "probe"
    assert "self.probe = " not in code


def block_text(args: list[dict[str, int]], pad: str, size: int, channels: int) -> str:
    uses = "\n".join(
        '[[layers]]\ntype = "b"\n' + "".join(f"{k} = {v}\n" for k, v in a.items()) for a in args
    )
    return (
        f"input = [{size}, {size}, {channels}]\n"
        "[blocks.b]\n"
        "args = { w = 2, k = 3, s = 1 }\n"
        "layers = [\n"
        f'  {{ type = "conv", filters = "w * 2", kernel = "k", stride = "s", padding = {pad} }},\n'
        '  { type = "batchnorm", activation = "relu" },\n'
        '  { type = "conv", filters = "w + 1", kernel = "k - 1 + 1", groups = 1 },\n'
        '  { type = "maxpool", kernel = "s", padding = "valid" },\n'
        "]\n" + uses
    )


@settings(max_examples=examples(60), deadline=None)
@given(
    args=st.lists(
        st.fixed_dictionaries(
            {"w": st.integers(1, 4), "k": st.integers(1, 3), "s": st.integers(1, 2)}
        ),
        min_size=1,
        max_size=3,
    ),
    pad=st.sampled_from(['"same"', '"valid"', "1", "[[1, 0], [0, 1]]"]),
    size=st.integers(12, 20),
    channels=st.integers(1, 3),
)
def test_block_instances_with_any_arguments_agree_with_torch(
    args: list[dict[str, int]], pad: str, size: int, channels: int
) -> None:
    pytest.importorskip("torch")
    import torchcheck

    text = block_text(args, pad, size, channels)
    try:
        (n,) = load_text(text, "blocky.toml")
        a = analyze(n)
    except CnnCalcError:  # strides shrank the input below a kernel: not a network
        assume(False)
    ex = export_pytorch([a])
    module = torchcheck.import_code(ex.code, torchcheck.WORKDIR)
    bad = torchcheck.compare(a, ex, module)
    assert not bad, text + "\n" + "\n".join(bad)
    assert "class B(nn.Module):" in ex.code


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.stem)
def test_activation_modules_compute_the_same(tc, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Activations as modules (for tools that count by module) change nothing but the code."""
    import torch

    analyses = [analyze(n) for n in load(str(path))]
    plain, modular = export_pytorch(analyses), export_pytorch(analyses, activation_modules=True)
    for a in analyses:
        outputs = []
        for ex in (plain, modular):
            info = ex.networks[a.network.name]
            torch.manual_seed(0)
            model = getattr(tc.import_code(ex.code, tc.WORKDIR), info.class_name)().eval()
            torch.manual_seed(1)
            with torch.no_grad():
                result = model(*tc.example_inputs(a, info))
            outputs.append(result if isinstance(result, tuple) else (result,))
        assert all(torch.equal(p, m) for p, m in zip(*outputs, strict=True))


def test_cli_activation_modules(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["export", "-l", "conv 4 kernel=3 activation=relu", "-i", "8x8x1", "--activation-modules"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "self.conv1_relu = nn.ReLU()" in out
    assert "self.conv1_relu(self.conv1(x))" in out


# --------------------------------------------------------------------------- hostile names

INJECTION = 'a""";__import__(\'os\').system(\'touch PWNED\');"""'
INTERNALS = ["__call__", "__init__", "__class__", "_modules", "_parameters", "_buffers",
             "forward", "__getattr__", "__dict__", "_", "a\x00b"]  # fmt: skip
NAME = st.text(min_size=1, max_size=12) | st.sampled_from(
    ['"""', "'''", "\\", '\\"""', "\n", "\r", "\x00", "\u202e", INJECTION, *INTERNALS]
)
LAYER_NAME = NAME.filter(lambda n: "." not in n and n != "input")


def hostile_doc(net: str, block: str, instance: str, layer: str) -> dict[str, object]:
    """A network named ``net`` holding one instance of a block with one named conv."""
    layers = [{"type": "conv", "filters": 4, "kernel": 1, "name": layer}]
    return {
        "blocks": {block: {"layers": layers}},
        net: {"input": [4, 4, 3], "layers": [{"type": block, "name": instance}, "relu"]},
    }


def generated_strings(code: str) -> tuple[list[str], list[str]]:
    """(docstrings, every other string constant) of a generated module, which must hold
    nothing but a docstring, imports and classes of a docstring and methods."""
    tree = ast.parse(code)
    docs = [ast.get_docstring(tree, clean=False) or ""]
    for node in tree.body:
        assert isinstance(node, ast.Expr | ast.Import | ast.ImportFrom | ast.ClassDef)
        if isinstance(node, ast.ClassDef):
            docs.append(ast.get_docstring(node, clean=False) or "")
            assert all(isinstance(item, ast.Expr | ast.FunctionDef) for item in node.body)
    constants = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    others = list(constants)
    for doc in docs:
        others.remove(doc)
    return docs, others


def flat(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=examples(200), deadline=None)
@given(NAME.filter(lambda n: n != "blocks"), NAME, LAYER_NAME, LAYER_NAME, NAME)
def test_names_from_a_hostile_file_stay_in_docstrings(
    net: str, block: str, instance: str, layer: str, source: str
) -> None:
    assume(instance != layer)
    block = "blk_" + block  # a block may not take the name of a layer type
    analyses = [analyze(n) for n in load_dict(hostile_doc(net, block, instance, layer))]
    docs, others = generated_strings(export_pytorch(analyses, source).code)
    assert others == []  # the code itself holds no string from the file
    assert flat(printable(source)) in flat(docs[0]) and flat(printable(net)) in flat(docs[0])
    assert flat(printable(block)) in flat(docs[1])
    assert flat(printable(net)) in flat(docs[2])


def test_the_injection_of_the_report_is_a_docstring() -> None:
    text = f'name = "{INJECTION.replace(chr(34), chr(92) + chr(34))}"\ninput = [8, 8, 3]\n'
    (a,) = [analyze(n) for n in load_text(text + 'layers = ["conv 4 kernel=3"]\n', "inj.toml")]
    code = export_pytorch([a], "inj.toml").code
    assert code.startswith('"""PyTorch models of a\\"\\"\\";__import__(\'os\')')
    docs, others = generated_strings(code)
    assert INJECTION in docs[0] and others == []


def test_names_of_module_internals_and_nul_build_and_run(tc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc: dict[str, object] = {"blocks": {"b": {"layers": [
        {"type": "conv", "filters": 4, "kernel": 1, "name": name} for name in INTERNALS
    ]}}}  # fmt: skip
    doc["net\x00"] = {
        "input": {"__getstate__": [4, 4, 3]},
        "layers": [
            *({"type": "relu", "name": f"t{name}"} for name in INTERNALS),
            *({"type": "b", "name": name} for name in INTERNALS),
        ],
    }
    analyses = [analyze(n) for n in load_dict(doc)]
    assert tc.check_networks(analyses, tmp_path) == {"net\x00": tc.Mismatch()}


def test_the_wrote_line_shows_control_characters_as_escapes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "net.toml"
    path.write_text('name = "n\\u001b[2J\\r"\ninput = [8, 8, 3]\nlayers = ["conv 4 kernel=3"]\n')
    out = tmp_path / "net.py"
    assert cli("export", str(path), "-o", str(out)) == (0, "", f"wrote {out}: n\\x1b[2J\\x0d\n")
