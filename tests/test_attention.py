"""Attention and tokens: shapes, parameters, MACs and fields, in 1-D, 2-D and 3-D.

The windowed fields are checked against autograd on torchvision's own Swin window
attention, patch merging and MaxViT partition attention (each output's gradient shows the
input rows and columns it reads); the parameter counts against the torch modules.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tvmodels import load as torchvision_models

from cnncalc.errors import CnnCalcError
from cnncalc.layers import fields
from cnncalc.layers.attention import grid_groups
from conftest import DATA, by_name, golden, net


def layer(a: Any, name: str) -> Any:
    return by_name(a)[name]


# --------------------------------------------------------------------------- tokens, grid


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_tokens_and_grid_round_trip_keeps_every_field(dims: int) -> None:
    size = [6, 5, 4][:dims]
    a = net(
        [*size, 3],
        "conv 8 kernel=3 padding=same name=c",
        "tokens name=t",
        "layernorm",
        "fc 16 activation=gelu",
        "fc 8 name=f",
        "add inputs=[t,f] name=r",
        "grid [" + ",".join(str(s) for s in size) + "] name=g",
        "conv 4 kernel=3 padding=same name=after",
    )
    c, t, g = layer(a, "c"), layer(a, "t"), layer(a, "g")
    assert t.shape == (6 * [1, 5, 20][dims - 1], 8)
    assert g.shape == (*size, 8)
    assert t.effect.params == t.effect.macs == 0
    # the tokens keep their pixels' fields, and the grid gives them back exactly
    assert g.field.units == c.field.units and g.field.grid is None
    r = layer(a, "r").field
    assert not r.is_global and r.grid == (tuple(size) if dims > 1 else None)
    assert layer(a, "after").field.size == (5,) * dims


def test_a_window_along_the_token_sequence_sees_the_whole_input() -> None:
    """A conv over the flattened sequence reads tokens that wrap around the grid's rows."""
    a = net([4, 4, 3], "tokens", "conv 3 kernel=3 padding=same name=c", "grid [4, 4] name=g")
    assert layer(a, "c").field.is_global and layer(a, "g").field.is_global


def test_a_grid_of_other_tokens_sees_the_whole_input() -> None:
    a = net([4, 6, 3], "tokens", "grid [6, 4] name=g")
    assert layer(a, "g").shape == (6, 4, 3) and layer(a, "g").field.is_global


def test_a_sequence_keeps_its_field_through_tokens_and_a_grid_of_one_axis() -> None:
    a = net([9, 3], "conv 3 kernel=3 name=c", "tokens", "grid [7] name=g")
    assert layer(a, "g").field.units == layer(a, "c").field.units


# --------------------------------------------------------------------------- param, slice


def test_vit_embedding_class_token_and_its_slice() -> None:
    a = net(
        [8, 8, 3],
        "conv 16 kernel=4 stride=4 name=p",
        "tokens",
        "param shape=[1,16] mode=concat name=cls",
        "param shape=[5,16] name=pos",
        "slice axis=0 start=1 end=5 name=patches",
        "grid [2,2] name=g",
        "slice axis=0 end=1 name=first",
    )
    cls, pos = layer(a, "cls"), layer(a, "pos")
    assert (cls.shape, cls.effect.params) == ((5, 16), 16)
    assert (pos.shape, pos.effect.params, pos.effect.macs) == ((5, 16), 80, 0)
    assert cls.field.lead == 1 and cls.field.grid == (2, 2)
    # the patches without the class token lie back on their grid with their fields
    assert layer(a, "patches").shape == (4, 16)
    assert layer(a, "g").field.units == layer(a, "p").field.units
    assert layer(a, "first").shape == (1, 2, 16)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_param_adds_with_broadcasting_and_prepends_along_the_first_axis(dims: int) -> None:
    shape = [4] * dims + [6]
    prepended = str([2] + [4] * (dims - 1) + [6]).replace(" ", "")
    a = net(shape, "param shape=[1,6] name=b", f"param shape={prepended} mode=concat name=c")
    assert layer(a, "b").shape == tuple(shape) and layer(a, "b").effect.params == 6
    c = layer(a, "c")
    assert c.shape == (6,) + (4,) * (dims - 1) + (6,) and c.effect.params == 12 * 4 ** (dims - 1)
    if dims > 1:
        with pytest.raises(CnnCalcError, match="cannot be prepended"):
            net(shape, "param shape=[2,6] mode=concat")
    # prepended rows read nothing: the first real row is unit 2, moved like padding
    assert c.field.units[0].at(2) == (0, 0)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_slice_along_a_spatial_axis_crops_it(dims: int) -> None:
    a = net(
        [8] * dims + [3], "conv 3 kernel=3 name=c", f"slice axis={dims - 1} start=2 end=5 name=s"
    )
    s = layer(a, "s")
    assert s.shape == (6,) * (dims - 1) + (3, 3)
    assert s.field.units[dims - 1].at(0) == (2, 4)  # unit 0 is the conv's unit 2


