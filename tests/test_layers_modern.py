"""The kinds of today's CNNs: shapes, parameters, MACs and fields, in 1-D, 2-D and 3-D."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from cnncalc.errors import CnnCalcError
from conftest import by_name, net

# --------------------------------------------------------------------------- broadcasting


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_a_global_gate_multiplies_every_position_and_makes_the_field_global(dims: int) -> None:
    a = net(
        [6] * dims + [4],
        "conv 4 kernel=3 padding=same name=x",
        "global_pool",
        "conv 4 kernel=1 activation=sigmoid name=g",
        "mul inputs=[x,g] name=m",
    )
    m = by_name(a)["m"]
    assert m.shape == (6,) * dims + (4,)  # type: ignore[attr-defined]
    assert m.effect.params == m.effect.macs == 0  # type: ignore[attr-defined]
    assert m.field.is_global  # type: ignore[attr-defined]


def test_add_broadcasts_a_pooled_row_and_a_flat_vector() -> None:
    a = net(
        [5, 4, 2],
        "conv 2 kernel=1 name=x",
        "maxpool kernel=[5,1] inputs=[x] name=row",
        "add inputs=[x,row] name=s",
        "global_pool",
        "flatten",
        "fc 2 name=v",
        "multiply inputs=[s,v] name=m",
    )
    layers = by_name(a)
    assert layers["s"].shape == (5, 4, 2)  # type: ignore[attr-defined]
    # every unit of s also reads the column its pooled row read: 5 rows, 1 column
    assert layers["s"].field.size == (5, 1)  # type: ignore[attr-defined]
    assert layers["m"].shape == (5, 4, 2) and layers["m"].field.is_global  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("second", "shown"),
    [("conv 4 kernel=1", "[4, 4, 4]"), ("conv 8 kernel=[3,4]", "[2, 1, 8]")],
)
def test_sizes_that_are_neither_equal_nor_1_are_an_error(second: str, shown: str) -> None:
    layers = ("conv 8 kernel=1 name=a", second + " inputs=[input] name=b", "mul inputs=[a,b]")
    with pytest.raises(CnnCalcError) as caught:
        net([4, 4, 3], *layers)
    assert str(caught.value).endswith(
        "multiply needs sizes that are equal or 1 on every axis (NumPy's broadcasting, "
        f"aligned at the channels), got a [4, 4, 8] and b {shown}"
    )


# --------------------------------------------------------------------------- activations


def test_activations_keep_the_shape_and_only_prelu_learns_slopes() -> None:
    a = net(
        [6, 6, 4],
        "conv 4 kernel=1 activation=swish name=c",
        "hardswish",
        "prelu per_channel=true name=p",
        "conv 4 kernel=1 activation=prelu name=q",
    )
    layers = by_name(a)
    assert layers["c"].node.activation == "silu"  # type: ignore[attr-defined]
    assert layers["p"].effect.params == 4  # type: ignore[attr-defined]
    assert layers["q"].effect.params == 4 * 4 + 4 + 1  # type: ignore[attr-defined]
    assert a.totals.params == 20 + 4 + 21


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_norms_count_their_weights_and_statistics(dims: int) -> None:
    a = net(
        [4] * dims + [6],
        "layernorm name=ln",
        "layernorm over=all affine=false name=all",
        "groupnorm 3 name=gn",
        "instancenorm affine=true track_running_stats=true name=inn",
        "scale bias=true name=s",
    )
    layers = by_name(a)
    assert layers["ln"].effect.params == 12  # type: ignore[attr-defined]
    assert layers["all"].effect.params == 0  # type: ignore[attr-defined]
    assert layers["gn"].effect.params == 12  # type: ignore[attr-defined]
    assert (layers["inn"].effect.params, layers["inn"].effect.frozen_params) == (12, 12)  # type: ignore[attr-defined]
    assert layers["s"].effect.params == 12  # type: ignore[attr-defined]
    assert not layers["ln"].field.is_global  # type: ignore[attr-defined]
    assert layers["all"].field.is_global  # type: ignore[attr-defined]


@pytest.mark.parametrize("dims", [0, 1, 2, 3])
def test_fixed_statistics_are_non_trainable_and_keep_the_field(dims: int) -> None:
    """Keras's adapted Normalization: mean and variance per channel, and its sample count."""
    a = net([3] * dims + [5], "standardize name=plain", "normalization count=true name=keras")
    layers = by_name(a)
    for name, frozen in (("plain", 10), ("keras", 11)):
        r: Any = layers[name]
        assert (r.effect.params, r.effect.frozen_params, r.effect.macs) == (0, frozen, 0)
        assert r.shape == (3,) * dims + (5,) and r.node.kind == "standardize"
        assert dims == 0 or r.field.size == (1,) * dims
    assert (a.totals.params, a.totals.trainable_params) == (21, 0)


