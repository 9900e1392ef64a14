"""Broadcasts of symbolic sizes: a symbol against a number, or against another symbol.

An ``add`` of ``[W, C]`` and ``[3, C]`` is valid at W = 3 and at W = 1 (NumPy's and
torch's broadcasting), and its output is ``[3, C]`` both times. The symbolic engine's
shapes, MACs and fields, with valid sizes put in, must be the numeric engine's; where
the numeric engine refuses a size, a condition of ``cnncalc solve`` must fail; and the
merged shape must be the one torch broadcasts to.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from test_symbolic_engine import analyze_inline, analyze_inputs, compare_at, value

from cnncalc.errors import CnnCalcError
from cnncalc.reports.solve import solve
from conftest import examples

torch = pytest.importorskip("torch")

AXES = ("D", "H", "W")
OTHER = ("P", "Q", "R")  # the second input's symbols, one per axis

# shape-keeping or shape-changing layers before the merge, each giving 4 channels
BEFORE = [
    "",
    "conv 4 kernel=3 padding=same",
    "pool 3 stride=1 padding=same mode=max",
    "conv 4 kernel=3 stride=2 padding=same",
    "upsample 2",
    "conv 4 kernel=2",
]
AFTER = ["", "conv 4 kernel=3", "pool 2", "conv 4 kernel=2 stride=2; global_pool; flatten; fc 3"]


def torch_broadcast(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    """The shape torch broadcasts channels-last shapes to (a flat [C] aligned at the
    channels, as torch aligns trailing axes), or None where torch refuses."""
    try:
        return tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        return None


@st.composite
def merge_network(draw: Any) -> tuple[str, dict[str, str], list[dict[str, int]]]:
    """Two inputs merged by add or multiply: ``a`` of symbols on every axis, ``b`` of
    numbers, its own symbols or ``a``'s, axis by axis; envs that put 1, the numbers and
    equal sizes in, and some random ones."""
    rank = draw(st.integers(1, 3))
    names = AXES[3 - rank :]
    b_axes = [
        draw(st.sampled_from([str(draw(st.sampled_from([1, 2, 3]))), OTHER[3 - rank + a], n]))
        for a, n in enumerate(names)
    ]
    inputs = {"a": "x".join([*names, "4"]), "b": "x".join([*b_axes, "4"])}
    left = draw(st.sampled_from(BEFORE))
    right = draw(st.sampled_from(BEFORE[:3]))
    layers = [
        f'{left or "identity"} name=left inputs=["a"]',
        f'{right or "identity"} name=right inputs=["b"]',
    ]
    merged = ["left", "right"]
    if draw(st.booleans()):  # a third input: a flat gate [4], or the merge's left again
        gate = draw(st.sampled_from(["gate", "left"]))
        if gate == "gate":
            layers.append('global_pool name=g inputs=["a"]; flatten; fc 4 name=gate')
        merged.insert(draw(st.integers(0, 2)), gate)
    kind = draw(st.sampled_from(["add", "multiply"]))
    layers.append(f"{kind} name=m inputs={json.dumps(merged, separators=(',', ':'))}")
    after = draw(st.sampled_from(AFTER))
    if after:
        layers.append(after)
    symbols = sorted({n for n in [*names, *b_axes] if not n.isdigit()})
    envs = [{n: v for n in symbols} for v in (1, 2, 3)]
    for _ in range(draw(st.integers(4, 10))):
        envs.append({n: draw(st.sampled_from([1, 2, 3, 3, 4, 5, 6])) for n in symbols})
    return "; ".join(layers), inputs, envs


@settings(
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(merge_network())
def test_broadcasts_of_symbols_agree_with_the_numbers_and_with_torch(
    net: tuple[str, dict[str, str], list[dict[str, int]]],
) -> None:
    layers, inputs, envs = net
    try:
        checked = compare_at(layers, inputs, envs)
    except CnnCalcError:
        checked = 0  # the symbolic engine refuses: every size must be refused too
        for env in envs:
            with pytest.raises(CnnCalcError):
                analyze_inputs(layers, substituted(inputs, env))
    assume(checked > 0)
    sym = analyze_inputs(layers, inputs)
    m = next(r for r in sym.layers if r.name == "m")
    event(f"merged field {'estimated' if m.field.estimate else 'exact'}")
    event(f"valid sizes: {min(checked, 3)}{'' if checked < 3 else ' or more'}")
    for env in envs:
        ins = [value(s, env) for s in m.input_shapes]
        want = torch_broadcast(ins)
        if want is not None and all(min(s) >= 1 for s in ins):
            assert value(m.shape, env) == want, (env, ins)


def substituted(inputs: dict[str, str], env: dict[str, int]) -> dict[str, str]:
    return {k: "x".join(str(env.get(p, p)) for p in v.split("x")) for k, v in inputs.items()}


# ------------------------------------------------------------------------- regression examples

W_AND_3 = 'adaptive_pool 3 name=three; add name=m inputs=["input","three"]'


@pytest.mark.parametrize("w", [1, 3])
def test_w_plus_3_is_3_at_w_1_and_at_w_3(w: int) -> None:
    """[W, C] + [3, C]: [3, C] at both valid sizes, as the numbers and torch say; it
    said [W, C], which is [1, C] at W = 1."""
    sym = {r.name: r for r in analyze_inline(W_AND_3, "Wx8").layers}["m"]
    num = {r.name: r for r in analyze_inline(W_AND_3, f"{w}x8").layers}["m"]
    assert sym.shape == (3, 8)
    assert num.shape == (3, 8) == torch_broadcast([(w, 8), (3, 8)])
    assert (torch.zeros(w, 8) + torch.zeros(3, 8)).shape == (3, 8)
    assert compare_at(f"{W_AND_3}; conv 4 kernel=2", {"input": "Wx8"}, [{"W": w}]) == 1


def test_w_plus_3_is_refused_at_every_other_size_and_solve_says_so() -> None:
    envs = [{"W": w} for w in range(1, 20)]
    assert compare_at(W_AND_3, {"input": "Wx8"}, envs) == 2  # W = 1 and 3
    with pytest.raises(CnnCalcError):
        analyze_inline(W_AND_3, "2x8")
    (s,) = solve(analyze_inline(W_AND_3, "Wx8")).symbols
    assert (s.finite, s.values) == ([1, 3], [1, 3])


def test_the_warning_says_what_the_symbol_must_be() -> None:
    (warning,) = {r.name: r for r in analyze_inline(W_AND_3, "Wx8").layers}["m"].warnings
    assert warning.message == (
        "the merged sizes [W, 8] and [3, 8] broadcast only for some input sizes "
        "(W must be 3 or 1); `cnncalc solve` lists them"
    )


def test_two_symbols_broadcast_to_the_larger() -> None:
    """[W, C] + [H, C] is valid where W = H or either is 1: max(H, W) every time."""
    layers = 'add name=m inputs=["a","b"]; conv 2 kernel=1'
    inputs = {"a": "Wx3", "b": "Hx3"}
    sym = analyze_inputs(layers, inputs)
    assert str(sym.layers[0].shape[0]) == "max(H, W)"
    envs = [{"W": w, "H": h} for w, h in itertools.product(range(1, 6), repeat=2)]
    assert compare_at(layers, inputs, envs) == 5 + 4 + 4  # W = H, W = 1 < H, H = 1 < W


def test_the_field_of_a_symbol_that_may_be_1_is_exact_at_every_valid_size() -> None:
    """Spread over the 3 units at W = 1, merged unit by unit at W = 3: one formula."""
    layers = (
        'conv 4 kernel=3 padding=same name=c inputs=["a"]; conv 4 kernel=1 name=d inputs=["b"]; '
        'add name=m inputs=["c","d"]; conv 4 kernel=2'
    )
    inputs = {"a": "Wx4", "b": "3x4"}
    m = {r.name: r for r in analyze_inputs(layers, inputs).layers}["m"]
    assert not m.field.estimate
    assert [value(m.field.size, {"W": w}) for w in (1, 3)] == [(4,), (3,)]
    assert compare_at(layers, inputs, [{"W": w} for w in range(1, 8)]) == 2


def test_a_gate_of_one_value_per_channel_ties_no_size() -> None:
    """A flat [C] from an fc counts as [1, 1, C]: every H and W (the solver had compared
    its C with H, and allowed only H = 1 or 8)."""
    layers = 'global_pool; flatten; fc 8 name=f; multiply inputs=["input","f"]'
    h, w = solve(analyze_inline(layers, "HxWx8")).symbols
    assert h.valid is not None and w.valid is not None
    assert (h.valid.modulus, h.valid.residues, h.values[:3]) == (1, [0], [1, 2, 3])
    assert compare_at(layers, {"input": "HxWx8"}, [{"H": 5, "W": 2}, {"H": 8, "W": 1}]) == 2


def test_three_inputs_check_every_pair() -> None:
    """[1, C], [W, C] and [3, C]: W against 3 too, so W = 2 is not valid."""
    layers = (
        'adaptive_pool 1 name=o; adaptive_pool 3 name=t inputs=["input"]; '
        'add name=m inputs=["o","input","t"]'
    )
    (s,) = solve(analyze_inline(layers, "Wx8")).symbols
    assert s.finite == [1, 3]
    assert compare_at(layers, {"input": "Wx8"}, [{"W": w} for w in range(1, 10)]) == 2


def test_a_param_added_to_a_symbol_fixes_it() -> None:
    """A param broadcasts into its input only (the input's size or 1): [W, 8] + [3, 8]
    is valid at W = 3 alone, and the solver says so (it had listed every W)."""
    layers = "param [3,8]; conv 4 kernel=2"
    param, conv = analyze_inline(layers, "Wx8").layers
    assert param.shape == (3, 8) and conv.shape == (2, 4)
    (warning,) = param.warnings
    assert warning.message == (
        "the param of shape [3, 8] fits the input [W, 8] only for some input sizes "
        "(W must be 3); `cnncalc solve` lists them"
    )
    sol = solve(analyze_inline(layers, "Wx8"))
    assert [(r.symbol, r.value) for r in sol.relations] == [("W", 3)]
    assert compare_at(layers, {"input": "Wx8"}, [{"W": w} for w in range(1, 6)]) == 1
