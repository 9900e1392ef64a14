"""The kinds of today's CNNs: shapes, parameters, MACs and fields, in 1-D, 2-D and 3-D."""

from __future__ import annotations

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


def test_groupnorm_groups_must_divide_the_channels() -> None:
    with pytest.raises(CnnCalcError) as caught:
        net([4, 4, 6], "groupnorm 4")
    assert str(caught.value).endswith(
        "groups = 4 does not divide the 6 channels; expected a divisor of 6"
    )