# --------------------------------------------------------------------------- attention


def test_attention_counts_as_the_issue_states() -> None:
    """ViT-B/16's layer: 197 tokens of 768 channels, 12 heads."""
    a = net([197, 768], "attention 12 name=a")
    att = layer(a, "a")
    assert att.shape == (197, 768)
    assert att.effect.params == 4 * (768 * 768 + 768)
    assert att.effect.macs == 4 * 197 * 768 * 768 + 2 * 12 * 197 * 197 * 64
    assert att.field.is_global


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_global_attention_over_every_position(dims: int) -> None:
    a = net([3] * dims + [8], "attention 2 dim=12 qkv_bias=false proj_bias=false name=a")
    att, positions = layer(a, "a"), 3**dims
    assert att.shape == (3,) * dims + (12,)
    assert att.effect.params == 3 * 8 * 12 + 12 * 12
    assert att.effect.macs == positions * 8 * 12 * 3 + positions * 144 + 2 * positions**2 * 12


def test_cross_attention_reads_kv_and_counts_its_channels() -> None:
    a = net(
        [4, 4, 8],
        "conv 6 kernel=1 name=enc",
        "tokens inputs=[input] name=q",
        "attention 2 kv=enc name=x",
    )
    x = layer(a, "x")
    assert x.inputs == ("q", "enc") and x.shape == (16, 8)
    # Q 8->8, K and V 6->8, output 8->8, with biases: nn.MultiheadAttention(8, 2, kdim=6, vdim=6)
    assert x.effect.params == (64 + 8) + 2 * (48 + 8) + (64 + 8)
    assert x.effect.macs == 16 * 64 + 2 * 16 * 48 + 16 * 64 + 2 * 16 * 16 * 8
    assert x.field.is_global


def test_every_repeated_copy_of_cross_attention_reads_kv() -> None:
    a = net([4, 8], "fc 6 name=enc", "attention 2 kv=enc inputs=[input] repeat=2 name=x")
    assert layer(a, "x_2").inputs == ("x_1", "enc")
    assert layer(a, "x_2").effect == layer(a, "x_1").effect
    assert layer(a, "x_2").field_via == "x_1"  # the keys' field merges with the queries'


def test_attention_parameters_are_torchs(torch_or_skip: Any) -> None:
    nn = torch_or_skip.nn
    for embed, heads, kdim in ((8, 2, 8), (12, 3, 5)):
        mha = nn.MultiheadAttention(embed, heads, kdim=kdim, vdim=kdim)
        a = net(
            [4, embed],
            f"conv {kdim} kernel=1 name=kv",
            f"attention {heads} kv=kv inputs=[input] name=a",
        )
        assert layer(a, "a").effect.params == sum(p.numel() for p in mha.parameters())


@pytest.mark.parametrize(
    ("size", "window", "shift", "positions"),
    [
        ([56, 56], 7, 3, 56 * 56),
        ([10, 9], 4, 2, 12 * 12),  # padded up to whole windows
        ([3, 9], 4, 2, 4 * 12),  # one window covers H: no shift there
        ([10], 4, 1, 12),
        ([5, 6, 7], 2, 1, 6 * 6 * 8),
    ],
)
def test_windowed_attention_counts_the_padded_positions(
    size: list[int], window: int, shift: int, positions: int
) -> None:
    c, heads = 8, 2
    a = net([*size, c], f"attention {heads} window={window} shift={shift} name=a")
    att = layer(a, "a")
    n = len(size)
    assert att.shape == (*size, c)
    assert att.effect.params == 4 * (c * c + c) + heads * (2 * window - 1) ** n
    group = window**n
    assert att.effect.macs == 4 * positions * c * c + 2 * positions * group * c


