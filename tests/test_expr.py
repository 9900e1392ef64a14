"""Tests for cnncalc.spec.expr: exact results, exact refusals, and hostile input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.errors import CnnCalcError
from cnncalc.spec.expr import MAX_LENGTH, MAX_NODES, condition, evaluate, make_divisible
from conftest import examples

USE = "use + - * //, parentheses, max, min and make_divisible"
NAMES: dict[str, int | str] = {"width": 16, "stride": 2, "k": 3, "neg": -7, "pad": "same"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4", 4),
        ("  4  ", 4),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("2 * 3 // 4", 1),
        ("-3", -3),
        ("+3", 3),
        ("--3", 3),
        ("-3 * -2", 6),
        ("-(2 + 3)", -5),
        ("-7 // 2", -4),
        ("7 // -2", -4),
        ("-7 // -2", 3),
        ("neg // 2", -4),
        ("width * 4", 64),
        ("stride", 2),
        (" stride ", 2),
        ("k // 2 + 1", 2),
        ("(width + k) * stride - 1", 37),
        ("((((k))))", 3),
    ],
)
def test_valid_expressions(text: str, expected: int) -> None:
    assert evaluate(text, NAMES) == expected


def test_bare_name_bound_to_a_word_returns_the_word() -> None:
    assert evaluate("pad", NAMES) == "same"
    assert evaluate("  pad\n", NAMES) == "same"


def test_bound_values_are_allowed() -> None:
    assert evaluate("1" + "0" * 40, {}) == 10**40
    assert evaluate("-" + "1" + "0" * 40, {}) == -(10**40)
    assert evaluate("x * x", {"x": 10**20}) == 10**40


def _message(text: str, names: dict[str, int | str] | None = None) -> str:
    with pytest.raises(CnnCalcError) as info:
        evaluate(text, NAMES if names is None else names)
    return info.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2 ** 3",
            f"'**' is not allowed in an expression; {USE}",
        ),
        (
            "7 % 2",
            f"'%' is not allowed in an expression; {USE}",
        ),
        (
            "1 << 2",
            f"'<<' is not allowed in an expression; {USE}",
        ),
        (
            "1 & 2",
            f"'&' is not allowed in an expression; {USE}",
        ),
        (
            "~1",
            f"'~' is not allowed in an expression; {USE}",
        ),
        ("not 1", "'1' is a number, not a condition; expected true or false, e.g. 'stride == 1'"),
        ("width / 2", "'/' is not allowed; use // for integer division"),
        ("f(1)", "unknown function 'f' in 'f(1)'; expected max, min or make_divisible"),
        ("k.f(1)", "calls are not allowed in an expression: 'k.f(1)'"),
        ("width.real", "attribute access is not allowed in an expression: 'width.real'"),
        ("width[0]", "'width' is not a list of sizes; only in_size can be indexed: 'width[0]'"),
        ("lambda: 1", "lambdas are not allowed in an expression: 'lambda: 1'"),
        ("[x for x in ()]", "comprehensions are not allowed in an expression: '[x for x in ()]'"),
        (
            "k if k else 1",
            "conditional expressions are not allowed in an expression: 'k if k else 1'",
        ),
        ("k < 1", "'k < 1' is a condition (true or false), not a number"),
        ("k and 1", "'k' is a number, not a condition; expected true or false, e.g. 'stride == 1'"),
        ("(x := 1)", "assignments (:=) are not allowed in an expression: 'x := 1'"),
        ('f"{k}"', "f-strings are not allowed in an expression: 'f\"{k}\"'"),
        ("k, k", "tuples are not allowed in an expression: 'k, k'"),
        ("[k]", "lists are not allowed in an expression: '[k]'"),
        ("True + 1", "'True' is a boolean, not a whole number; use integers only"),
        ("1.5 * 2", "'1.5' is a decimal number, not a whole number; use integers only"),
        ("1j", "'1j' is a complex number, not a whole number; use integers only"),
        ("await k", "Await is not allowed in an expression: 'await k'"),
        ("'a' * 3", "'a' is a string, not a whole number; use integers only"),
        ("None", "'None' is not a whole number; use integers only"),
        ("pad * 2", "argument 'pad' is the word 'same', not a number"),
        ("k // 0", "division by zero in 'k // 0'"),
        ("k // (k - 3)", "division by zero in 'k // (k - 3)'"),
        ("a +", "cannot read 'a +' as an expression: invalid syntax"),
        ("", "cannot read '' as an expression: it is empty; expected e.g. 'k * 2'"),
        ("   ", "cannot read '' as an expression: it is empty; expected e.g. 'k * 2'"),
        ("1" + "0" * 41, "value too large: '1" + "0" * 41 + "' (at most 10**40)"),
        ("x * 10", "value too large: 'x * 10' (at most 10**40)"),
        ("x + 1", "value too large: 'x + 1' (at most 10**40)"),
        ("huge - 1", "value too large: 'huge' (at most 10**40)"),
        ("flag + 1", "argument 'flag' is True, not a whole number"),
    ],
)
def test_rejections_have_exact_messages(text: str, message: str) -> None:
    names: dict[str, int | str] = {**NAMES, "x": 10**40, "huge": 10**41, "flag": True}
    assert _message(text, names) == message


def test_unknown_name_suggests_a_close_match() -> None:
    assert _message("widht * 2") == (
        "unknown name 'widht' in 'widht * 2'; the block's arguments are: "
        "k, neg, pad, stride, width; did you mean 'width'?"
    )


def test_unknown_name_without_a_close_match() -> None:
    assert _message("depth * 2", {"filters": 8, "stride": 1}) == (
        "unknown name 'depth' in 'depth * 2'; the block's arguments are: filters, stride"
    )
    assert _message("depth", {}) == (
        "unknown name 'depth' in 'depth'; the block's arguments are: (none)"
    )


def test_length_bound() -> None:
    assert _message("1" * 5000) == "expression is too long: 5000 characters (at most 500)"
    assert _message("1 + " * 2500) == "expression is too long: 10000 characters (at most 500)"
    assert evaluate(" " * (MAX_LENGTH - 1) + "1", {}) == 1
    assert _message(" " * MAX_LENGTH + "1") == (
        "expression is too long: 501 characters (at most 500)"
    )


def test_node_bound() -> None:
    text = " + ".join(["k"] * 60)
    assert len(text) <= MAX_LENGTH
    assert _message(text) == (
        f"expression is too complex: '{text[:77]}...' has more than {MAX_NODES} parts"
    )
    assert evaluate(" + ".join(["k"] * 40), NAMES) == 120


def test_deep_nesting_is_clean() -> None:
    assert evaluate("(" * 200 + "1" + ")" * 200, {}) == 1
    assert _message("(" * 240 + "1" + ")" * 240).startswith("cannot read '((((")
    assert _message("-" * 499 + "1").startswith("expression is too complex: ")


@pytest.mark.parametrize("error", [RecursionError, MemoryError, ValueError])
def test_parser_exhaustion_becomes_a_clean_error(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise error("boom")

    monkeypatch.setattr("ast.parse", exhausted)
    assert _message("k + 1") == "cannot read 'k + 1' as an expression: it is nested too deeply"


def test_control_characters_are_not_echoed() -> None:
    assert _message("f('\x1b[2J')") == (
        "unknown function 'f' in 'f(' [2J')'; expected max, min or make_divisible"
    )
    assert _message("f(\x1b[2J)") == (
        "cannot read 'f( [2J)' as an expression: invalid non-printable character U+001B"
    )
    assert _message("a\x00b").startswith("cannot read 'a b' as an expression: ")


HOSTILE = [
    "__import__('os').system('echo hi')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "[x for x in ()]",
    "a if b else c",
    "'a' * 10**9",
    "9**9**9",
    "1 << 1000000",
    "(" * 1000 + "1" + ")" * 1000,
    "(" * 249 + "1" + ")" * 249,
    "9" * 5000,
    "1" * 10_000,
    "x" * 10_000,
    'f"{x}"',
    "a; b",
    "x := 1",
    "(x := 1)",
    "True + 1",
    "1.5 * 2",
    "-" * 499 + "1",
    "~" * 499 + "1",
    "not " * 120 + "1",
    "[" * 240 + "]" * 240,
    "a\x00b",
    "yield 1",
    "await x",
    "*a",
    "{**a}",
    "b'1'",
    "1j",
    "0x" + "f" * 400,
    "99999999999999999999999999999999999999999 * 1",
    "k" + " * k" * 99,
    "k" + " * k" * 45,
    "\x1b[31m + 1",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_payloads_only_raise_cnncalc_error(text: str) -> None:
    with pytest.raises(CnnCalcError) as info:
        evaluate(text, {"a": 1, "b": 2, "c": 3, "k": 10})
    assert "\n" not in info.value.message
    assert len(info.value.message) < 300


# Property: evaluate agrees with Python's integer arithmetic on random trees.


@dataclass(frozen=True)
class Op:
    symbol: str
    left: Tree
    right: Tree


Tree = int | str | Op
PROPERTY_NAMES: dict[str, int | str] = {"a": 7, "b": -3, "c": 0, "width": 64}


def reference(tree: Tree) -> int:
    """Python's own arithmetic on the tree, without going through text or eval."""
    if isinstance(tree, int):
        return tree
    if isinstance(tree, str):
        value = PROPERTY_NAMES[tree]
        assert isinstance(value, int)
        return value
    left, right = reference(tree.left), reference(tree.right)
    if tree.symbol == "+":
        return left + right
    if tree.symbol == "-":
        return left - right
    if tree.symbol == "*":
        return left * right
    return left // right  # ZeroDivisionError is the caller's signal to skip


