"""The engine against published numbers and the worked examples of the course notes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cnncalc import analyze, load
from conftest import DATA, by_name, net

NETS = DATA / "nets"


def totals(name: str):  # type: ignore[no-untyped-def]
    (network,) = load(str(NETS / f"{name}.toml"))
    return analyze(network)


def test_inception_5x5_costs_120_million_macs() -> None:
    a = net([28, 28, 192], "conv 32 kernel=5 padding=same")
    assert a.layers[0].shape == (28, 28, 32)
    assert a.totals.macs == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400


def test_bottleneck_cuts_it_to_12_million() -> None:
    a = net([28, 28, 192], "conv 16 kernel=1", "conv 32 kernel=5 padding=same")
    assert a.totals.macs == 12_443_648
    assert [r.effect.macs for r in a.layers] == [2_408_448, 10_035_200]


def test_lenet5_has_61706_parameters() -> None:
    a = totals("lenet5")
    assert a.totals.params == a.totals.trainable_params == 61_706
    assert [r.shape for r in a.layers][:4] == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16)]


def test_vgg16_parameters_macs_and_pool5() -> None:
    a = totals("vgg16")
    assert a.totals.params == 138_357_544
    assert a.totals.macs == 15_470_264_320
    pool5 = by_name(a)["pool5"]
    assert pool5.shape == (7, 7, 512)
    assert pool5.field.size == (212, 212) and pool5.field.stride == (32, 32)
    assert by_name(a)["conv1_1"].totals.params == 1_792
    assert by_name(a)["conv1_1"].effect.macs == 86_704_128


def test_vgg16_activations_match_the_contract_example() -> None:
    """format.md's VGG-16 JSON example: 15,087,080 values with fused ReLUs and no dropout."""
    layers = [
        line.split(" activation")[0]
        for line in (NETS / "vgg16.toml").read_text().split("layers = [")[1].split('"')[1::2]
        if not line.startswith(("dropout", "softmax"))
    ]
    a = net([224, 224, 3], *layers)
    assert a.totals.activations == 15_087_080


def test_alexnet_paper_network() -> None:
    a = totals("alexnet")
    assert a.totals.params == 60_965_224
    pool5 = by_name(a)["pool5"]
    assert pool5.shape == (6, 6, 256)
    assert pool5.field.size == (195, 195) and pool5.field.stride == (32, 32)


def test_two_3x3_convs_see_5x5() -> None:
    a = net([32, 32, 3], "conv 8 kernel=3", "conv 8 kernel=3")
    assert a.layers[1].field.size == (5, 5)


def test_effective_padding_of_vgg16_pool5_is_90() -> None:
    from cnncalc.reports.jsonreport import effective_padding

    assert effective_padding(by_name(totals("vgg16"))["pool5"]) == [90, 90]


@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3)), min_size=1, max_size=6))
def test_receptive_field_matches_the_notes_formula(layers: list[tuple[int, int]]) -> None:
    """R_k = 1 + sum_j (F_j - 1) prod_{i<j} S_i for a chain of undilated convs."""
    strings = [f"conv 2 kernel={f} stride={s} padding=same" for f, s in layers]
    a = net([4096, 1], *strings)
    expected, jump = 1, 1
    for f, s in layers:
        expected += (f - 1) * jump
        jump *= s
    assert a.layers[-1].field.size == (expected,)
    assert a.layers[-1].field.stride == (jump,)


def test_merge_takes_the_union_and_warns_on_different_strides() -> None:
    a = net(
        [16, 16, 3], "conv 3 kernel=9 name=a", "maxpool 2 name=b inputs=[input]", "add inputs=[a,b]"
    )
    add = a.layers[-1]
    assert add.shape == (8, 8, 3)
    assert add.field.size == (9, 9) and add.field.start == (4, 4)
    assert add.field.stride == (1, 1)
    assert [w.message for w in add.warnings] == [
        "the merged inputs have different receptive-field strides (1x1, 2x2)"
    ]


def test_totals_are_the_sum_of_the_rows() -> None:
    a = totals("vgg16")
    assert sum(r.totals.params for r in a.layers) == a.totals.params
    assert sum(r.effect.macs for r in a.layers) == a.totals.macs


def test_a_channels_first_input_gets_a_warning_that_says_how_to_write_it() -> None:
    a = net([3, 224, 224], "conv 8 kernel=1", "maxpool 2")
    (first, *_) = a.layers[0].warnings
    assert first.message == (
        "input [3, 224, 224] looks channels-first, PyTorch's order; cnncalc reads spatial "
        "sizes first, channels last: write [224, 224, 3]"
    )
    assert (first.location.line, first.location.layer) == (1, "conv1")
    assert not any("channels-first" in w.message for w in a.layers[1].warnings)
    for shape in ([224, 224, 3], [28, 28, 1], [1, 1, 512], [3, 8, 224], [2, 64, 64], [64, 3]):
        quiet = net(shape, "conv 8 kernel=1")
        assert not any("channels-first" in w.message for w in quiet.layers[0].warnings), shape
    assert any("channels-first" in w.message for w in net([1, 28, 28], "flatten").warnings)
    assert any("channels-first" in w.message for w in net([3, 16, 112, 112], "flatten").warnings)