def test_shift_is_left_out_where_one_window_covers_the_axis() -> None:
    a = net([3, 9, 8], "attention 2 window=4 shift=2 name=a")
    h, w = layer(a, "a").field.units
    # H: one window of 4 (3 rows and a padded one), not shifted
    assert [h.at(t) for t in range(3)] == [(0, 3)] * 3
    # W: the first two columns read what wrapped around, masked: outside the input
    assert [w.at(t) for t in range(9)] == [(-2, 1)] * 2 + [(2, 5)] * 4 + [(6, 9)] * 3
    assert cnncalc_spans(w, 9) == [(0, 1)] * 2 + [(2, 5)] * 4 + [(6, 8)] * 3


def test_the_grid_partition_spreads_over_the_axis() -> None:
    a = net([12, 12, 64], "attention 2 window=3 partition=grid name=a")
    h = layer(a, "a").field.units[0]
    assert [h.at(t) for t in range(5)] == [(0, 8), (1, 9), (2, 10), (3, 11), (0, 8)]
    assert layer(a, "a").field.size == (9, 9)


def test_relative_bias_can_be_left_out_and_a_zero_shift_needs_no_window() -> None:
    a = net([8, 8, 8], "attention 2 window=4 relative_bias=false name=a")
    assert layer(a, "a").effect.params == 4 * 72
    b = net([8, 8, 8], "attention 2 shift=0 relative_bias=false name=a")
    assert layer(b, "a").effect.params == 4 * 72 and layer(b, "a").field.is_global


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_patch_merging_halves_every_axis_and_doubles_the_channels(dims: int) -> None:
    a = net([5] * dims + [4], "patch_merging name=m")
    m, merged = layer(a, "m"), 2**dims * 4
    assert m.shape == (3,) * dims + (8,)
    assert m.effect.params == 2 * merged + merged * 8
    assert m.effect.macs == 3**dims * merged * 8
    assert m.field.size == (2,) * dims and m.field.stride == (2,) * dims
    assert layer(net([4, 4, 6], "patch_merging filters=5 name=m"), "m").shape == (2, 2, 5)


def test_symbolic_sizes_give_formulas() -> None:
    a = net(["H", "W", 8], "attention 2 window=4 shift=2 name=a", "patch_merging name=m")
    att = layer(a, "a")
    assert att.shape[-1] == 8
    assert "H" in str(att.effect.macs) and "W" in str(att.effect.macs)
    assert not att.field.is_global


# --------------------------------------------------------------------------- properties


@given(
    size=st.lists(st.integers(1, 9), min_size=1, max_size=3),
    kernel=st.integers(1, 3),
)
def test_tokens_then_grid_keeps_the_field(size: list[int], kernel: int) -> None:
    layers = [f"conv 2 kernel={kernel} padding=same name=c", "tokens", "layernorm", "fc 2"]
    grid = "grid [" + ",".join(str(s) for s in size) + "] name=g"
    a = net([*size, 2], *layers, grid)
    assert layer(a, "g").field == layer(a, "c").field


@given(
    size=st.lists(st.integers(1, 12), min_size=1, max_size=3),
    window=st.integers(1, 5),
    shift=st.integers(0, 4),
    data=st.data(),
)
def test_a_window_reads_its_group_and_grows_the_field_by_the_window(
    size: list[int], window: int, shift: int, data: st.DataObject
) -> None:
    shift %= window
    a = net([*size, 4], f"attention 2 window={window} shift={shift} name=a")
    f = layer(a, "a").field
    assert not f.is_global and f.size == (window,) * len(size)
    for axis, s in enumerate(size):
        units = f.units[axis]
        t = data.draw(st.integers(0, s - 1))
        lo, hi = units.at(t)
        assert lo <= t <= hi and hi - lo + 1 == window
        # the outputs of one group read the same positions
        assert all(units.at(u) == (lo, hi) for u in range(max(lo, 0), min(hi + 1, s)))


