"""The memory report: rules by hand, the solved fit, the budget, the command and its formats.

tests/test_memory_torch.py checks the same figures against PyTorch; these pin them by
hand so that a failure says which rule moved.
"""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from cnncalc.errors import CnnCalcError
from cnncalc.layers.activation import Elementwise
from cnncalc.layers.base import REGISTRY, Effect, Layer, register
from cnncalc.records import record
from cnncalc.reports.memory import Settings, fit, measure, parse_budget
from conftest import DATA, golden, net

SMALL = str(DATA / "nets" / "small.toml")


def saved(a: object, **settings: object) -> dict[str, int]:
    m = measure(a, Settings(**settings))  # type: ignore[arg-type]
    return {lm.name: lm.saved_bytes for lm in m.layers}


def test_every_kind_has_a_measured_rule() -> None:
    """A kind that inherits the base rule would make the report fail: none may."""
    missing = []
    for name, (cls, _) in REGISTRY.items():
        own = cls.saved is not Layer.saved
        if issubclass(cls, Elementwise) and cls.saved is Elementwise.saved:
            own = cls.keeps is not None
        if not own:
            missing.append(name)
    assert missing == []


def test_a_small_network_by_hand() -> None:
    a = net([8, 8, 3], "conv 4 kernel=3 activation=relu", "maxpool 2", "flatten", "fc 10")
    # conv keeps the input (8*8*3) even though it needs no gradient, relu its output (6*6*4);
    # max pooling keeps its input (relu's output: counted already) and int64 indices
    # (3*3*4); flatten copies (channels last); fc keeps that copy (36).
    assert saved(a, batch=2) == {
        "conv1": (192 + 144) * 2 * 4,
        "maxpool1": 36 * 2 * 8,
        "flatten1": 0,
        "fc1": 36 * 2 * 4,
    }
    m = measure(a, Settings(batch=2, optimizer="adam"))
    params = 3 * 3 * 3 * 4 + 4 + 36 * 10 + 10
    assert (m.weights_bytes, m.gradients_bytes) == (params * 4, params * 4)
    assert m.optimizer_bytes == 2 * params * 4 + 4 * 4  # exp_avg, exp_avg_sq; 4 step counters
    # inference: input + conv output while conv runs, then conv output + pool output …
    assert m.inference_peak_bytes == (192 + 144) * 2 * 4
    assert m.inference_peak_layer == "conv1"
    assert m.training_peak_bytes == (
        m.weights_bytes + m.gradients_bytes + m.optimizer_bytes + m.saved_bytes + m.backward_bytes
    )


def test_no_gradient_no_memory_on_the_network_input() -> None:
    a = net([8, 8, 3], "relu", "maxpool 2", "conv 4 kernel=3")
    assert saved(a) == {"relu1": 0, "maxpool1": 0, "conv1": 4 * 4 * 3 * 4}


def test_device_rules() -> None:
    a = net([4, 4, 8], "conv 8 kernel=1 bias=false", "batchnorm", "dropout")
    cpu = saved(a, dtype="bfloat16", device="cpu")
    cuda = saved(a, dtype="bfloat16", device="cuda")
    # batchnorm: the input is conv's output; mean and inverse deviation per channel
    assert cpu["batchnorm1"] == 4 * 4 * 8 * 2 + 2 * 8 * 2
    assert cuda["batchnorm1"] == 4 * 4 * 8 * 2 + 2 * 8 * 4  # float32 statistics on CUDA
    assert cpu["dropout1"] == 4 * 4 * 8 * 2  # a noise tensor of the input's dtype
    assert cuda["dropout1"] == 4 * 4 * 8  # a one-byte mask


def test_a_tensor_kept_twice_counts_once() -> None:
    # relu keeps its output; the conv after it keeps the same tensor as its input
    a = net([6, 6, 2], "conv 2 kernel=1 activation=relu", "conv 2 kernel=1")
    assert saved(a)["conv2"] == 0
    # gelu keeps its input, the result before the activation: a tensor of its own
    b = net([6, 6, 2], "conv 2 kernel=1 activation=gelu", "conv 2 kernel=1")
    assert saved(b) == {"conv1": (72 + 72) * 4, "conv2": 72 * 4}


def test_uneven_padding_keeps_the_padded_copy() -> None:
    a = net([6, 6, 2], "relu", "conv 2 kernel=2 padding=same")
    assert saved(a)["conv1"] == 7 * 7 * 2 * 4


def test_mixed_precision() -> None:
    a = net([4], "fc 3")
    m = measure(a, Settings(dtype="bfloat16", optimizer="momentum", mixed_precision=True))
    assert m.weights_bytes == 15 * 2
    assert m.optimizer_bytes == 15 * 4 + 15 * 4  # float32 momentum and master copy


