"""Tests for cnncalc.spec.expr: exact results, exact refusals, and hostile input."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.errors import CnnCalcError
from cnncalc.spec.expr import MAX_LENGTH, MAX_NODES, evaluate
from conftest import examples

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
        ("2 ** 3", "'**' is not allowed in an expression; use + - * // and parentheses"),
        ("7 % 2", "'%' is not allowed in an expression; use + - * // and parentheses"),
        ("1 << 2", "'<<' is not allowed in an expression; use + - * // and parentheses"),
        ("1 & 2", "'&' is not allowed in an expression; use + - * // and parentheses"),
        ("~1", "'~' is not allowed in an expression; use + - * // and parentheses"),
        ("not 1", "'not' is not allowed in an expression; use + - * // and parentheses"),
        ("width / 2", "'/' is not allowed; use // for integer division"),
        ("f(1)", "calls are not allowed in an expression: 'f(1)'"),
        ("width.real", "attribute access is not allowed in an expression: 'width.real'"),
        ("width[0]", "indexing is not allowed in an expression: 'width[0]'"),
        ("lambda: 1", "lambdas are not allowed in an expression: 'lambda: 1'"),
        ("[x for x in ()]", "comprehensions are not allowed in an expression: '[x for x in ()]'"),
        (
            "k if k else 1",
            "conditional expressions are not allowed in an expression: 'k if k else 1'",
        ),
        ("k < 1", "comparisons are not allowed in an expression: 'k < 1'"),
        ("k and 1", "'and' and 'or' are not allowed in an expression: 'k and 1'"),
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
    assert _message("f('\x1b[2J')") == "calls are not allowed in an expression: 'f(' [2J')'"
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
