"""Every layer kind's shape, padding, parameters and MACs, in 1-D, 2-D and 3-D."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cnncalc.errors import CnnCalcError
from cnncalc.layers import ACTIVATIONS as ACTIVATION_WORDS
from conftest import net


def one(input_shape: list[int], layer: str):  # type: ignore[no-untyped-def]
    return net(input_shape, layer).layers[0]


# ----------------------------------------------------------------- padding modes, hand-computed


@pytest.mark.parametrize(
    ("size", "layer", "out", "padding"),
    [
        (10, "conv 1 kernel=3 stride=2", 4, ((0, 0),)),
        (10, "conv 1 kernel=3 stride=2 padding=same", 5, ((1, 0),)),
        (7, "conv 1 kernel=4 stride=3 padding=same", 3, ((2, 1),)),  # total 3: ceil to start
        (7, "conv 1 kernel=2 stride=1 padding=same", 7, ((1, 0),)),
        (5, "conv 1 kernel=3 padding=full", 7, ((2, 2),)),
        (5, "conv 1 kernel=3 stride=2 padding=full", 4, ((2, 2),)),
        (9, "conv 1 kernel=3 dilation=2", 5, ((0, 0),)),
        (9, "conv 1 kernel=3 dilation=3 padding=same", 9, ((3, 3),)),
        (9, "conv 1 kernel=3 dilation=2 stride=3 padding=same", 3, ((1, 1),)),
        (10, "conv 1 kernel=3 padding=2", 12, ((2, 2),)),
        (10, "conv 1 kernel=3 padding=[[0,2]]", 10, ((0, 2),)),
        (6, "maxpool 3 stride=2", 2, ((0, 0),)),
        (6, "maxpool 3 stride=2 ceil=true", 3, ((0, 0),)),
        (5, "maxpool 2 padding=1 ceil=true", 3, ((1, 1),)),  # a 4th window would start in padding
        (7, "avgpool 2 ceil=true", 4, ((0, 0),)),
        (7, "maxpool 3 stride=3 padding=same", 3, ((1, 1),)),
    ],
)
def test_one_axis(size: int, layer: str, out: int, padding: tuple[tuple[int, int], ...]) -> None:
    r = one([size, 1], layer)
    assert r.shape[0] == out
    assert r.effect.padding == padding


def test_2d_per_axis_values() -> None:
    r = one([20, 30, 3], "conv 8 kernel=[3,5] stride=[1,2] padding=[[1,1],[2,2]] dilation=[2,1]")
    assert r.shape == (18 + 0, 15, 8)
    assert r.effect.padding == ((1, 1), (2, 2))
    assert r.effect.params == (3 * 5 * 3 + 1) * 8
    assert r.effect.macs == 18 * 15 * 8 * 3 * 5 * 3


def test_3d_conv_same_padding() -> None:
    r = one([8, 16, 16, 4], "conv 8 kernel=3 stride=[1,2,2] padding=same")
    assert r.shape == (8, 8, 8, 8)
    assert r.effect.padding == ((1, 1), (1, 0), (1, 0))
    assert r.effect.params == (27 * 4 + 1) * 8
    assert r.effect.macs == 8 * 8 * 8 * 8 * 27 * 4


def test_3d_pool_and_field() -> None:
    r = net([16, 16, 16, 2], "conv 2 kernel=3", "maxpool 2").layers[1]
    assert r.shape == (7, 7, 7, 2)
    assert r.field.size == (4, 4, 4) and r.field.stride == (2, 2, 2)


def test_1d_conv_params_and_macs() -> None:
    r = one([100, 12], "conv 24 kernel=5 stride=2 bias=false")
    assert r.shape == (48, 24)
    assert r.effect.params == 5 * 12 * 24
    assert r.effect.macs == 48 * 24 * 5 * 12


def test_grouped_and_depthwise_conv() -> None:
    assert one([8, 8, 32], "conv 64 kernel=3 groups=4").effect.params == (9 * 8 + 1) * 64
    dw = one([8, 8, 32], "conv 32 kernel=3 groups=32 padding=same bias=false")
    assert dw.effect.params == 9 * 32
    assert dw.effect.macs == 8 * 8 * 32 * 9


def test_conv_transpose_dcgan_step() -> None:
    r = one([4, 4, 1024], "conv_transpose 512 kernel=4 stride=2 padding=1")
    assert r.shape == (8, 8, 512)
    assert r.effect.params == 1024 * 512 * 16 + 512
    assert r.effect.macs == 16 * 1024 * 512 * 16


@pytest.mark.parametrize(
    ("layer", "out"),
    [
        ("deconv 2 kernel=4 stride=2 padding=same", 10),
        ("deconv 2 kernel=1 stride=2 padding=same", 10),
        ("deconv 2 kernel=3 stride=2 padding=1 output_padding=1", 10),
        ("deconv 2 kernel=3 stride=2", 11),
        ("deconv 2 kernel=3 stride=1 dilation=2", 9),
        ("deconv 2 kernel=2 stride=2 padding=[[1,0]]", 9),
    ],
)
def test_conv_transpose_sizes(layer: str, out: int) -> None:
    assert one([5, 3], layer).shape == (out, 2)


def test_conv_transpose_groups_params() -> None:
    assert one([5, 5, 8], "deconv 4 kernel=3 groups=2").effect.params == 8 * 2 * 9 + 4


def test_fc_batchnorm_and_shape_keepers() -> None:
    a = net(
        [7, 7, 512], "batchnorm", "global_pool", "flatten", "dropout", "fc 10 bias=false", "softmax"
    )
    bn, gp, fl, dr, fc, sm = a.layers
    assert (bn.totals.params, bn.totals.trainable_params) == (2048, 1024)
    assert gp.shape == (1, 1, 512) and fl.shape == (512,) and dr.shape == (512,)
    assert fc.effect.params == 5120 and fc.effect.macs == 5120
    assert sm.shape == (10,)
    assert fl.totals.activations == 0  # flatten is a view of its input


def test_upsample_reshape_concat() -> None:
    a = net([19, 19, 425], "reshape [19,19,5,85]", "reshape [-1]")
    assert [r.shape for r in a.layers] == [(19, 19, 5, 85), (19 * 19 * 425,)]
    b = net(
        [4, 6, 3],
        "upsample [2,3] name=u",
        "conv 5 kernel=1 name=c inputs=[u]",
        "concat inputs=[u,c]",
    )
    assert [r.shape for r in b.layers] == [(8, 18, 3), (8, 18, 5), (8, 18, 8)]


def test_global_pool_in_1d_and_3d() -> None:
    assert one([50, 8], "global_pool").shape == (1, 8)
    assert one([4, 5, 6, 8], "global_pool mode=max").shape == (1, 1, 1, 8)


# ----------------------------------------------------------------- brute force


def windows(size: int, eff: int, stride: int, p0: int, p1: int) -> int:
    """Count window positions by sliding one over the padded axis."""
    count, start = 0, 0
    while start + eff <= size + p0 + p1:
        count += 1
        start += stride
    return count


@given(
    size=st.integers(1, 60),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 3),
    p0=st.integers(0, 4),
    p1=st.integers(0, 4),
)
def test_output_size_equals_a_count_of_window_positions(
    size: int, kernel: int, stride: int, dilation: int, p0: int, p1: int
) -> None:
    eff = dilation * (kernel - 1) + 1
    expected = windows(size, eff, stride, p0, p1)
    layer = f"conv 1 kernel={kernel} stride={stride} dilation={dilation} padding=[[{p0},{p1}]]"
    if expected < 1:
        with pytest.raises(CnnCalcError, match="is below 1"):
            one([size, 1], layer)
        return
    r = one([size, 1], layer)
    assert r.shape == (expected, 1)
    last_read = (expected - 1) * stride + eff - 1  # in padded coordinates
    unread = max(0, p0 + size - 1 - last_read)
    assert len(r.warnings) == (1 if unread else 0)
    if unread:
        shown = f"{unread} input positions are" if unread > 1 else "input position is"
        assert r.warnings[0].message.startswith(f"the last {shown} never read on axis L: ")


@given(
    size=st.integers(1, 80),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 4),
    dilation=st.integers(1, 3),
)
def test_same_padding_gives_ceil_of_size_over_stride(
    size: int, kernel: int, stride: int, dilation: int
) -> None:
    r = one([size, 1], f"conv 1 kernel={kernel} stride={stride} dilation={dilation} padding=same")
    assert r.shape[0] == -(-size // stride)
    ((p0, p1),) = r.effect.padding
    assert p0 - p1 in (0, 1)
    eff = dilation * (kernel - 1) + 1
    last_read = (r.shape[0] - 1) * stride + eff - 1
    assert bool(r.warnings) == (p0 + size - 1 > last_read)
    if eff >= stride:  # only a kernel smaller than the stride can skip the last pixels
        assert not r.warnings


@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    pad=st.integers(0, 2),
)
def test_ceil_pooling_follows_pytorchs_rule(size: int, kernel: int, stride: int, pad: int) -> None:
    """Windows start inside the input or left padding; the last may run past the end."""
    assume(pad <= kernel // 2 and size + 2 * pad >= kernel)
    starts = [
        s for s in range(0, size + pad, stride) if s + kernel <= size + 2 * pad or s < size + pad
    ]
    # a window is kept while it starts before the right padding and ceil mode lets it overhang
    full = windows(size, kernel, stride, pad, pad)
    expected = min(len(starts), full + (1 if (size + 2 * pad - kernel) % stride else 0))
    r = one([size, 1], f"maxpool {kernel} stride={stride} padding={pad} ceil=true")
    assert r.shape[0] == expected


def test_keras_and_pytorch_spellings_of_words_are_accepted() -> None:
    from cnncalc.layers.values import spelled

    assert spelled("SAME", ("valid", "same", "full")) == "same"
    assert spelled("LeakyReLU", ACTIVATION_WORDS) == "leaky_relu"
    assert spelled("ReLU6", ACTIVATION_WORDS) == "relu6"
    assert spelled("ReLU7", ACTIVATION_WORDS) is None and spelled(3, ("same",)) is None
    written = net([16, 16, 3], "conv 8 kernel=3 padding=SAME activation=ReLU", "maxpool 2 stride=2")
    plain = net([16, 16, 3], "conv 8 kernel=3 padding=same activation=relu", "maxpool 2 stride=2")
    assert [r.node.activation for r in written.layers] == ["relu", None]
    assert [(r.shape, r.effect.padding) for r in written.layers] == [
        (r.shape, r.effect.padding) for r in plain.layers
    ]
    avg = net([8, 8, 3], "pool kernel=2 mode=AVG activation=LeakyReLU")
    assert avg.layers[0].node.layer.mode == "avg" and avg.layers[0].node.activation == "leaky_relu"


# ----------------------------------------------------------------- the registry, loaded lazily


def test_kind_modules_names_every_kind_where_its_family_registers_it() -> None:
    """KIND_MODULES (which family to import for a name) agrees with what the families register,
    in their order, and every class the package exports comes from the family it names."""
    import importlib
    import json

    import cnncalc.layers as L
    from cnncalc.layers.base import KIND_MODULES, REGISTRY

    program = (
        "import importlib, json\n"
        "from cnncalc.layers.base import REGISTRY\n"
        "for family in ('activation', 'shape', 'channels', 'conv', 'dense', 'merge', 'norm',"
        " 'pool', 'resample', 'tokens', 'attention'):\n"
        "    importlib.import_module('cnncalc.layers.' + family)\n"
        "print(json.dumps([[n, c.__module__] for n, (c, _) in dict.items(REGISTRY)]))\n"
    )
    registered = [tuple(pair) for pair in json.loads(python_output(program))]
    assert registered == list(KIND_MODULES.items())
    assert list(REGISTRY) == list(KIND_MODULES)
    for family, classes in L.FAMILIES.items():
        module = importlib.import_module(f"cnncalc.layers.{family}")
        for name in classes:
            assert getattr(L, name) is getattr(module, name)
    assert set(L.__all__) >= {c for classes in L.FAMILIES.values() for c in classes}


def test_a_type_name_imports_only_its_family() -> None:
    program = (
        "import sys\n"
        "from cnncalc.layers import REGISTRY, lookup\n"
        "assert 'cnncalc.layers.conv' not in sys.modules\n"
        "assert lookup('deconv')[0].__name__ == 'ConvTranspose' and 'conv' in REGISTRY\n"
        "assert 'nothing' not in REGISTRY and REGISTRY.get('nothing') is None\n"
        "families = {m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('cnncalc.layers.')}\n"
        "print(sorted(families - {'base', 'values', 'fields', 'effects', 'token_field'}))\n"
    )
    assert python_output(program).strip() == "['conv']"


def python_output(program: str) -> str:
    """What a fresh Python prints running ``program``: imports start from nothing."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    return done.stdout