@given(
    size=st.lists(st.integers(2, 9), min_size=1, max_size=3),
    window=st.integers(1, 4),
    kernel=st.integers(1, 3),
)
def test_a_windowed_field_never_exceeds_the_global_one(
    size: list[int], window: int, kernel: int
) -> None:
    layers = [f"conv 4 kernel={kernel} padding=same", f"attention 2 window={window} name=w"]
    a = net([*size, 4], *layers, "attention 2 name=a")
    windowed, whole = layer(a, "w").field, layer(a, "a").field
    assert whole.is_global and not windowed.is_global
    for axis, s in enumerate(size):
        lo = min(windowed.units[axis].at(t)[0] for t in range(s))
        hi = max(windowed.units[axis].at(t)[1] for t in range(s))
        # the input, and at most a conv's padding and the last window's beyond it
        assert -(kernel // 2) <= lo and hi < s + kernel // 2 + window
        assert windowed.size[axis] <= whole.size[axis] + kernel + window


@given(grid=st.integers(1, 4), per=st.integers(1, 4))
def test_grid_groups_are_spaced_evenly(grid: int, per: int) -> None:
    size = grid * per
    for t, (lo, hi) in enumerate(grid_groups(size, grid)):
        assert lo == t % per and hi == lo + per * (grid - 1)


# --------------------------------------------------------------------------- torchvision


@pytest.fixture
def torch_or_skip() -> Any:
    return pytest.importorskip("torch")


def reads(model: Any, x: Any, out_at: Any) -> list[list[tuple[int, int]]]:
    """Per axis, for each output position, the first and last input position whose
    gradient is not zero (autograd's receptive field)."""
    import torch

    spans: list[list[tuple[int, int]]] = [[] for _ in range(x.dim() - 2)]
    for axis in range(len(spans)):
        for t in range(x.shape[1 + axis]):
            x.grad = None
            index = [0] * len(spans)
            index[axis] = t
            out_at(model(x), index).sum().backward()
            g = x.grad[0].abs().sum(-1)  # channels last
            others = tuple(d for d in range(g.dim()) if d != axis)
            hit = torch.nonzero(g.sum(others) if others else g).flatten().tolist()
            spans[axis].append((min(hit), max(hit)))
    return spans


def cnncalc_spans(units: fields.Units, size: int) -> list[tuple[int, int]]:
    spans = [units.at(t) for t in range(size)]
    return [(max(lo, 0), min(hi, size - 1)) for lo, hi in spans]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("size", "window", "shift"), [((10, 9), 4, 2), ((3, 9), 4, 2), ((8, 8), 4, 0)]
)
def test_swin_window_attention_reads_what_cnncalc_says(
    size: tuple[int, int], window: int, shift: int
) -> None:
    torchvision_models()
    import torch
    from torchvision.models.swin_transformer import ShiftedWindowAttention

    torch.manual_seed(0)
    attn = ShiftedWindowAttention(8, [window] * 2, [shift] * 2, 2).double().eval()
    x = torch.randn(1, *size, 8, dtype=torch.float64, requires_grad=True)
    measured = reads(attn, x, lambda out, i: out[0, i[0], i[1]])
    a = net([*size, 8], f"attention 2 window={window} shift={shift} name=a")
    f = layer(a, "a")
    assert [cnncalc_spans(f.field.units[k], size[k]) for k in range(2)] == measured
    assert f.effect.params == sum(p.numel() for p in attn.parameters())