def test_fit_is_the_largest_batch_that_fits() -> None:
    a = net([32, 32, 3], "conv 16 kernel=3 activation=relu", "batchnorm", "global_pool")
    s = Settings(optimizer="adamw")
    budget = parse_budget("10MiB")
    f = fit(a, s, budget)

    def peaks(b: int) -> tuple[int, int]:
        m = measure(a, Settings(batch=b, optimizer="adamw"))
        return m.training_peak_bytes, m.inference_peak_bytes

    assert peaks(f.training_batch)[0] <= budget < peaks(f.training_batch + 1)[0]
    assert peaks(f.inference_batch)[1] <= budget < peaks(f.inference_batch + 1)[1]
    assert fit(a, s, 10).training_batch == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [("24GiB", 24 * 2**30), ("16GB", 16 * 10**9), ("1.5 MiB", 3 * 2**19), ("4096", 4096)],
)
def test_budget(text: str, value: int) -> None:
    assert parse_budget(text) == value


@pytest.mark.parametrize("text", ["", "24 parsecs", "-1GB", "GiB", "1.2.3GB", "0"])
def test_bad_budget(text: str) -> None:
    with pytest.raises(CnnCalcError, match="cannot read the budget"):
        parse_budget(text)


def test_a_kind_without_a_rule_is_named() -> None:
    @record(frozen=True, kw_only=True)
    class Mystery(Layer):
        kind: ClassVar[str] = "mystery"

        def apply(self, ins: object) -> Effect:
            return Effect(shape=ins[0])  # type: ignore[index]

    register("mystery")(Mystery)
    try:
        a = net([4, 4, 2], "conv 2 kernel=1", "mystery")
        with pytest.raises(CnnCalcError) as error:
            measure(a, Settings())
    finally:
        del REGISTRY["mystery"]
    assert str(error.value) == (
        "test.toml:4: test, mystery1: no measured memory rule for layer type 'mystery'; "
        "`cnncalc memory` does not guess what autograd keeps for it"
    )


# --------------------------------------------------------------------------- the command


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_formats(fmt: str, cli) -> None:  # type: ignore[no-untyped-def]
    ext = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}[fmt]
    code, out, err = cli("memory", SMALL, "--batch", "4", "--fit", "1MiB", "--format", fmt)
    assert (code, err) == (0, "")
    golden(f"small-memory.{ext}", out)


def test_json_fields(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "memory", SMALL, "--batch", "2", "--dtype", "bfloat16", "--device", "cpu", "-f", "json"
    )
    (doc,) = json.loads(out)["networks"]
    m = doc["memory"]
    assert doc["name"] == "small" and m["batch"] == 2 and m["dtype"] == "bfloat16"
    for key in ("weights_bytes", "gradients_bytes", "optimizer_bytes", "saved_bytes"):
        assert isinstance(m[key], int)
    assert m["saved_bytes"] == sum(layer["saved_bytes"] for layer in m["layers"])
    assert m["training_peak_bytes"] == (
        m["weights_bytes"]
        + m["gradients_bytes"]
        + m["optimizer_bytes"]
        + m["saved_bytes"]
        + m["backward_transient_bytes"]
    )


def test_plot(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("memory", SMALL, "--plot")
    assert (code, err) == (0, "")
    golden("small-memory-plot.txt", out)


def test_symbols_need_values(cli) -> None:  # type: ignore[no-untyped-def]
    layers = ["--layers", "conv 4 kernel=3; maxpool 2", "--input", "Hx8x3"]
    code, out, err = cli("memory", *layers)
    assert (code, out) == (2, "")
    assert err == (
        "network, --set: memory needs sizes that are numbers; give H a value with "
        "--set (several values: --set H=224,320)\n"
    )
    code, out, err = cli("memory", *layers, "--set", "H=8,16", "--fit", "1MiB", "-f", "json")
    names = [n["name"] for n in json.loads(out)["networks"]]
    assert names == ["network (H=8)", "network (H=16)"]


def test_bad_fit(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("memory", SMALL, "--fit", "lots")
    assert (code, out) == (2, "")
    assert err == (
        "--fit: cannot read the budget 'lots'; expected a size such as 24GiB, 16GB, 512MiB "
        "or a number of bytes\n"
    )


def test_lrn_on_a_flat_vector() -> None:
    a = net([16], "lrn")
    with pytest.raises(CnnCalcError) as error:
        measure(a, Settings())
    assert str(error.value) == (
        "test.toml:3: test, lrn1: torch's local response normalisation needs spatial axes, "
        "so its memory was never measured on a flat vector"
    )


def test_help(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("--help")
    assert code == 0 and "memory" in out
    code, text, _ = cli("memory", "--help")
    assert code == 0 and "Example:" in text and "cnncalc memory" in text
    for option in ("--batch", "--dtype", "--device", "--optimizer", "--mixed-precision", "--fit"):
        assert option in text


def test_multiply_keeps_factors_and_partial_products() -> None:
    a = net([4, 4, 2], "relu name=r", "conv 2 kernel=1 name=c", "multiply inputs=[r,c,c] name=m")
    # r * c keeps r for c's gradient (c's for r's is not needed: r has none), but the conv
    # kept r already; (r * c) * c keeps c, and r * c, a tensor of its own.
    values = 4 * 4 * 2
    assert saved(a) == {"r": 0, "c": values * 4, "m": (values + values) * 4}