def render(tree: Tree) -> str:
    if isinstance(tree, int):
        return f"({tree})" if tree < 0 else str(tree)
    if isinstance(tree, str):
        return tree
    return f"({render(tree.left)} {tree.symbol} {render(tree.right)})"


trees: st.SearchStrategy[Tree] = st.recursive(
    st.integers(-50, 50) | st.sampled_from(sorted(PROPERTY_NAMES)),
    lambda sub: st.builds(Op, st.sampled_from(["+", "-", "*", "//"]), sub, sub),
    max_leaves=12,
)


@settings(max_examples=examples(300), deadline=None)
@given(trees)
def test_evaluate_matches_python_arithmetic(tree: Tree) -> None:
    text = render(tree)
    try:
        expected = reference(tree)
    except ZeroDivisionError:
        with pytest.raises(CnnCalcError, match="^division by zero in "):
            evaluate(text, PROPERTY_NAMES)
        return
    assert evaluate(text, PROPERTY_NAMES) == expected


# ------------------------------------------------- functions, the input's shape, conditions

SHAPE: dict[str, Any] = {**NAMES, "in_channels": 24, "in_size": (56, 28), "se": True}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max(1, in_channels // 4)", 6),
        ("max(1, 3 // 4)", 1),
        ("min(k, stride, 7)", 2),
        ("make_divisible(in_channels * 6 // 4, 8)", 40),  # 36 rounds up to 40
        ("make_divisible(20, 8)", 24),  # halves round up
        ("make_divisible(3, 8)", 8),  # at least the divisor
        ("make_divisible(0, 8, 1)", 1),  # ... or the least given
        ("make_divisible(11, 8, 1)", 16),  # 8 would lose more than 10 %
        ("in_size[0] // stride", 28),
        ("in_size[-1]", 28),
        ("in_size[k - 2] + in_size[0]", 84),
    ],
)
def test_functions_and_the_input_shape(text: str, expected: int) -> None:
    assert evaluate(text, SHAPE) == expected


