"""Tests for cnncalc.interop.onnx_* and ``cnncalc import model.onnx``.

Graphs built with ``onnx.helper`` check each translation and error; torchvision models
and a hand-made net exported with ``torch.onnx.export`` are the oracles: trainable
parameters, conv+linear MACs and output shape equal torch's, and every imported
layer's shape equals what ``onnx.shape_inference`` says. Needs ``pip install onnx``
(and torch, torchvision and onnxscript for the oracles; ``.ci/run`` installs them).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

onnx = pytest.importorskip("onnx", reason="pip install 'cnncalc[onnx]'")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from cnncalc.cli.app import main  # noqa: E402
from cnncalc.engine.walk import Analysis, analyze  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.interop.imported import Imported, Refused, need, resolve_same  # noqa: E402
from cnncalc.interop.onnx_import import import_onnx  # noqa: E402
from cnncalc.spec.load import load_text  # noqa: E402
from conftest import golden  # noqa: E402

np = pytest.importorskip("numpy")


def weight(name: str, *dims: int) -> Any:
    return numpy_helper.from_array(np.ones(dims, np.float32), name)


def save(tmp_path: Path, nodes: list[Any], inits: list[Any], shape: list[Any], out: str) -> str:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    return str(path)


def imported(path: str, shapes: dict[str, list[int]] | None = None) -> tuple[Imported, Analysis]:
    net = import_onnx(path, shapes or {}, 10_000)
    resolve_same(net, "m.toml")
    (network,) = load_text(net.toml(), "m.toml")
    return net, analyze(network)


def test_conv_pool_gemm_with_same_upper_and_a_folded_asymmetric_pad(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"], name="pad"),
        helper.make_node("Conv", ["p", "w", "b"], ["c"], name="/stem/conv/Conv", strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node(
            "MaxPool",
            ["r"],
            ["q"],
            name="pool",
            kernel_shape=[3, 3],
            strides=[2, 2],
            auto_pad="SAME_UPPER",
        ),
        helper.make_node("GlobalAveragePool", ["q"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1),
    ]
    pads = numpy_helper.from_array(np.array([0, 0, 0, 1, 0, 0, 1, 2], np.int64), "pads")
    inits = [pads, weight("w", 8, 3, 3, 3), weight("b", 8), weight("fw", 10, 8), weight("fb", 10)]
    inits += [weight(k, 8) for k in ("s", "bb", "m", "v")]
    net, a = imported(save(tmp_path, nodes, inits, [1, 3, 16, 16], "y"))
    keys = {layer.name: layer.keys for layer in net.layers}
    assert keys["stem_conv_Conv"]["padding"] == [[0, 1], [1, 2]]  # the Pad, folded
    assert keys["pool"]["padding"] == [[0, 1], [1, 1]]  # SAME_UPPER: odd pixel at the end
    assert keys["bn"]["activation"] == "relu"
    assert a.outputs == {"fc": (10,)}
    assert (a.totals.params, a.totals.trainable_params) == (224 + 32 + 90, 224 + 16 + 90)
    golden("import-onnx.toml.txt", net.toml())


@pytest.mark.parametrize(
    ("shape", "ours"), [([1, 4, 20], [20, 4]), ([1, 4, 6, 8, 10], [6, 8, 10, 4])]
)
def test_one_and_three_spatial_axes(tmp_path: Path, shape: list[int], ours: list[int]) -> None:
    n = len(shape) - 2
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1] * 2 * n),
        helper.make_node(
            "AveragePool", ["c"], ["y"], name="pool", kernel_shape=[2] * n, strides=[2] * n
        ),
    ]
    net, a = imported(save(tmp_path, nodes, [weight("w", 5, 4, *[3] * n)], shape, "y"))
    assert net.inputs == {"input": ours}
    assert a.layers[0].effect.params == 5 * 4 * 3**n and net.layers[0].keys["bias"] is False
    assert a.outputs["pool"] == tuple([s // 2 for s in ours[:-1]] + [5])


def test_dynamic_sizes_become_symbols_or_take_input(tmp_path: Path) -> None:
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", strides=[2, 2])]
    path = save(tmp_path, nodes, [weight("w", 4, 3, 3, 3)], ["N", 3, "height", "width"], "y")
    net, a = imported(path)
    assert net.inputs == {"input": ["H", "W", 3]}
    assert str(a.outputs["conv"][0]) != "" and not isinstance(a.outputs["conv"][0], int)
    net, a = imported(path, {"input": [32, 32, 3]})
    assert a.outputs == {"conv": (15, 15, 4)}


def test_silu_layer_scale_and_matmul_bias_after_a_layout_change(tmp_path: Path) -> None:
    try:
        need("silu")
        need("scale")
    except Refused as missing:
        pytest.skip(str(missing))
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Sigmoid", ["c"], ["s"], name="sig"),
        helper.make_node("Mul", ["c", "s"], ["silu"], name="silu"),
        helper.make_node("Mul", ["silu", "gamma"], ["g"], name="gamma"),
        helper.make_node("Transpose", ["g"], ["t"], name="nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("ReduceMean", ["t", "axes"], ["m"], name="mean", keepdims=0),
        helper.make_node("MatMul", ["m", "mw"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "mb"], ["y"], name="bias"),
    ]
    axes = numpy_helper.from_array(np.array([1, 2], np.int64), "axes")
    inits = [weight("w", 6, 3, 1, 1), weight("gamma", 6, 1, 1), axes]
    inits += [weight("mw", 6, 7), weight("mb", 7)]
    net, a = imported(save(tmp_path, nodes, inits, [1, 3, 8, 8], "y"))
    types = [(layer.keys["type"], layer.keys.get("activation")) for layer in net.layers]
    assert types == [
        ("conv", "silu"),
        ("scale", None),
        ("global_pool", None),
        ("flatten", None),
        ("fc", None),
    ]
    assert net.layers[-1].keys["bias"] is True
    assert a.totals.params == 18 + 6 + 6 * 7 + 7 and a.outputs == {"fc": (7,)}


def test_several_inputs_keep_their_names_as_cnncalc_names(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Concat", ["img.1", "aux"], ["y"], name="cat", axis=1)],
        "g",
        [
            helper.make_tensor_value_info("img.1", TensorProto.FLOAT, [1, 3, 4, 4]),
            helper.make_tensor_value_info("aux", TensorProto.FLOAT, [1, 2, 4, 4]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    path = tmp_path / "two.onnx"
    onnx.save(helper.make_model(graph), str(path))
    net, a = imported(str(path), {"aux": [4, 4, 2], "img.1": [4, 4, 3]})
    assert net.inputs == {"img_1": [4, 4, 3], "aux": [4, 4, 2]}
    assert net.layers[0].inputs == ["img_1", "aux"] and a.outputs == {"cat": (4, 4, 5)}


def test_split_and_slice_of_channels(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=1),
        helper.make_node("Slice", ["b", "st", "en", "ax"], ["c"], name="slice"),
        helper.make_node("Concat", ["a", "c"], ["y"], name="cat", axis=1),
    ]
    ints = {"sizes": [2, 4], "st": [1], "en": [-1], "ax": [1]}
    inits = [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in ints.items()]
    path = save(tmp_path, nodes, inits, [1, 6, 4, 4], "y")
    try:
        need("slice", "start", "end")
    except Refused as missing:
        with pytest.raises(CnnCalcError) as error:
            imported(path)
        assert f"node 'split' (Split): {missing}" in str(error.value)
        return
    net, a = imported(path)
    ranges = [(layer.keys.get("start"), layer.keys.get("end")) for layer in net.layers[:3]]
    assert ranges == [(0, 2), (2, 6), (1, 3)] and a.outputs == {"cat": (4, 4, 4)}


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["import", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_operator_without_translation_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("Erf", ["c"], ["y"], name="/block/gelu/Erf"),
    ]
    path = save(tmp_path, nodes, [weight("w", 4, 3, 3, 3)], [1, 3, 8, 8], "y")
    code, out, err = cli([path], capsys)
    assert code == 2 and out == ""
    assert (
        err
        == f"{path}: no cnncalc layer for node '/block/gelu/Erf' (Erf): no cnncalc translation\n"
    )


def test_truncated_and_foreign_files_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")]
    good = Path(save(tmp_path, nodes, [weight("w", 4, 3, 3, 3)], [1, 3, 8, 8], "y"))
    truncated = tmp_path / "cut.onnx"
    truncated.write_bytes(good.read_bytes()[:60])
    foreign = tmp_path / "notes.onnx"
    foreign.write_text("this is not a model\n")
    for path in (truncated, foreign):
        code, out, err = cli([str(path)], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1
        assert err.startswith(f"{path}: not an ONNX model")


def test_a_graph_with_a_loop_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = [
        helper.make_node("Add", ["x", "b"], ["a"], name="first"),
        helper.make_node("Relu", ["a"], ["b"], name="second"),
        helper.make_node("Relu", ["b"], ["y"], name="out"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    path = tmp_path / "loop.onnx"
    onnx.save(helper.make_model(graph), str(path))
    code, out, err = cli([str(path)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"{path}: the graph has a loop: node first, second")


def test_too_many_nodes_for_max_layers(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Relu", ["x" if k == 0 else f"r{k}"], [f"r{k + 1}"]) for k in range(5)
    ]
    path = save(tmp_path, nodes, [], [1, 3, 4, 4], "r5")
    with pytest.raises(CnnCalcError, match="5 nodes, more than --max-layers 4"):
        import_onnx(path, {}, 4)


# ----- the oracles: torch.onnx.export of torchvision models and a hand-made net

torch = pytest.importorskip("torch")

TORCHVISION = [
    "resnet18",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "densenet121",
    "squeezenet1_0",
    "segmentation.lraspp_mobilenet_v3_large",
]


def torch_truth(model: Any, x: Any) -> tuple[int, int, tuple[int, ...]]:
    """Trainable parameters, conv+linear MACs (FlopCounterMode's FLOPs / 2) and output."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        y = model(x)
    y = y["out"] if isinstance(y, dict) else y
    ops = counter.get_flop_counts()["Global"]
    macs = sum(v for k, v in ops.items() if "conv" in str(k) or "mm" in str(k)) // 2
    dims = tuple(y.shape[1:])
    ours = dims if len(dims) == 1 else (*dims[1:], dims[0])
    return sum(p.numel() for p in model.parameters()), macs, ours


def export(model: Any, x: Any, path: Path, **options: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), **options)
    return str(path)