def test_groupnorm_groups_must_divide_the_channels() -> None:
    with pytest.raises(CnnCalcError) as caught:
        net([4, 4, 6], "groupnorm 4")
    assert str(caught.value).endswith(
        "groups = 4 does not divide the 6 channels; expected a divisor of 6"
    )


# --------------------------------------------------------------------------- fc on the channels


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_fc_on_a_spatial_input_acts_on_the_channels_at_every_position(dims: int) -> None:
    a = net([5] * dims + [4], "conv 4 kernel=3 name=c", "fc 6 name=f")
    f = by_name(a)["f"]
    assert f.shape == (3,) * dims + (6,)  # type: ignore[attr-defined]
    assert f.effect.params == (4 + 1) * 6  # type: ignore[attr-defined]
    assert f.effect.macs == 3**dims * 4 * 6  # type: ignore[attr-defined]
    assert f.field == by_name(a)["c"].field  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- adaptive pooling


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_adaptive_pooling_follows_pytorchs_bins(dims: int) -> None:
    a = net([7] * dims + [2], "adaptive_pool 3 name=p")
    p = by_name(a)["p"]
    assert p.shape == (3,) * dims + (2,)  # type: ignore[attr-defined]
    units = p.field.units[0]  # type: ignore[attr-defined]
    # bins 0..2, 2..4, 4..6: three pixels each, overlapping, every 7/3 pixels on average
    assert (units.period, units.jump, units.lo, units.hi) == (3, 7, (0, 2, 4), (2, 4, 6))
    assert p.field.size == (3,) * dims  # type: ignore[attr-defined]


def test_adaptive_pooling_to_one_is_global() -> None:
    a = net([5, 6, 2], "adaptive_pool 1 name=p")
    assert by_name(a)["p"].field.is_global  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- channel surgery


def test_slices_outside_the_channels_are_an_error() -> None:
    with pytest.raises(CnnCalcError) as caught:
        net([4, 4, 8], "slice start=4 end=10")
    assert str(caught.value).endswith(
        "the channel range 4..10 (start, end) is outside the 8 channels; "
        "expected 0 <= start < end <= 8"
    )


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_pixel_shuffles_and_their_fields(dims: int) -> None:
    a = net([4] * dims + [2**dims * 3], "pixel_shuffle 2 name=up", "pixel_unshuffle 2 name=down")
    up, down = by_name(a)["up"], by_name(a)["down"]
    assert up.shape == (8,) * dims + (3,)  # type: ignore[attr-defined]
    assert down.shape == (4,) * dims + (2**dims * 3,)  # type: ignore[attr-defined]
    assert up.field.stride == (Fraction(1, 2),) * dims  # type: ignore[attr-defined]
    assert down.field.size == (1,) * dims and down.field.stride == (1,) * dims  # type: ignore[attr-defined]


@pytest.mark.parametrize("dims", [1, 3])
def test_pixel_shuffles_off_two_axes_agree_with_torch(dims: int, tmp_path: Path) -> None:
    """torch's modules work on two axes; the export reshapes and permutes for 1 and 3."""
    pytest.importorskip("torch")
    import torchcheck as tc

    layers = ["conv 8 kernel=1", "pixel_shuffle 2", "conv 2 kernel=3", "pixel_unshuffle 2"]
    (a,) = tc.analyses_of_text(f"input = {[6] * dims + [2]}\nlayers = {layers}".replace("'", '"'))
    ex = tc.export_pytorch([a])
    bad = tc.compare(a, ex, tc.import_code(ex.code, tmp_path))
    bad.extend(tc.measure_fields(a, tmp_path)[0])
    assert not bad, "\n".join(bad)


