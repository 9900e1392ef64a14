"""Tests for cnncalc.interop.keras_* and ``cnncalc import model.keras``.

Configs written here check each translation and error without Keras. The oracle is
Keras 3 on the torch backend (``KERAS_BACKEND=torch``, no TensorFlow): the
``keras.applications`` models, saved as ``.keras`` archives, must give Keras's
``count_params()``, its trainable weights' size and every layer's output shape.
Needs ``pip install keras`` for the oracle (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cnncalc.cli.app import main
from cnncalc.engine.walk import Analysis, analyze
from cnncalc.errors import CnnCalcError
from cnncalc.interop import keras_import
from cnncalc.interop.imported import Imported, resolve_same
from cnncalc.interop.keras_import import import_keras
from cnncalc.spec.load import load_text
from conftest import golden


def tensor(layer: str, shape: list[Any]) -> dict[str, Any]:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": shape, "keras_history": [layer, 0, 0]},
    }


def node(*args: Any) -> dict[str, Any]:
    return {"args": list(args), "kwargs": {}}


def keras_layer(kind: str, name: str, inbound: list[Any], **config: Any) -> dict[str, Any]:
    return {
        "class_name": kind,
        "name": name,
        "config": {"name": name, **config},
        "inbound_nodes": inbound,
    }


def functional(
    name: str, layers: list[Any], inputs: list[str], outputs: list[str]
) -> dict[str, Any]:
    return {
        "class_name": "Functional",
        "config": {
            "name": name,
            "layers": layers,
            "input_layers": [[i, 0, 0] for i in inputs],
            "output_layers": [[o, 0, 0] for o in outputs],
        },
    }


def input_layer(name: str, shape: list[Any]) -> dict[str, Any]:
    return keras_layer("InputLayer", name, [], batch_shape=[None, *shape])


def run(
    tmp_path: Path, config: dict[str, Any], shapes: dict[str, list[int]] | None = None
) -> tuple[Imported, Analysis]:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    net = import_keras(str(path), shapes or {}, 10_000)
    resolve_same(net, "model.toml")
    (network,) = load_text(net.toml(), "model.toml")
    return net, analyze(network)


def test_same_padding_puts_the_odd_pixel_at_the_end(tmp_path: Path) -> None:
    layers = [
        input_layer("x", [15, 16, 3]),
        keras_layer(
            "ZeroPadding2D", "pad", [node(tensor("x", [None, 15, 16, 3]))], padding=[[0, 1], [2, 3]]
        ),
        keras_layer(
            "Conv2D",
            "c1",
            [node(tensor("pad", [None, 16, 21, 3]))],
            filters=4,
            kernel_size=[3, 3],
            strides=[2, 2],
            padding="valid",
            activation="relu",
        ),
        keras_layer(
            "Conv2D",
            "c2",
            [node(tensor("c1", [None, 7, 10, 4]))],
            filters=4,
            kernel_size=[3, 3],
            strides=[2, 2],
            padding="same",
            use_bias=False,
        ),
        keras_layer(
            "MaxPooling2D",
            "pool",
            [node(tensor("c2", [None, 4, 5, 4]))],
            pool_size=[2, 2],
            padding="same",
        ),
    ]
    net, a = run(tmp_path, functional("m", layers, ["x"], ["pool"]))
    keys = {layer.name: layer.keys for layer in net.layers}
    assert "pad" not in keys and keys["c1"]["padding"] == [[0, 1], [2, 3]]  # folded
    assert keys["c1"]["activation"] == "relu"
    # 7 rows: total 2, split evenly; 10 columns: total 1, at the end (cnncalc's would start)
    assert keys["c2"]["padding"] == [[1, 1], [0, 1]]
    assert keys["pool"]["padding"] == [[0, 0], [0, 1]]
    assert a.outputs == {"pool": (2, 3, 4)}
    golden("import-keras.toml.txt", net.toml())


def test_a_nested_model_called_twice_shares_its_weights(tmp_path: Path) -> None:
    inner = functional(
        "encoder",
        [
            input_layer("e_in", [8, 8, 3]),
            keras_layer(
                "DepthwiseConv2D",
                "dw",
                [node(tensor("e_in", [None, 8, 8, 3]))],
                kernel_size=[3, 3],
                depth_multiplier=2,
                padding="valid",
            ),
            keras_layer(
                "SeparableConv2D",
                "sep",
                [node(tensor("dw", [None, 6, 6, 6]))],
                filters=5,
                kernel_size=[3, 3],
                padding="valid",
            ),
            keras_layer("GlobalAveragePooling2D", "gap", [node(tensor("sep", [None, 4, 4, 5]))]),
        ],
        ["e_in"],
        ["gap"],
    )
    inner.update(
        name="encoder",
        inbound_nodes=[node(tensor("a", [None, 8, 8, 3])), node(tensor("b", [None, 8, 8, 3]))],
    )
    layers = [
        input_layer("a", [8, 8, 3]),
        input_layer("b", [8, 8, 3]),
        inner,
        keras_layer(
            "Concatenate",
            "both",
            [
                node(
                    [
                        {
                            "class_name": "__keras_tensor__",
                            "config": {"shape": [None, 5], "keras_history": ["encoder", 0, 0]},
                        },
                        {
                            "class_name": "__keras_tensor__",
                            "config": {"shape": [None, 5], "keras_history": ["encoder", 1, 0]},
                        },
                    ]
                )
            ],
            axis=-1,
        ),
        keras_layer(
            "Dense", "out", [node(tensor("both", [None, 10]))], units=2, activation="softmax"
        ),
    ]
    net, a = run(tmp_path, functional("twins", layers, ["a", "b"], ["out"]))
    weights = 3 * 2 * 9 + 6 + (6 * 9 + 6 * 5 + 5)  # depthwise + bias, separable
    assert a.totals.params == weights + 10 * 2 + 2
    shared = [layer for layer in net.layers if "share" in layer.keys]
    assert [layer.keys["share"] for layer in shared] == [
        "encoder_dw",
        "encoder_sep_depthwise",
        "encoder_sep",
    ]
    assert net.inputs == {"a": [8, 8, 3], "b": [8, 8, 3]}


def test_sequential_with_symbolic_sizes(tmp_path: Path) -> None:
    config = {
        "class_name": "Sequential",
        "config": {
            "name": "seq",
            "layers": [
                input_layer("x", [None, None, 1]),
                {
                    "class_name": "Conv2D",
                    "config": {"name": "c", "filters": 2, "kernel_size": 3},
                    "build_config": {"input_shape": [None, None, None, 1]},
                },
                {"class_name": "Dropout", "config": {"name": "d", "rate": 0.5}},
            ],
        },
    }
    net, a = run(tmp_path, config)
    assert net.inputs == {"input": ["H", "W", 1]}
    assert [layer.name for layer in net.layers] == ["c", "d"]
    assert a.totals.params == 20


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["import", *args])
    out, err = capsys.readouterr()
    assert out == ""
    return code, err


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_normalization_and_rescaling_keep_their_statistics_and_names(
    tmp_path: Path, dims: int
) -> None:
    """An adapted Normalization holds a mean and a variance per channel and a sample count
    (non-trainable weights that count_params() counts); given statistics are constants."""
    shape = [6] * dims + [3]
    layers = [
        input_layer("x", shape),
        keras_layer("Rescaling", "rescale", [node(tensor("x", [None, *shape]))], scale=1 / 255),
        keras_layer("Normalization", "norm", [node(tensor("rescale", [None, *shape]))], axis=-1),
        keras_layer(
            "Normalization",
            "given",
            [node(tensor("norm", [None, *shape]))],
            axis=-1,
            mean=[0.5, 0.4, 0.3],
            variance=[0.1, 0.2, 0.3],
        ),
    ]
    net, a = run(tmp_path, functional("m", layers, ["x"], ["given"]))
    keys = {layer.name: layer.keys for layer in net.layers}
    assert keys["rescale"] == keys["given"] == {"type": "identity"}
    assert keys["norm"] == {"type": "standardize", "count": True}
    assert (a.totals.params, a.totals.trainable_params) == (7, 0)
    assert a.outputs == {"given": tuple(shape)}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"axis": 1}, "statistics over axis 1, not per channel"),
        ({"axis": -1, "invert": True}, "invert = true (it undoes a normalisation)"),
    ],
)
def test_a_normalization_cnncalc_cannot_describe_is_refused(
    tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    layers = [
        input_layer("x", [6, 6, 3]),
        keras_layer("Normalization", "norm", [node(tensor("x", [None, 6, 6, 3]))], **config),
    ]
    with pytest.raises(CnnCalcError) as caught:
        run(tmp_path, functional("m", layers, ["x"], ["norm"]))
    assert "layer 'norm' (Normalization)" in str(caught.value) and message in str(caught.value)


def test_a_lambda_layer_is_refused_by_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = functional(
        "block",
        [
            input_layer("i", [4, 4, 3]),
            keras_layer(
                "Lambda",
                "fn",
                [node(tensor("i", [None, 4, 4, 3]))],
                function={"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}},
            ),
        ],
        ["i"],
        ["fn"],
    )
    inner.update(name="block", inbound_nodes=[node(tensor("x", [None, 4, 4, 3]))])
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(functional("m", [input_layer("x", [4, 4, 3]), inner], ["x"], ["block"]))
    )
    code, err = cli([str(path)], capsys)
    assert code == 2
    assert err == (
        f"{path}: no cnncalc layer for layer 'block/fn' (Lambda): a Lambda layer "
        "holds Python code, which cnncalc never runs; replace it with built-in "
        "layers\n"
    )


def test_archives_without_config_and_broken_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "weights_only.keras"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("model.weights.h5", b"\x89HDF")
    broken = tmp_path / "broken.json"
    broken.write_text('{"class_name": "Functional", "config": {')
    other = tmp_path / "other.json"
    other.write_text('{"class_name": "Conv2D"}')
    expected = {
        empty: "a Keras archive without config.json",
        broken: "not a Keras model config (invalid JSON",
        other: "not a Keras model config: expected a Functional or Sequential model",
    }
    for path, message in expected.items():
        code, err = cli([str(path)], capsys)
        assert code == 2 and err.count("\n") == 1 and err.startswith(f"{path}: {message}")


def test_config_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keras_import, "MAX_CONFIG", 100)
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", b" " * 10_000)
    with pytest.raises(CnnCalcError, match="config.json has 10,000 bytes, more than 100"):
        import_keras(str(bomb), {}, 10)


# ----- the oracle: Keras 3 on the torch backend, in a process of its own (Keras imports
# IPython and sets its backend once per process)

APPLICATIONS = [
    "MobileNetV2",
    "ResNet50",
    "EfficientNetB0",
    "DenseNet121",
    "ConvNeXtTiny",
    "InceptionV3",
    "Xception",
]
ORACLE = """
import json, math, sys
import keras
name, path = sys.argv[1], sys.argv[2]
model = getattr(keras.applications, name)(weights=None)
model.save(path)
json.dump({
    "params": model.count_params(),
    "trainable": sum(math.prod(w.shape) for w in model.trainable_weights),
    "layers": len(model.layers),
    "outputs": {layer.name: list(layer.output.shape[1:]) for layer in model.layers},
}, sys.stdout)
"""


@pytest.mark.parametrize("name", APPLICATIONS)
def test_keras_applications_match_keras(name: str, tmp_path: Path) -> None:
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("torch") is None:
        pytest.skip("needs keras and torch: pip install keras (runs on torch, no TensorFlow)")
    path = tmp_path / f"{name}.keras"
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    run = subprocess.run(
        [sys.executable, "-c", ORACLE, name, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    truth = json.loads(run.stdout)
    net = import_keras(str(path), {}, 10_000)  # every layer of the seven has a translation
    resolve_same(net, "m.toml")
    a = analyze(load_text(net.toml(), "m.toml")[0])
    assert (a.totals.params, a.totals.trainable_params) == (truth["params"], truth["trainable"])
    checked = 0
    for r in a.layers:
        keras_name = net.tensors.get(r.node.name)
        if keras_name in truth["outputs"]:
            assert list(r.effect.shape) == truth["outputs"][keras_name], keras_name
            checked += 1
    assert checked >= truth["layers"] * 0.8  # all but inputs and the paddings folded
