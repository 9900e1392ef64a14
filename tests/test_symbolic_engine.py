"""The engine on symbolic sizes agrees with the engine on numbers, value by value.

A random small network (every layer kind and padding mode, 1-D to 3-D) is
analysed once with symbols and once per substituted size; every formula
(shapes, padding, parameters, MACs, activations, receptive field) must
evaluate to the number, and the solver's conditions must say exactly when
the numeric engine warns about unread pixels or refuses a size.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cnncalc.engine.walk import Analysis, analyze
from cnncalc.errors import CnnCalcError
from cnncalc.reports.conditions import collect
from cnncalc.spec.load import INLINE, inline_network
from cnncalc.spec.reader import Reader
from cnncalc.spec.shorthand import parse_dims
from cnncalc.symbolic.formula import Formula, evaluate
from conftest import examples

SYMBOLS = ("D", "H", "W")


def value(v: Any, env: dict[str, int]) -> Any:
    if isinstance(v, Formula):
        return evaluate(v, env)
    if isinstance(v, tuple | list):
        return tuple(value(x, env) for x in v)
    return v


def numbers(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return tuple(numbers(x) for x in v)
    return Fraction(v) if isinstance(v, Fraction) else v


def unread_rows(a: Analysis) -> dict[str, int]:
    """Layers with an 'is never read' warning, from the numeric engine."""
    return {
        r.name: sum(1 for w in r.warnings if "never read" in w.message)
        for r in a.layers
        if any("never read" in w.message for w in r.warnings)
    }


def analyze_inline(layers: str, shape: str) -> Analysis:
    return analyze(inline_network(layers, shape))


def analyze_inputs(layers: str, inputs: dict[str, str]) -> Analysis:
    """A network of one input (``{"input": "HxWx3"}``) or of several, read by name."""
    if list(inputs) == ["input"]:
        return analyze_inline(layers, inputs["input"])
    doc = {
        "input": {k: parse_dims(v) for k, v in inputs.items()},
        "layers": [part.strip() for part in layers.split(";")],
    }
    return analyze(Reader.from_doc(INLINE, doc).network("network", doc, ()))


def compare(layers: str, rank: int, channels: int, sizes: list[int]) -> int:
    """Symbolic analysis, then numeric analysis at each size, field by field.

    Returns how many sizes the numeric engine accepted (and were compared).
    """
    names = SYMBOLS[3 - rank :]
    symbolic_shape = "x".join([*names, str(channels)])
    # different sizes, alike mod 4
    envs = [{n: size + 12 * i for i, n in enumerate(names)} for size in sizes]
    return compare_at(layers, {"input": symbolic_shape}, envs)


def assume_compared(layers: str, rank: int, channels: int, sizes: list[int]) -> None:
    """``compare``, where some size is valid: a configuration the engine refuses for every
    size, or at every size drawn, is no example."""
    try:
        checked = compare(layers, rank, channels, sizes)
    except CnnCalcError:
        checked = 0  # a configuration the engine refuses for every size
    assume(checked > 0)


def compare_at(layers: str, inputs: dict[str, str], envs: list[dict[str, int]]) -> int:
    """Symbolic analysis of ``inputs`` (shapes with symbols), then numeric analysis with
    each env's sizes put in, field by field. Returns how many the numeric engine accepted."""
    sym = analyze_inputs(layers, inputs)
    conditions = collect(sym)
    checked = 0
    for env in envs:
        numeric = {
            k: "x".join(str(env.get(part, part)) for part in v.split("x"))
            for k, v in inputs.items()
        }
        failing = [c for c in conditions if c.kind != "unread" and not c.holds(env)]
        try:
            num = analyze_inputs(layers, numeric)
        except CnnCalcError as error:
            assert failing, f"numeric engine refused {env} ({error}) but every condition holds"
            continue
        assert not failing, f"{[c.text for c in failing]} fails at {env}, numeric engine accepted"
        checked += 1
        assert [r.name for r in num.layers] == [r.name for r in sym.layers]
        for s, n in zip(sym.layers, num.layers, strict=True):
            where = f"{s.name} at {env}"
            assert value(s.shape, env) == n.shape, where
            assert value(s.effect.params, env) == n.effect.params, where
            assert value(s.effect.frozen_params, env) == n.effect.frozen_params, where
            assert value(s.effect.macs, env) == n.effect.macs, where
            assert value(s.totals.activations, env) == n.totals.activations, where
            assert value(s.effect.padding, env) == numbers(n.effect.padding), where
            assert s.field.is_global == n.field.is_global, where
            if s.field.units is None and n.field.units is not None:
                continue  # symbolic padding after up-sampling: the closed formulas, documented
            assert value(s.field.size, env) == numbers(n.field.size), where
            assert value(s.field.stride, env) == numbers(n.field.stride), where
            assert value(s.field.start, env) == numbers(n.field.start), where
        unread = {c.layer for c in conditions if c.kind == "unread" and not c.holds(env)}
        assert unread == set(unread_rows(num)), f"unread pixels at {env}"
        total_s, total_n = sym.totals, num.totals
        for key in ("params", "trainable_params", "macs", "activations"):
            assert value(getattr(total_s, key), env) == getattr(total_n, key), key
    return checked