def agrees_with_shape_inference(net: Imported, a: Analysis, path: str) -> None:
    """Every layer's shape equals onnx.shape_inference's for the tensor it stands for."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path, load_external_data=False))
    dims = {
        vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
        for vi in [*model.graph.value_info, *model.graph.output]
    }
    checked = 0
    for r in a.layers:
        tensor = net.tensors.get(r.node.name)
        if tensor is None or tensor not in dims:
            continue
        onnx_dims = dims[tensor][1:]
        candidates = {tuple(onnx_dims), tuple([*onnx_dims[1:], onnx_dims[0]])}
        assert tuple(r.effect.shape) in candidates, (r.node.name, r.effect.shape, onnx_dims)
        checked += 1
    assert checked >= len(a.layers) * 0.9


@pytest.fixture(scope="module")
def models() -> Any:
    """torchvision's models (conftest lets them import without its compiled operators)."""
    pytest.importorskip("torchvision", reason="pip install --no-deps torchvision==0.28.0")
    import torchvision.models.segmentation  # noqa: F401

    return torchvision.models


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_models_match_torch(name: str, models: Any, tmp_path: Path) -> None:
    group, _, short = name.rpartition(".")
    build = getattr(getattr(models, group) if group else models, short)
    options = {"weights_backbone": None} if group else {}
    model = build(weights=None, **options).eval()
    x = torch.zeros(1, 3, 224, 224)
    params, macs, output = torch_truth(model, x)
    # the TorchScript exporter without constant folding keeps batchnorm as batchnorm
    path = export(model, x, tmp_path / f"{short}.onnx", dynamo=False, do_constant_folding=False)
    try:
        net, a = imported(path)
    except CnnCalcError as error:
        if "this version does not have" in str(error) or "not in this version" in str(error):
            pytest.skip(f"a layer kind cnncalc does not have yet: {error}")
        raise
    assert (a.totals.trainable_params, a.totals.macs) == (params, macs)
    assert list(a.outputs.values())[0] == output
    agrees_with_shape_inference(net, a, path)


