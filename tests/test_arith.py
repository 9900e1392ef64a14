"""Arithmetic shared by the numeric and the symbolic path."""

from __future__ import annotations

from cnncalc.symbolic import arith
from cnncalc.symbolic.formula import Formula, ceildiv, evaluate, floordiv, mod

H = Formula.symbol("H")


def test_ints_stay_ints() -> None:
    assert arith.floordiv(7, 2) == 3 and arith.ceildiv(7, 2) == 4 and arith.mod(-7, 4) == 1
    assert arith.maximum(3, 5) == 5
    assert arith.smallest([3, 1, 2]) == 1 and arith.largest([3, 1, 2]) == 3
    assert not arith.is_formula(3)


def test_formulas_go_through_the_formula_module() -> None:
    assert arith.floordiv(H, 2) == floordiv(H, 2)
    assert arith.ceildiv(H, 2) == ceildiv(H, 2)
    assert arith.mod(H, 3) == mod(H, 3)
    assert arith.is_formula(H)
    assert arith.maximum(H, 0) == H  # H >= 1 is certain


def test_at_least_is_an_indicator() -> None:
    v = mod(H, 4)
    for bound in range(-1, 6):
        ind = arith.at_least(v, bound, 4)
        for h in range(1, 20):
            got = evaluate(ind, {"H": h}) if isinstance(ind, Formula) else ind
            assert got == (1 if h % 4 >= bound else 0)


def test_sizes_match() -> None:
    assert arith.sizes_match(3, 3) is True and arith.sizes_match(3, 4) is False
    assert arith.sizes_match(ceildiv(H, 2), floordiv(H + 1, 2)) is True
    assert arith.sizes_match(floordiv(H, 2), floordiv(H, 2) + 1) is False
    assert arith.sizes_match(floordiv(H, 2), ceildiv(H, 2)) is None  # equal for even H
    assert arith.shapes_match((H, 3), (H, 3)) is True
    assert arith.shapes_match((H, 3), (H, 4)) is False
    assert arith.shapes_match((H, 3), (H,)) is False


def test_known_below() -> None:
    assert arith.known_below(0, 1)
    assert not arith.known_below(ceildiv(H, 2), 1)
    assert not arith.known_below(floordiv(H, 2), 1)  # depends on H: not known
    assert arith.known_below(floordiv(H, 2) - H, 1)