def compare_all(layers: str, rank: int, channels: int, sizes: list[int]) -> None:
    """For fixed cases: the symbolic engine accepts the network and some size is valid."""
    assert compare(layers, rank, channels, sizes) > 0


# -------------------------------------------------------------------------------------- strategies


def axes_value(draw: Any, rank: int, low: int, high: int) -> str:
    if draw(st.booleans()):
        return str(draw(st.integers(low, high)))
    return "x".join(str(draw(st.integers(low, high))) for _ in range(rank))


@st.composite
def padding(draw: Any, rank: int, words: tuple[str, ...] = ("valid", "same", "full")) -> str:
    kind = draw(st.sampled_from([*words, "int", "pairs"]))
    if kind == "int":
        return str(draw(st.integers(0, 3)))
    if kind == "pairs":
        pairs = [f"[{draw(st.integers(0, 3))},{draw(st.integers(0, 3))}]" for _ in range(rank)]
        return "[" + ",".join(pairs) + "]"
    return kind


@st.composite
def conv(draw: Any, rank: int) -> str:
    groups = draw(st.sampled_from([1, 1, 2]))
    return (
        f"conv {4 * groups} kernel={axes_value(draw, rank, 1, 5)} "
        f"stride={axes_value(draw, rank, 1, 4)} dilation={axes_value(draw, rank, 1, 2)} "
        f"padding={draw(padding(rank))} groups={groups} "
        f"bias={draw(st.sampled_from(['true', 'false']))}"
    )