@pytest.mark.parametrize("partition", ["window", "grid"])
def test_maxvit_partition_attention_reads_what_cnncalc_says(partition: str) -> None:
    torchvision_models()
    import torch
    from torch import nn
    from torchvision.models.maxvit import PartitionAttentionLayer

    torch.manual_seed(0)
    size = (12, 12)
    block = PartitionAttentionLayer(
        64, 32, 3, partition, size, 4, nn.GELU, nn.LayerNorm, 0.0, 0.0, 0.0
    )
    block = block.double().eval()
    x = torch.randn(1, *size, 64, dtype=torch.float64, requires_grad=True)

    def run(m: Any, y: Any) -> Any:  # torchvision's block is channels first
        return m(y.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    measured = reads(lambda y: run(block, y), x, lambda out, i: out[0, i[0], i[1]])
    mode = "block" if partition == "window" else "grid"
    a = net([*size, 64], f"attention 2 window=3 partition={mode} name=a")
    f = layer(a, "a")
    assert [cnncalc_spans(f.field.units[k], 12) for k in range(2)] == measured
    table = block.attn_layer[1]
    assert f.effect.params == sum(p.numel() for p in table.parameters())


def test_swin_patch_merging_is_torchvisions() -> None:
    torchvision_models()
    import torch
    from torchvision.models.swin_transformer import PatchMerging

    torch.manual_seed(0)
    merge = PatchMerging(8).double().eval()
    x = torch.randn(1, 5, 7, 8, dtype=torch.float64, requires_grad=True)
    measured = reads(merge, x, lambda out, i: out[0, i[0] // 2, i[1] // 2])
    a = net([5, 7, 8], "patch_merging name=m")
    m = layer(a, "m")
    assert m.shape == tuple(merge(x).shape[1:])
    assert m.effect.params == sum(p.numel() for p in merge.parameters())
    spans = [cnncalc_spans(m.field.units[k], (5, 7)[k]) for k in range(2)]
    # output t // 2 of every input row t: the spans of the output it belongs to
    assert [[spans[k][t // 2] for t in range((5, 7)[k])] for k in range(2)] == measured


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("shape", "layers", "message"),
    [
        ([4, 10], ["attention 3"], "heads = 3 does not divide the embedding dimension 10"),
        ([4, 8], ["attention 2 dim=9"], "heads = 2 does not divide the embedding dimension 9"),
        ([12, 8], ["grid [3, 5]"], "grid [3, 5] holds 15 tokens, got 12"),
        ([4, 4, 8], ["grid [16]"], "grid needs a token input [L, C], got [4, 4, 8]"),
        ([4, 4, 8], ["tokens", "attention 2 window=2"], "a window over tokens of the 4x4 grid"),
        ([8, 8, 8], ["attention 2 window=4 shift=4"], "shift 4 on axis H is not smaller"),
        ([8, 8, 8], ["attention 2 shift=1"], "shift needs a window"),
        ([8, 8, 8], ["attention 2 relative_bias=true"], "relative_bias needs a window"),
        ([8, 8, 8], ["attention 2 partition=grid"], "partition needs a window"),
        ([10, 8, 8], ["attention 2 window=4 partition=grid"], "multiples of 4, got 10 on axis H"),
        ([8, 8, 8], ["flatten name=f", "attention 2 kv=f inputs=[input]"], "kv f is the flat"),
        ([8, 8], ["attention 2 kv=input window=2"], "kv (cross-attention) cannot be windowed"),
        ([8], ["attention 2"], "attention needs an input with spatial axes"),
        ([6, 8], ["param shape=[5,8]"], "a param of shape [5, 8] cannot be added to [6, 8]"),
        ([6, 8], ["slice axis=2 end=1"], "axis 2 is outside the 2 axes of [6, 8]"),
        ([6, 8], ["slice axis=0 start=2 end=7"], "the axis 0 range 2..7 (start, end) is outside"),
    ],
)
def test_errors_say_what_is_wrong(shape: list[int], layers: list[str], message: str) -> None:
    with pytest.raises(CnnCalcError) as caught:
        net(shape, *layers)
    assert message in str(caught.value)


# --------------------------------------------------------------------------- what users see


@pytest.mark.parametrize("report", ["summary", "shapes", "receptive-field"])
def test_golden_reports_of_a_small_transformer(report: str, cli: Any) -> None:
    code, out, err = cli(report, str(DATA / "nets" / "tiny_transformer.toml"))
    assert (code, err) == (0, "")
    golden(f"tiny_transformer-{report}.txt", out)


def test_two_swin_blocks_chained_read_what_cnncalc_says() -> None:
    """A plain and a shifted block (norms, MLPs and residual adds included): the shifted
    windows read across two plain ones, exactly as autograd shows."""
    torchvision_models()
    import torch
    from torchvision.models.swin_transformer import SwinTransformerBlock

    torch.manual_seed(0)
    blocks = torch.nn.Sequential(
        *(SwinTransformerBlock(8, 2, [4, 4], [s, s], stochastic_depth_prob=0.0) for s in (0, 2))
    )
    blocks = blocks.double().eval()
    size = (10, 9)
    x = torch.randn(1, *size, 8, dtype=torch.float64, requires_grad=True)
    measured = reads(blocks, x, lambda out, i: out[0, i[0], i[1]])
    swin = []
    for k, shift in enumerate((0, 2)):
        before = "input" if k == 0 else "y0"
        swin += [
            f"layernorm inputs=[{before}]",
            f"attention 2 window=4 shift={shift} name=a{k}",
            f"add inputs=[{before},a{k}] name=x{k}",
            "layernorm",
            "fc 32 activation=gelu",
            f"fc 8 name=m{k}",
            f"add inputs=[x{k},m{k}] name=y{k}",
        ]
    a = net([*size, 8], *swin)
    f = layer(a, "y1").field
    assert [cnncalc_spans(f.units[k], size[k]) for k in range(2)] == measured
    assert a.totals.params == sum(p.numel() for p in blocks.parameters())
