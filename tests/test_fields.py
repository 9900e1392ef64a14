"""Tests for cnncalc.layers.fields: exact per-unit receptive fields against a brute-force count.

The brute force follows every tap of every layer back to the input pixels, one unit at
a time; the periodic rule must give the same first and last pixel for every unit.
PyTorch's autograd checks the same fields on real networks in test_torch_export.py.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.engine.walk import analyze
from cnncalc.layers import fields
from cnncalc.spec.load import load_text
from conftest import examples

Step = tuple[str, int, int, int, int]  # kind, kernel, dilation, stride, pad_start


def taps(step: Step) -> Callable[[int], list[int]]:
    """The units of the layer below that unit t of this layer reads."""
    kind, kernel, dilation, stride, pad = step
    if kind == "window":
        return lambda t: [t * stride - pad + m * dilation for m in range(kernel)]
    if kind == "transpose":
        return lambda t: [
            (t + pad - m * dilation) // stride
            for m in range(kernel)
            if (t + pad - m * dilation) % stride == 0
        ]
    return lambda t: [t // stride]  # upsample by ``stride``


def brute(steps: list[Step], t: int) -> tuple[int, int] | None:
    units = {t}
    for step in reversed(steps):
        read = taps(step)
        units = {u for v in units for u in read(v)}
    return (min(units), max(units)) if units else None


def exact(steps: list[Step]) -> fields.Units:
    u = fields.Units.pixels()
    for kind, kernel, dilation, stride, pad in steps:
        if kind == "window":
            u = fields.window(u, kernel, dilation, stride, pad)
        elif kind == "transpose":
            u = fields.transpose(u, kernel, dilation, stride, pad)
        else:
            u = fields.upsample(u, stride)
    return u


step = st.tuples(
    st.sampled_from(["window", "transpose", "upsample"]),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 3),
)


@settings(max_examples=examples(400))
@given(st.lists(step, min_size=1, max_size=5))
def test_every_unit_reads_what_the_brute_force_finds(steps: list[Step]) -> None:
    u = exact(steps)
    for t in range(-3, 3 * u.period + 3):
        assert u.at(t) == brute(steps, t), t


@settings(max_examples=examples(200))
@given(st.lists(step, min_size=1, max_size=4), st.lists(step, min_size=1, max_size=4))
def test_a_merge_reads_the_union(left: list[Step], right: list[Step]) -> None:
    a, b = exact(left), exact(right)
    if a.stride != b.stride:
        return
    u = fields.union([a, b])
    for t in range(-3, 2 * u.period + 3):
        spans = [s for s in (brute(left, t), brute(right, t)) if s is not None]
        want = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None
        assert u.at(t) == want


def test_upsampling_then_a_conv_alternates_field_sizes() -> None:
    # x2 nearest neighbour, then a 2-tap window: units read 1, 2, 1, 2 … input pixels
    u = fields.window(fields.upsample(fields.Units.pixels(), 2), 2, 1, 1, 0)
    assert [u.at(t) for t in range(4)] == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert (u.widest, u.stride, u.start) == (2, Fraction(1, 2), 0)


def test_dcgan_transposed_conv() -> None:
    # kernel 4, stride 2, padding 1: every output reads two inputs, centres step 1, 0, 1, 0 …
    u = fields.transpose(fields.Units.pixels(), 4, 1, 2, 1)
    assert [u.at(t) for t in range(4)] == [(-1, 0), (0, 1), (0, 1), (1, 2)]
    assert (u.widest, u.stride, u.start) == (2, Fraction(1, 2), Fraction(-1, 2))


def test_gaps_of_a_transposed_conv_read_nothing() -> None:
    u = fields.transpose(fields.Units.pixels(), 2, 1, 3, 0)
    assert [u.at(t) for t in range(6)] == [(0, 0), (0, 0), None, (1, 1), (1, 1), None]
    assert (u.empty, u.widest) == (1, 1)


def test_a_network_reports_the_exact_field_and_warns_about_gaps() -> None:
    (n,) = load_text(
        'input = [32, 32, 3]\nlayers = ["upsample 2", "conv 4 kernel=2", '
        '"deconv 4 kernel=2 stride=3 name=gappy"]',
        "up.toml",
    )
    a = analyze(n)
    conv, gappy = a.layers[1], a.layers[2]
    assert conv.field.size == (2, 2) and conv.field.stride == (Fraction(1, 2),) * 2
    assert [w.message for w in gappy.warnings] == [
        f"1 of every 3 outputs on axis {axis} read no input (stride 3, kernel 2): "
        "they hold only the bias"
        for axis in "HW"
    ]


def test_symbolic_sizes_after_upsampling_keep_the_exact_field() -> None:
    (n,) = load_text(
        'input = ["H", 16, 1]\nlayers = ["upsample 2", "conv 1 kernel=3 stride=2 padding=same"]',
        "sym.toml",
    )
    conv = analyze(n).layers[1]
    assert conv.effect.padding[0] == (1, 0)  # 2H is even: "same" pads exactly 1 for every H
    assert conv.field.units is not None
    assert conv.field.stride[0] == 1 and conv.field.size[0] == 2


def test_a_huge_period_falls_back_to_the_formulas() -> None:
    (n,) = load_text('input = [8, 1]\nlayers = ["upsample 1000", "conv 1 kernel=3"]', "big.toml")
    conv = analyze(n).layers[1]
    assert conv.field.units is None and conv.field.stride == (Fraction(1, 1000),)


@given(
    st.lists(
        st.tuples(
            st.integers(-40, 40),  # first pixel of unit 0's field
            st.integers(0, 30),  # its width - 1
            st.integers(1, 8),  # jump
            st.integers(1, 7),  # kernel
            st.integers(1, 4),  # dilation
            st.integers(1, 4),  # stride
            st.integers(-3, 6),  # padding before
        ),
        min_size=1,
        max_size=3,
    )
)
def test_the_direct_rule_for_plain_fields_gives_what_the_general_rule_gives(
    axes: list[tuple[int, int, int, int, int, int, int]],
) -> None:
    from cnncalc.layers.base import Field, WindowAxis, plain_window_field

    units = [fields.Units(1, jump, (lo,), (lo + width,)) for lo, width, jump, *_ in axes]
    f = Field.exact(units, tuple(64 for _ in axes))
    windows = [WindowAxis(64, k, d * (k - 1) + 1, s, p, 0, 1) for _, _, _, k, d, s, p in axes]
    general = f.follow(
        lambda a, u: fields.window(u, axes[a][3], axes[a][4], axes[a][5], axes[a][6])
    )
    assert plain_window_field(f, windows) == general