@st.composite
def pool(draw: Any, rank: int) -> str:
    kernel = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 4))
    pad = draw(st.sampled_from(["valid", "same", str(kernel // 2)]))
    ceil = draw(st.sampled_from(["true", "false"]))
    mode = draw(st.sampled_from(["max", "avg"]))
    return f"pool {kernel} mode={mode} stride={stride} padding={pad} ceil={ceil}"


@st.composite
def conv_transpose(draw: Any, rank: int) -> str:
    stride = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    pad = draw(padding(rank, ("valid", "same")))
    extra = 0 if pad == "same" else draw(st.integers(0, max(stride, dilation) - 1))
    return (
        f"conv_transpose 3 kernel={draw(st.integers(1, 4))} stride={stride} "
        f"dilation={dilation} padding={pad} output_padding={extra}"
    )


@st.composite
def plain(draw: Any, rank: int) -> str:
    return draw(
        st.sampled_from(["relu", "batchnorm", "dropout", "upsample 2", "upsample 3", "softmax"])
    )


def chain_layer(rank: int) -> st.SearchStrategy[str]:
    return st.one_of(conv(rank), pool(rank), conv_transpose(rank), plain(rank))


@st.composite
def network(draw: Any) -> tuple[str, int]:
    rank = draw(st.integers(1, 3))
    body = draw(st.lists(chain_layer(rank), min_size=1, max_size=3))
    if draw(st.booleans()):  # two branches merged: sizes that match only for some inputs
        left = draw(chain_layer(rank))
        right = draw(chain_layer(rank))
        merge = draw(st.sampled_from(["add", "concat"]))
        body += [
            f"{left} name=left",
            f'{right} name=right inputs=["left"]',
            f'{merge} inputs=["left","right"]',
        ]
    tail = draw(
        st.sampled_from(
            [
                [],
                ["global_pool", "flatten", "fc 5"],
                ["flatten", "fc 7 bias=false"],
                ["flatten", "reshape [-1,2]"],
            ]
        )
    )
    return "; ".join(body + tail), rank


# Failures that exploration found, kept as examples every run tries first.
UPSAMPLE_THEN_SAME = (  # after a 2x upsample a same padding of W mod 2 chose which pixels a
    # 2-tap window met; one size per layer said 2.5 for "right" (3 at W=1)
    "upsample 2; pool 1 mode=max stride=3 ceil=true name=left; "
    'pool 2 mode=max stride=2 padding=same ceil=true name=right inputs=["left"]; '
    'add inputs=["left","right"]'
)


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(network(), st.integers(1, 3), st.lists(st.integers(1, 60), min_size=4, max_size=8))
@example((UPSAMPLE_THEN_SAME, 1), 1, [1, 2, 3, 4])
def test_every_formula_evaluates_to_the_numeric_result(
    net: tuple[str, int], channels: int, sizes: list[int]
) -> None:
    layers, rank = net
    assume_compared(layers, rank, channels * 2, sizes)


# ---------------------------------------------------------------------------- each kind, each mode


PADDINGS = ["valid", "same", "full", "0", "1", "2", "[[0,2],[1,0]]"]


@pytest.mark.parametrize("pad", PADDINGS)
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4])
def test_conv_padding_modes_over_a_range_of_sizes(pad: str, stride: int, kernel: int) -> None:
    layers = f"conv 8 kernel={kernel} stride={stride} padding={pad}; maxpool 2"
    compare_all(layers, 2, 3, list(range(1, 40)))


@pytest.mark.parametrize("ceil", ["true", "false"])
@pytest.mark.parametrize("pad", ["valid", "same", "0", "1"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [2, 3])
def test_pool_with_and_without_ceil_mode(ceil: str, pad: str, stride: int, kernel: int) -> None:
    layers = f"pool {kernel} stride={stride} padding={pad} ceil={ceil}; conv 4 kernel=3 stride=2"
    compare_all(layers, 2, 3, list(range(1, 40)))


@pytest.mark.parametrize("pad", ["valid", "same", "0", "1", "[[1,0],[0,2]]"])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_transpose_after_a_strided_conv(pad: str, stride: int) -> None:
    layers = (
        "conv 4 kernel=3 stride=2; "
        f"conv_transpose 4 kernel=3 stride={stride} padding={pad} "
        f"output_padding={0 if pad == 'same' else stride - 1}"
    )
    compare_all(layers, 2, 3, list(range(1, 40)))


@pytest.mark.parametrize(
    "layers",
    [
        "conv 4 kernel=3; global_pool; flatten; fc 10",
        "conv 4 kernel=3 stride=2; flatten; fc 10",
        "maxpool 2; upsample 3; conv 4 kernel=3 stride=2",
        "upsample 2; conv 4 kernel=1 stride=2",
        'conv 3 kernel=3 stride=2 name=a; maxpool 2 inputs=["input"] name=b; add inputs=["a","b"]',
        'maxpool 2 name=a; upsample 2 name=b; concat inputs=["input","b"]',
        "upsample 2; conv 4 kernel=2 stride=2 padding=same; conv 4 kernel=3 stride=3 padding=same",
        "flatten; reshape [-1,4]; conv 2 kernel=1",
        "conv 6 kernel=3 groups=3 padding=same; bn; relu; dropout; lrn",
    ],
)
def test_other_layer_kinds(layers: str) -> None:
    compare_all(layers, 2, 3, list(range(1, 50)))


def test_one_and_three_spatial_axes() -> None:
    compare_all("conv 4 kernel=5 stride=3 padding=same; maxpool 2", 1, 2, list(range(1, 60)))
    compare_all("conv 4 kernel=3 stride=2; pool 2 mode=avg ceil=true", 3, 2, list(range(1, 30)))


def test_merges_that_match_for_some_sizes_warn() -> None:
    a = analyze_inline(
        'maxpool 2 name=half; upsample 2; concat inputs=["input","upsample1"]', "HxWx3"
    )
    (warning,) = a.layers[-1].warnings
    assert warning.message == (
        "the merged sizes [H, W] and [2·⌊H/2⌋, 2·⌊W/2⌋] are equal only for some input sizes; "
        "`cnncalc solve` lists them"
    )


def test_merges_that_never_match_are_errors_as_with_numbers() -> None:
    # 2H and 3H: never equal, and neither is ever 1
    layers = 'upsample 2 name=a; upsample 3 name=b inputs=["input"]; add inputs=["a","b"]'
    with pytest.raises(CnnCalcError) as caught:
        analyze_inline(layers, "HxWx3")
    assert str(caught.value) == (
        "<layers>: network, add1, inputs: add needs sizes that are equal or 1 on every axis "
        "(NumPy's broadcasting, aligned at the channels), got a [2·H, 2·W, 3] "
        "and b [3·H, 3·W, 3]"
    )


def test_merges_that_never_match_but_broadcast_where_one_is_1_are_valid_there() -> None:
    # ⌈H/2⌉ and ⌊(H − 1)/2⌋ are never equal, but at H = 3 they are 2 and 1: a broadcast
    layers = (
        "conv 3 kernel=1 stride=2 name=a; "
        'conv 3 kernel=3 stride=2 name=b inputs=["input"]; add inputs=["a","b"]'
    )
    assert analyze_inline(layers, "3x3x3").layers[-1].shape == (2, 2, 3)
    # odd sizes: at H = 4 the two convs leave the same pixel unread, one condition for both
    envs = [{"H": h, "W": w} for h in range(1, 12, 2) for w in range(1, 12, 2)]
    assert compare_at(layers, {"input": "HxWx3"}, envs) == 1  # H = W = 3 only
    (warning,) = analyze_inline(layers, "HxWx3").layers[-1].warnings
    assert warning.message == (
        "the merged sizes [⌈H/2⌉, ⌈W/2⌉, 3] and [⌊(H − 1)/2⌋, ⌊(W − 1)/2⌋, 3] broadcast only "
        "for some input sizes (on every axis equal, or one of them 1); `cnncalc solve` lists "
        "them"
    )


def test_the_field_after_upsample_and_same_padding_is_exact_and_whole() -> None:
    # the add merges [⌈2W/3⌉] and [⌈⌈2W/3⌉/2⌉]: equal at W = 1, broadcast at W = 2 and 3
    assert compare(UPSAMPLE_THEN_SAME, 1, 2, list(range(1, 40))) == 3
    right = {r.name: r for r in analyze_inline(UPSAMPLE_THEN_SAME, "Wx2").layers}["right"]
    assert right.field.units is not None  # followed unit by unit, not one size per layer
    for w in range(1, 60):
        size = value(right.field.size, {"W": w})[0]
        assert size == int(size) and size in (2, 3)


# ------------------------------------------------------- adaptive pooling and resampling, symbolic


@st.composite
def before_adaptive(draw: Any, rank: int) -> list[str]:
    """Layers whose fields adaptive pooling then reads: strided, up-sampled, padded "same"."""
    return draw(
        st.lists(
            st.one_of(conv(rank), pool(rank), st.sampled_from(["upsample 2", "upsample 3"])),
            max_size=2,
        )
    )


@settings(max_examples=examples(150), deadline=None)
@given(
    st.integers(1, 3).flatmap(lambda rank: st.tuples(st.just(rank), before_adaptive(rank))),
    st.lists(st.integers(1, 7), min_size=3, max_size=3),
    st.sampled_from(["avg", "max"]),
    st.sampled_from(["", "conv 2 kernel=2", "pool 3 stride=2 ceil=true", "upsample 2"]),
    st.lists(st.integers(1, 40), min_size=3, max_size=6),
)
def test_the_field_after_adaptive_pooling_is_exact_at_every_size(
    before: tuple[int, list[str]], output: list[int], mode: str, after: str, sizes: list[int]
) -> None:
    """PyTorch's bins of a symbolic I: every unit's field a formula, equal to the numbers."""
    rank, layers = before
    out = "x".join(map(str, output[:rank]))
    net = "; ".join([*layers, f"adaptive_pool {out} mode={mode}", *([after] if after else [])])
    assume_compared(net, rank, 2, sizes)
    sym = analyze_inline(net, "x".join([*SYMBOLS[3 - rank :], "2"]))
    pooled = next(r for r in sym.layers if r.node.kind == "adaptive_pool")
    if all(not r.field.estimate for r in sym.layers[: sym.layers.index(pooled)]):
        assert not pooled.field.estimate, net  # followed unit by unit, not estimated


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_upsample_to_a_layer_of_symbolic_size_takes_its_formula(rank: int, mode: str) -> None:
    """The output's sizes are the other layer's formulas (an FPN's top-down step, DeepLab's
    return to the input); every number agrees with the numeric engine, and the fields from
    it on are estimates, as after a size (torch picks the pixels in float32 from the sizes)."""
    shape = "x".join([*SYMBOLS[3 - rank :], "2"])
    top_down = "conv 2 kernel=3 stride=2 name=half; conv 2 kernel=3 stride=2; "
    top_down += f"upsample to=half mode={mode}; conv 2 kernel=2"
    back = f"conv 2 kernel=3 stride=2; upsample to=input mode={mode}; conv 2 kernel=2"
    for net in (top_down, back):
        compare_all(net, rank, 2, list(range(5, 30)))
        sym = analyze_inline(net, shape)
        k = next(i for i, r in enumerate(sym.layers) if r.node.kind == "upsample")
        target = sym.layers[0].shape if net == top_down else sym.network.inputs["input"]
        assert sym.layers[k].shape == target[:-1] + (2,)
        assert [r.field.estimate for r in sym.layers] == [i >= k for i in range(len(sym.layers))]


def test_a_window_after_an_estimated_adaptive_pool_keeps_exact_fractions() -> None:
    """A transposed conv leaves units that read nothing, so the adaptive pool after it is
    estimated, with a symbolic stride; the next window's closed formulas stay exact."""
    net = (
        "conv_transpose 3 kernel=1 stride=2; adaptive_pool 3; "
        "conv_transpose 3 kernel=1; conv 2 kernel=1 stride=2"
    )
    compare_all(net, 1, 2, list(range(1, 30)))
    sym = analyze_inline(net, "Wx2")
    assert [r.field.estimate for r in sym.layers] == [False, True, True, True]


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_adaptive_pooling_of_a_symbolic_size_is_followed_unit_by_unit(rank: int) -> None:
    net = "upsample 2; conv 2 kernel=3; adaptive_pool 5; conv 2 kernel=2"
    compare_all(net, rank, 2, list(range(1, 30)))
    sym = analyze_inline(net, "x".join([*SYMBOLS[3 - rank :], "2"]))
    assert not any(r.field.estimate for r in sym.layers)


@st.composite
def resampling(draw: Any, rank: int) -> str:
    mode = draw(
        st.sampled_from(["nearest", "linear", "bicubic"] if rank == 2 else ["nearest", "linear"])
    )
    corners = " align_corners=true" if mode != "nearest" and draw(st.booleans()) else ""
    if draw(st.booleans()):
        how = f"size={axes_value(draw, rank, 1, 9)}"
    else:
        how = draw(st.sampled_from(["2", "3", "1.5", "0.5", "2.5"]))
    return f"upsample {how} mode={mode}{corners}"


@settings(max_examples=examples(100), deadline=None)
@given(
    st.integers(1, 3).flatmap(lambda rank: st.tuples(st.just(rank), resampling(rank))),
    st.sampled_from(["", "conv 2 kernel=3", "pool 2"]),
    st.lists(st.integers(1, 30), min_size=3, max_size=6),
)
def test_resampling_of_a_symbolic_size_is_exact_or_marked_an_estimate(
    up: tuple[int, str], after: str, sizes: list[int]
) -> None:
    """Nearest by a whole scale is followed exactly; the other modes pick their pixels in
    float32 from the sizes, which no formula follows: marked as estimates, shapes exact."""
    rank, upsample = up
    net = "; ".join(["conv 2 kernel=3", upsample, *([after] if after else [])])
    assume_compared(net, rank, 2, sizes)
    sym = analyze_inline(net, "x".join([*SYMBOLS[3 - rank :], "2"]))
    whole = "mode=nearest" in upsample and upsample.split()[1] in ("2", "3")
    assert all(r.field.estimate != whole for r in sym.layers[1:]), net
