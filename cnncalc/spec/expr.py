"""Safe arithmetic over a block's arguments, e.g. ``filters = "width * 4"``.

Architecture files come from anyone, so an expression is never handed to ``eval``: it is
parsed with :mod:`ast` and walked by hand over a small whitelist, with bounds on text
length, tree size and integer magnitude so a hostile file cannot burn CPU or memory.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping

from cnncalc.errors import CnnCalcError

# Limits: generous for real layer arithmetic, tiny next to what could hurt.
MAX_LENGTH = 500
MAX_NODES = 200
MAX_MAGNITUDE = 10**40
_MAGNITUDE_TEXT = "10**40"

_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)
_OPERATORS: dict[type[ast.AST], str] = {
    ast.Pow: "**",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
    ast.Not: "not",
}
_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Call: "calls are",
    ast.Attribute: "attribute access is",
    ast.Subscript: "indexing is",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.IfExp: "conditional expressions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and' and 'or' are",
    ast.NamedExpr: "assignments (:=) are",
    ast.JoinedStr: "f-strings are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Set: "sets are",
    ast.Dict: "dicts are",
}
_KINDS: dict[type, str] = {
    bool: "a boolean",
    float: "a decimal number",
    complex: "a complex number",
    str: "a string",
    bytes: "bytes",
}


def _flat(text: str, limit: int = 80) -> str:
    """User text on one line, without control characters, cut short to not flood the report."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _quote(text: str) -> str:
    return f"'{_flat(text)}'"


def _checked(value: int, source: str) -> int:
    """Refuse values past the bound before they feed a bigger (slower) operation."""
    if abs(value) > MAX_MAGNITUDE:
        raise CnnCalcError(f"value too large: {_quote(source)} (at most {_MAGNITUDE_TEXT})")
    return value


def _name(node: ast.Name, text: str, names: Mapping[str, int | str]) -> int:
    """Look up an argument that must be a number."""
    if node.id not in names:
        known = ", ".join(sorted(names)) if names else "(none)"
        message = f"unknown name '{node.id}' in {_quote(text)}; the block's arguments are: {known}"
        close = difflib.get_close_matches(node.id, list(names), n=1)
        raise CnnCalcError(message + (f"; did you mean '{close[0]}'?" if close else ""))
    value = names[node.id]
    if isinstance(value, str):
        raise CnnCalcError(f"argument '{node.id}' is the word '{value}', not a number")
    if isinstance(value, bool) or not isinstance(value, int):
        raise CnnCalcError(f"argument '{node.id}' is {value!r}, not a whole number")
    return _checked(value, node.id)


def _literal(node: ast.Constant, source: str) -> int:
    """Accept whole-number literals only: no bools, floats or strings."""
    value = node.value
    if isinstance(value, int) and not isinstance(value, bool):
        return _checked(value, source)
    shown = _flat(source) if isinstance(value, str | bytes) else _quote(source)
    kind = f" {_KINDS[type(value)]}," if type(value) in _KINDS else ""
    raise CnnCalcError(f"{shown} is{kind} not a whole number; use integers only")


def _refuse(node: ast.AST, source: str) -> CnnCalcError:
    """The error for a node outside the whitelist, naming what was found."""
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        if isinstance(node.op, ast.Div):
            return CnnCalcError("'/' is not allowed; use // for integer division")
        symbol = _OPERATORS.get(type(node.op), type(node.op).__name__)
        return CnnCalcError(
            f"'{symbol}' is not allowed in an expression; use + - * // and parentheses"
        )
    what = _CONSTRUCTS.get(type(node), f"{type(node).__name__} is")
    return CnnCalcError(f"{what} not allowed in an expression: {_quote(source)}")


def evaluate(text: str, names: Mapping[str, int | str]) -> int | str:
    """Value of a block-argument expression.

    A text that is exactly an argument's name gives that argument's value as is (it may
    be a word such as ``"same"``). Anything else is integer arithmetic with ``+ - * //``,
    unary ``-``/``+`` and parentheses over int literals and int-valued arguments.
    ``//`` is Python's floor division, so ``-7 // 2 == -4``.  The tree is walked with an
    explicit stack rather than recursion, so nesting depth cannot exhaust the C stack.
    Raises CnnCalcError with a one-line message for anything else.
    """
    if len(text) > MAX_LENGTH:
        raise CnnCalcError(f"expression is too long: {len(text)} characters (at most {MAX_LENGTH})")
    stripped = text.strip()
    if stripped in names:
        return names[stripped]
    if not stripped:
        raise CnnCalcError("cannot read '' as an expression: it is empty; expected e.g. 'k * 2'")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise CnnCalcError(f"cannot read {_quote(stripped)} as an expression: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise CnnCalcError(
            f"cannot read {_quote(stripped)} as an expression: it is nested too deeply"
        ) from None
    for count, _ in enumerate(ast.walk(tree), start=1):
        if count > MAX_NODES:
            raise CnnCalcError(
                f"expression is too complex: {_quote(stripped)} has more than {MAX_NODES} parts"
            )

    def source(node: ast.AST) -> str:
        return ast.get_source_segment(stripped, node) or ast.unparse(node)

    # Post-order walk: a node is pushed once to expand its operands, once more to combine.
    stack: list[tuple[ast.expr, bool]] = [(tree.body, False)]
    values: list[int] = []
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
            if not ready:
                stack += [(node, True), (node.right, False), (node.left, False)]
                continue
            right, left = values.pop(), values.pop()
            if isinstance(node.op, ast.Add):
                result = left + right
            elif isinstance(node.op, ast.Sub):
                result = left - right
            elif isinstance(node.op, ast.Mult):
                result = left * right
            elif right == 0:
                raise CnnCalcError(f"division by zero in {_quote(stripped)}")
            else:
                result = left // right
            values.append(_checked(result, source(node)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            if not ready:
                stack += [(node, True), (node.operand, False)]
                continue
            operand = values.pop()
            values.append(-operand if isinstance(node.op, ast.USub) else operand)
        elif isinstance(node, ast.Constant):
            values.append(_literal(node, source(node)))
        elif isinstance(node, ast.Name):
            values.append(_name(node, stripped, names))
        else:
            raise _refuse(node, source(node))
    return values.pop()