def test_reflect_padding_must_be_smaller_than_the_input() -> None:
    with pytest.raises(CnnCalcError) as caught:
        net([3, 5, 2], "pad 3 mode=reflect")
    assert str(caught.value).endswith(
        "reflect padding 3 on axis H needs an input larger than it, got 3 "
        "(PyTorch's limit: padding < size)"
    )


def test_crop_to_a_layer_centre_crops_and_reads_it() -> None:
    a = net([9, 8, 2], "conv 2 kernel=3 name=small", "crop to=small inputs=[input] name=c")
    c = by_name(a)["c"]
    assert c.inputs == ("input", "small")  # type: ignore[attr-defined]
    assert c.shape == (7, 6, 2)  # type: ignore[attr-defined]
    assert c.effect.padding == ((-1, -1), (-1, -1))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("dims", "mode"), [(d, m) for d in (1, 2, 3) for m in ("nearest", "linear")] + [(2, "bicubic")]
)
def test_upsample_to_a_layer_is_the_size_form_at_that_layers_size(dims: int, mode: str) -> None:
    """The output takes the spatial size of the layer ``to`` names and its own channels;
    parameters, MACs and the field are those of ``size`` at that size."""
    stem = ("conv 3 kernel=3 stride=2 name=half", "conv 4 kernel=3 stride=2 name=quarter")
    to = net([13] * dims + [2], *stem, f"upsample to=half mode={mode} name=u", "conv 2 kernel=3")
    u = by_name(to)["u"]
    assert u.inputs == ("quarter", "half")  # type: ignore[attr-defined]
    assert u.shape == (6,) * dims + (4,)  # type: ignore[attr-defined]
    sized = net([13] * dims + [2], *stem, f"upsample size=6 mode={mode} name=u", "conv 2 kernel=3")
    for r, s in zip(to.layers, sized.layers, strict=True):
        assert (r.shape, r.effect, r.field) == (s.shape, s.effect, s.field), r.name
    assert u.field_via is None  # type: ignore[attr-defined]  # its second input gives a size
    assert u.node.layer.describe() == "to half" + ("" if mode == "nearest" else f" {mode}")  # type: ignore[attr-defined]


def test_upsample_to_reads_its_layer_in_every_repeated_copy_and_inside_a_block() -> None:
    blocks = """
[blocks.pooled]
layers = ["global_pool", "conv 4 kernel=1", "upsample to=input mode=bilinear name=up"]
"""
    a = net(
        [9, 7, 2],
        "conv 4 kernel=3 stride=2 name=c",
        "upsample to=input repeat=2 name=u",
        "pooled inputs=[c] name=p",
        blocks=blocks,
    )
    layers = by_name(a)
    assert layers["u_2"].inputs == ("u_1", "input")  # type: ignore[attr-defined]
    assert layers["u_2"].shape == (9, 7, 4)  # type: ignore[attr-defined]
    assert layers["p.up"].inputs == ("p.conv1", "c")  # type: ignore[attr-defined]
    assert layers["p.up"].shape == (4, 3, 4)  # type: ignore[attr-defined]


def test_upsample_with_a_second_input_and_no_to_is_an_error() -> None:
    with pytest.raises(CnnCalcError) as caught:
        net([8, 8, 2], "conv 2 kernel=3 name=c", "upsample 2 inputs=[c,input]")
    assert str(caught.value) == (
        "test.toml:4: test, upsample1, inputs: upsample reads one input, got 2; expected "
        "the layer whose size it takes in to"
    )


def test_norms_of_a_single_value_are_refused_as_torch_refuses_them() -> None:
    with pytest.raises(CnnCalcError) as caught:
        net([4, 4, 2], "global_pool", "instancenorm")
    assert "instancenorm over one position has nothing to normalise" in str(caught.value)
    with pytest.raises(CnnCalcError) as caught:
        net([4, 4, 2], "global_pool", "groupnorm 2")
    assert "groupnorm over groups of one value has nothing to normalise" in str(caught.value)
    assert net([4, 4, 2], "global_pool", "instancenorm track_running_stats=true").layers