def torchvision_make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision.models._utils._make_divisible as published (floats and all)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


@settings(max_examples=300)
@given(
    st.integers(0, 10**6),
    st.integers(1, 64),
    st.one_of(st.none(), st.integers(1, 64)),
)
def test_make_divisible_is_torchvisions(value: int, divisor: int, least: int | None) -> None:
    assert make_divisible(value, divisor, least) == torchvision_make_divisible(
        value, divisor, least
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stride == 2", True),
        ("stride == 1 and in_channels == 24", False),
        ("stride != 1 or in_channels != 24", True),
        ("not se", False),
        ("se", True),
        ("se == True", True),
        ("1 <= k < 3", False),
        ("1 <= stride < 3", True),
        ("in_size[0] > in_size[1] and (se or k > 10)", True),
        ("k == 0 or width // k > 4", True),  # short-circuit: never divides by zero
        ("k != 3 and width // (k - 3) > 4", False),
        ("True", True),
    ],
)
def test_conditions(text: str, expected: bool) -> None:
    assert condition(text, SHAPE) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "stride",
            "'stride' is a number, not a condition; expected true or false, e.g. 'stride == 1'",
        ),
        (
            "k + 1",
            "'k + 1' is a number, not a condition; expected true or false, e.g. 'stride == 1'",
        ),
        (
            "in_size",
            "'in_size' is a list of sizes, not a condition; expected true or false, "
            "e.g. 'stride == 1'",
        ),
        ("se == 1", "'se == 1' compares a condition with a number"),
        ("se < True", "'se < True': conditions compare only with == and !="),
        ("k is 3", "'is' is not allowed in a condition; use == != < <= > >=, and, or, not"),
        ("k in in_size", "'in' is not allowed in a condition; use == != < <= > >=, and, or, not"),
        ("pad == 1", "argument 'pad' is the word 'same', not a number"),
    ],
)
def test_condition_rejections(text: str, message: str) -> None:
    with pytest.raises(CnnCalcError) as info:
        condition(text, SHAPE)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("in_size[2]", "'in_size[2]': index 2 is out of range; the input has 2 spatial sizes"),
        ("in_size[0:1]", "slices are not allowed in an expression: '0:1'"),
        ("in_size + 1", "'in_size' is a list of sizes, not a number; pick one, e.g. in_size[0]"),
        ("max(1)", "max needs at least 2 values, got 1 in 'max(1)'"),
        ("max(k=1)", "max takes plain values in order, without names or *: 'max(k=1)'"),
        ("max(*in_size)", "max takes plain values in order, without names or *: 'max(*in_size)'"),
        (
            "make_divisible(8)",
            "make_divisible takes 2 or 3 values (value, divisor, least), got 1 in "
            "'make_divisible(8)'",
        ),
        ("make_divisible(8, 0)", "make_divisible needs a positive divisor, got 0"),
        ("make_divisible(-8, 8)", "make_divisible needs a value of at least 0, got -8"),
        ("max(1, se)", "argument 'se' is True, not a whole number"),
        ("max(1, k == 3)", "'k == 3' is a condition (true or false), not a number"),
        (
            "eval('1')",
            "unknown function 'eval' in 'eval('1')'; expected max, min or make_divisible",
        ),
    ],
)
def test_function_and_shape_rejections(text: str, message: str) -> None:
    assert _message(text, SHAPE) == message


def test_symbolic_input_size_is_refused_with_a_hint() -> None:
    assert _message("in_size[0] // 2", {"in_size": ("H", 8)}) == (
        "'in_size[0]' is H, not a whole number; give the input's size a value with --set"
    )