class HandMade(torch.nn.Module):  # type: ignore[misc]
    """ConvTranspose, Resize, Concat and an asymmetric Pad, exported by the dynamo exporter."""

    def __init__(self) -> None:
        super().__init__()
        nn = torch.nn
        self.down = nn.Conv2d(3, 8, 3, stride=2)
        self.up = nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1)
        self.side = nn.Conv2d(3, 8, 1)
        self.mix = nn.Conv2d(16, 4, 3)
        self.head = nn.Linear(4, 5)

    def forward(self, x: Any) -> Any:
        F = torch.nn.functional
        y = self.down(F.pad(x, (0, 1, 1, 0)))
        y = torch.relu(self.up(y))
        z = F.interpolate(self.side(F.max_pool2d(x, 2)), scale_factor=2.0, mode="nearest")
        y = self.mix(torch.cat([y, z], dim=1))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def test_a_hand_made_net_matches_torch(tmp_path: Path) -> None:
    pytest.importorskip("onnxscript", reason="torch.onnx.export needs onnxscript")
    model = HandMade().eval()
    x = torch.zeros(1, 3, 32, 32)
    params, macs, output = torch_truth(model, x)
    path = export(model, x, tmp_path / "hand.onnx")
    net, a = imported(path)
    kinds = {layer.keys["type"] for layer in net.layers}
    assert {"conv_transpose", "upsample", "concat", "fc"} <= kinds
    assert (a.totals.trainable_params, a.totals.macs) == (params, macs)
    assert list(a.outputs.values())[0] == output
    agrees_with_shape_inference(net, a, path)
