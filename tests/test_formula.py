"""Formulas: canonical floors, exact arithmetic, bounds, periods, substitution, factoring."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.symbolic.bounds import bounds, extreme
from cnncalc.symbolic.factoring import separate
from cnncalc.symbolic.formula import Formula, ceildiv, compile_value, evaluate, floordiv, mod
from cnncalc.symbolic.periods import period, slope
from cnncalc.symbolic.substitute import linearize, substitute
from conftest import examples

H = Formula.symbol("H")
W = Formula.symbol("W")


# --------------------------------------------------------------------------------- canonical forms


def test_nested_floors_merge() -> None:
    assert ceildiv(ceildiv(H, 2), 2) == ceildiv(H, 4)
    assert floordiv(floordiv(H, 2), 16) == floordiv(H, 32)
    assert floordiv(floordiv(H + 6 - 7, 2) + 1 + 2 - 3, 2) + 1 == ceildiv(H, 4)


def test_two_paths_to_the_same_size_give_the_same_formula() -> None:
    # ResNet's shortcut (1x1, stride 2, valid) and main path (3x3, stride 2, padding 1)
    shortcut = floordiv(H - 1, 2) + 1
    main = floordiv(H + 2 - 3, 2) + 1
    assert shortcut == main == ceildiv(H, 2)
    assert hash(shortcut) == hash(main)


def test_constants_collapse_to_numbers() -> None:
    assert H - H == 0
    assert type(H - H) is int
    assert (2 * H + 3) - 2 * H == 3
    assert floordiv(2 * H + 4, 2) == H + 2
    same = ceildiv(mod(-H, 2) + 3 - 2, 2)  # CS 230 "same" padding of a 3x3 stride-2 conv
    assert same == 1 and type(same) is int


def test_negative_leading_coefficient_is_normalised() -> None:
    assert floordiv(-H, 2) == -ceildiv(H, 2)
    assert floordiv(1 - H, 3) == -floordiv(H + 1, 3)


def test_true_division_gives_rational_coefficients() -> None:
    half = (H - 1) / 2
    assert isinstance(half, Formula)
    assert evaluate(half, {"H": 6}) == Fraction(5, 2)
    assert half * 2 == H - 1


def test_division_by_a_formula_is_not_supported() -> None:
    with pytest.raises(TypeError):
        _ = 1 / H  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = H // H  # type: ignore[operator]


# ----------------------------------------------------------------------- exact values (hypothesis)


Build = Callable[[int], int]
Pair = tuple[Any, Build]


@st.composite
def size_formula(draw: Any, depth: int = 3) -> Pair:
    """A random size formula with the plain-integer function it must equal."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return H, lambda h: h
    inner, f = draw(size_formula(depth - 1))
    op = draw(st.sampled_from(["floor", "ceil", "add", "mul", "mod", "sum"]))
    k = draw(st.integers(1, 5))
    c = draw(st.integers(-6, 6))
    if op == "floor":
        return floordiv(inner + c, k), lambda h: (f(h) + c) // k
    if op == "ceil":
        return ceildiv(inner + c, k), lambda h: -(-(f(h) + c) // k)
    if op == "add":
        return inner + c, lambda h: f(h) + c
    if op == "mul":
        return inner * k, lambda h: f(h) * k
    if op == "mod":
        return mod(inner + c, k), lambda h: (f(h) + c) % k
    other, g = draw(size_formula(depth - 1))
    return inner - other * k, lambda h: f(h) - g(h) * k


@settings(max_examples=examples(400), deadline=None)
@given(size_formula(), st.lists(st.integers(-50, 300), min_size=1, max_size=20))
def test_formulas_equal_integer_arithmetic(pair: Pair, values: list[int]) -> None:
    formula, f = pair
    run = compile_value(formula)
    for h in values:
        assert evaluate(formula, {"H": h}) == f(h)
        assert run({"H": h}) == f(h)


@settings(max_examples=examples(300), deadline=None)
@given(size_formula(), st.integers(1, 200))
def test_period_and_slope(pair: Pair, h: int) -> None:
    formula, f = pair
    s, p = slope(formula, "H"), period(formula, "H")
    assert s is not None and p is not None  # linear in H: always quasi-linear
    assert f(h + p) - f(h) == s * p


@settings(max_examples=examples(300), deadline=None)
@given(size_formula())
def test_bounds_hold_for_every_value(pair: Pair) -> None:
    formula, f = pair
    lo, hi = bounds(formula)
    for h in range(1, 400):
        v = f(h)
        assert lo is None or v >= lo
        assert hi is None or v <= hi


@settings(max_examples=examples(300), deadline=None)
@given(size_formula(), st.integers(1, 6), st.integers(0, 5))
def test_linearize_is_exact_on_multiples_of_the_period(pair: Pair, k: int, j: int) -> None:
    formula, f = pair
    p = period(formula, "H")
    assert p is not None
    h = p * k * (j + 1)
    assert evaluate(linearize(formula), {"H": h}) == f(h)


@settings(max_examples=examples(200), deadline=None)
@given(size_formula(), size_formula(), st.integers(1, 100), st.integers(1, 100))
def test_substitution_then_evaluation(a: Pair, b: Pair, w: int, x: int) -> None:
    (fa, ga), (fb, gb) = a, b
    two = substitute(fa, {"H": W}) * fb  # a formula in H and W
    assert evaluate(two, {"H": x, "W": w}) == ga(w) * gb(x)
    tied = substitute(two, {"W": ceildiv(H, 2)})
    assert evaluate(tied, {"H": x}) == ga(-(-x // 2)) * gb(x)


# ------------------------------------------------------------------------------------- comparisons


def test_order_when_certain_and_type_error_when_not() -> None:
    assert ceildiv(H, 2) >= 1
    assert floordiv(H, 2) < H + 1
    assert not (H < 1)
    with pytest.raises(TypeError):
        _ = floordiv(H - 1, 2) < 1  # true for H = 1 or 2 only
    assert bounds(ceildiv(H, 2) - floordiv(H, 2)) == (0, 1)  # H mod 2, exactly


def test_extreme_keeps_the_certain_one_or_makes_an_atom() -> None:
    assert extreme(H, H + 2, is_max=True) == H + 2
    assert extreme(H, 0, is_max=True) == H
    either = extreme(mod(H, 4), 2, is_max=False)
    assert isinstance(either, Formula)
    assert [evaluate(either, {"H": h}) for h in range(1, 9)] == [1, 2, 2, 0, 1, 2, 2, 0]


# --------------------------------------------------------------------------------------- factoring


def test_products_of_sizes_separate() -> None:
    flat = 32 * floordiv(H - 1, 8) * floordiv(W - 1, 8)
    assert isinstance(flat, Formula)
    c, factors, k = separate(flat)  # type: ignore[misc]
    assert (c, k) == (32, 0)
    assert factors == [floordiv(H - 1, 8) + 0, floordiv(W - 1, 8) + 0]


def test_fc_parameters_separate_with_a_constant() -> None:
    params = (512 * floordiv(H, 32) * floordiv(W, 32) + 1) * 4096
    c, factors, k = separate(params)  # type: ignore[misc]
    assert c * factors[0] * factors[1] + k == params
    assert k == 4096


def test_a_sum_of_different_products_does_not_separate() -> None:
    total = ceildiv(H, 2) * ceildiv(W, 2) + ceildiv(H, 4) * ceildiv(W, 4)
    assert isinstance(total, Formula)
    assert separate(total) is None


def test_linearize_drops_the_floors() -> None:
    assert linearize(9408 * ceildiv(H, 2) * ceildiv(W, 2)) == 2352 * H * W
    assert linearize(floordiv(H - 1, 2)) == H / 2 - 1
    assert linearize(7) == 7
