"""Formulas as text: readable for tables, human-rounded, and sympy syntax that sympy reads back."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.symbolic.bounds import extreme
from cnncalc.symbolic.formula import Formula, ceildiv, evaluate, floordiv, mod
from cnncalc.symbolic.substitute import linearize
from cnncalc.symbolic.text import decimal, decimal_coefficient, human, readable, sympy_text
from conftest import examples

H = Formula.symbol("H")
W = Formula.symbol("W")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (floordiv(H + 6 - 7, 2) + 1, "⌈H/2⌉"),  # 7x7 stride 2 padding 3
        (floordiv(H - 3, 2) + 1, "⌊(H − 1)/2⌋"),  # 3x3 stride 2 valid
        (floordiv(H - 4, 2), "⌊H/2⌋ − 2"),
        (ceildiv(H, 32), "⌈H/32⌉"),
        (2 * floordiv(H, 2) + 3, "2·⌊H/2⌋ + 3"),
        (floordiv(3 * floordiv(H, 2) + 1, 4), "⌊(3·⌊H/2⌋ + 1)/4⌋"),
        (9408 * ceildiv(H, 2) * ceildiv(W, 2), "9408·⌈H/2⌉·⌈W/2⌉"),
        (32 * floordiv(H - 1, 8) * floordiv(W - 1, 8), "32·⌊(H − 1)/8⌋·⌊(W − 1)/8⌋"),
        ((512 * floordiv(H, 32) * floordiv(W, 32) + 1) * 10, "5120·⌊H/32⌋·⌊W/32⌋ + 10"),
        ((H - 1) / 2, "(H − 1)/2"),
        (H / 2, "H/2"),
        (H * H * 3 - 1, "3·H² − 1"),
        (extreme(mod(H, 4), 2, is_max=False), "min(2, H mod 4)"),
        (mod(-H, 2) + 1, "(−H) mod 2 + 1"),
        (ceildiv(H, 2) - floordiv(H, 2), "H mod 2"),  # "same" padding of a stride-2 conv
        (3 * mod(H + 1, 5), "3·((H + 1) mod 5)"),
    ],
)
def test_readable(value: Any, text: str) -> None:
    assert readable(value) == text
    assert str(value) == text


def test_human_rounds_coefficients_and_factors_products() -> None:
    macs = linearize(18432 * floordiv(H - 1, 8) * floordiv(W - 1, 8))
    assert human(macs) == "288·(H − 8)·(W − 8)"
    assert human(linearize(9408 * ceildiv(H, 2) * ceildiv(W, 2) + 2048000)) == (
        "2.35 k·H·W + 2.05 M"
    )
    assert human(H * W / 2) == "0.5·H·W"


def test_decimal_coefficients_are_exact() -> None:
    assert decimal(H * W * Fraction(163, 2) + 2048000) == "81.5·H·W + 2,048,000"
    assert decimal(H / 3) == "1/3·H"
    assert decimal_coefficient(Fraction(7, 8)) == "0.875"
    assert decimal_coefficient(Fraction(-5, 4)) == "-1.25"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (ceildiv(H, 2), "ceiling(H/2)"),
        (floordiv(H - 3, 2) + 1, "floor((H - 1)/2)"),
        (9408 * ceildiv(H, 2) * ceildiv(W, 2), "9408*ceiling(H/2)*ceiling(W/2)"),
        (H * W * Fraction(163, 2) + 2048000, "163*H*W/2 + 2048000"),
        (H * H, "H**2"),
        (mod(-H, 4) + 1, "Mod(-H, 4) + 1"),
    ],
)
def test_sympy_text(value: Any, text: str) -> None:
    assert sympy_text(value) == text


def sympy_value(text: str, env: dict[str, int]) -> Any:
    names = {n: sympy.Symbol(n, integer=True, positive=True) for n in env}
    expr = sympy.sympify(text, locals=names)
    return expr.subs({names[n]: v for n, v in env.items()})


@st.composite
def formula(draw: Any, depth: int = 3) -> Any:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([H, W]))
    a = draw(formula(depth - 1))
    k = draw(st.integers(1, 5))
    c = draw(st.integers(-5, 5))
    op = draw(st.sampled_from(["floor", "ceil", "lin", "times", "half", "mod"]))
    if op == "mod":
        return mod(a * draw(st.sampled_from([1, -1])) + c, k) * draw(st.integers(1, 3))
    if op == "floor":
        return floordiv(a + c, k)
    if op == "ceil":
        return ceildiv(a + c, k)
    if op == "lin":
        return a * k + c
    if op == "half":
        return Fraction(1, 2) * a + Fraction(c, 3)
    return a * draw(formula(depth - 1))


@settings(max_examples=examples(150), deadline=None)
@given(formula(), st.integers(1, 99), st.integers(1, 99))
def test_sympy_reads_back_the_same_value(value: Any, h: int, w: int) -> None:
    env = {"H": h, "W": w}
    assert sympy_value(sympy_text(value), env) == evaluate(value, env)


@settings(max_examples=examples(150), deadline=None)
@given(formula())
def test_readable_text_is_deterministic_and_nonempty(value: Any) -> None:
    assert readable(value) == readable(value) != ""
