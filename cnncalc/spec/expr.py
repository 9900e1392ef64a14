"""Safe arithmetic and conditions over a block's arguments, e.g. ``filters = "width * 4"``.

Architecture files come from anyone, so an expression is never handed to ``eval``: it is
parsed with :mod:`ast` and walked by hand over a small whitelist, with bounds on text
length, tree size and integer magnitude so a hostile file cannot burn CPU or memory.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping
from typing import Any

from cnncalc.errors import CnnCalcError

# Limits: generous for real layer arithmetic, tiny next to what could hurt. The node bound
# also bounds the depth of the (recursive) walk: at most MAX_NODES frames.
MAX_LENGTH = 500
MAX_NODES = 200
MAX_MAGNITUDE = 10**40
_MAGNITUDE_TEXT = "10**40"

Value = int | bool | tuple[Any, ...]

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
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_COMPARE: dict[type[ast.AST], Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b),
    ast.NotEq: lambda a, b: bool(a != b),
    ast.Lt: lambda a, b: bool(a < b),
    ast.LtE: lambda a, b: bool(a <= b),
    ast.Gt: lambda a, b: bool(a > b),
    ast.GtE: lambda a, b: bool(a >= b),
}
_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Call: "calls are",
    ast.Attribute: "attribute access is",
    ast.Subscript: "indexing is",
    ast.Slice: "slices are",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.IfExp: "conditional expressions are",
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
FUNCTIONS = ("max", "min", "make_divisible")
_USE = "use + - * //, parentheses, max, min and make_divisible"


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


def make_divisible(value: int, divisor: int, least: int | None = None) -> int:
    """torchvision's ``_make_divisible`` (MobileNet's channel rounding) in integers.

    Round to the nearest multiple of ``divisor`` (halves up), at least ``least`` (default
    ``divisor``), and one step up again if that lost more than 10 % of ``value``.
    """
    if divisor < 1:
        raise CnnCalcError(f"make_divisible needs a positive divisor, got {divisor}")
    if value < 0:
        raise CnnCalcError(f"make_divisible needs a value of at least 0, got {value}")
    rounded = max(divisor if least is None else least, (value + divisor // 2) // divisor * divisor)
    return rounded + divisor if 10 * rounded < 9 * value else rounded


class _Walk:
    """One expression's evaluation: the source text for messages and the names it reads."""

    def __init__(self, text: str, names: Mapping[str, Any]) -> None:
        self.text = text
        self.names = names

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.unparse(node)

    # ----- typed views of a value

    def number(self, node: ast.expr) -> int:
        value = self.value(node)
        if isinstance(value, bool):
            if isinstance(node, ast.Constant):
                raise CnnCalcError(
                    f"{_quote(self.source(node))} is a boolean, not a whole number; "
                    "use integers only"
                )
            if isinstance(node, ast.Name):
                raise CnnCalcError(f"argument '{node.id}' is {value!r}, not a whole number")
            raise CnnCalcError(
                f"{_quote(self.source(node))} is a condition (true or false), not a number"
            )
        if isinstance(value, tuple):
            raise CnnCalcError(
                f"{_quote(self.source(node))} is a list of sizes, not a number; "
                "pick one, e.g. in_size[0]"
            )
        return value

    def condition(self, node: ast.expr) -> bool:
        value = self.value(node)
        if not isinstance(value, bool):
            raise CnnCalcError(
                f"{_quote(self.source(node))} is "
                + ("a list of sizes" if isinstance(value, tuple) else "a number")
                + ", not a condition; expected true or false, e.g. 'stride == 1'"
            )
        return value

    # ----- the walk

    def value(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            return self.literal(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return not self.condition(node.operand)
            if isinstance(node.op, ast.USub):
                return -self.number(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.number(node.operand)
        if isinstance(node, ast.BoolOp):
            # short-circuit, as Python does: 'x != 0 and y // x > 1' never divides by zero
            stop = isinstance(node.op, ast.Or)
            for operand in node.values:
                if self.condition(operand) is stop:
                    return stop
            return not stop
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.index(node)
        raise self.refuse(node)

    def literal(self, node: ast.Constant) -> Value:
        """Whole numbers and True/False only: no floats or strings."""
        value = node.value
        if isinstance(value, bool):
            return value
        if isinstance(value, int):  # (the source text only for the message: it costs a scan)
            return value if abs(value) <= MAX_MAGNITUDE else _checked(value, self.source(node))
        source = self.source(node)
        shown = _flat(source) if isinstance(value, str | bytes) else _quote(source)
        kind = f" {_KINDS[type(value)]}," if type(value) in _KINDS else ""
        raise CnnCalcError(f"{shown} is{kind} not a whole number; use integers only")

    def name(self, node: ast.Name) -> Value:
        """An argument: a whole number, true/false, or the input's sizes (``in_size``)."""
        names = self.names
        if node.id not in names:
            known = ", ".join(sorted(names)) if names else "(none)"
            message = (
                f"unknown name '{node.id}' in {_quote(self.text)}; "
                f"the block's arguments are: {known}"
            )
            close = difflib.get_close_matches(node.id, list(names), n=1)
            raise CnnCalcError(message + (f"; did you mean '{close[0]}'?" if close else ""))
        value = names[node.id]
        if isinstance(value, str):
            raise CnnCalcError(f"argument '{node.id}' is the word '{value}', not a number")
        if isinstance(value, bool | tuple):
            return value
        if not isinstance(value, int):
            raise CnnCalcError(
                f"'{node.id}' is {_flat(str(value))}, not a whole number"
                + (
                    "; give the input's size a value with --set"
                    if node.id.startswith("in_")
                    else ""
                )
            )
        return _checked(value, node.id)

    def binary(self, node: ast.BinOp) -> int:
        op = node.op
        if isinstance(op, ast.Div):
            raise CnnCalcError("'/' is not allowed; use // for integer division")
        if not isinstance(op, ast.Add | ast.Sub | ast.Mult | ast.FloorDiv):
            raise self.refuse(node)
        left, right = self.number(node.left), self.number(node.right)
        if isinstance(op, ast.Add):
            result = left + right
        elif isinstance(op, ast.Sub):
            result = left - right
        elif isinstance(op, ast.Mult):
            result = left * right
        elif right == 0:
            raise CnnCalcError(f"division by zero in {_quote(self.text)}")
        else:
            result = left // right
        return result if abs(result) <= MAX_MAGNITUDE else _checked(result, self.source(node))

    def compare(self, node: ast.Compare) -> bool:
        """``a == b``, ``1 <= k < 8``: whole numbers, or two conditions with == and !=."""
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise self.refuse(node, _OPERATORS.get(type(op)))
        left: Value = self.value(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.value(right_node)
            for side, n in ((left, node.left), (right, right_node)):
                if isinstance(side, tuple):
                    self.number(n)  # raises: a list of sizes is not compared
            if isinstance(left, bool) != isinstance(right, bool):
                raise CnnCalcError(
                    f"{_quote(self.source(node))} compares a condition with a number"
                )
            if isinstance(left, bool) and not isinstance(op, ast.Eq | ast.NotEq):
                raise CnnCalcError(
                    f"{_quote(self.source(node))}: conditions compare only with == and !="
                )
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def call(self, node: ast.Call) -> int:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.refuse(node)
        if func.id not in FUNCTIONS:
            raise CnnCalcError(
                f"unknown function '{func.id}' in {_quote(self.source(node))}; "
                "expected max, min or make_divisible"
            )
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise CnnCalcError(
                f"{func.id} takes plain values in order, without names or *: "
                f"{_quote(self.source(node))}"
            )
        args = [self.number(a) for a in node.args]
        if func.id == "make_divisible":
            if len(args) not in (2, 3):
                raise CnnCalcError(
                    f"make_divisible takes 2 or 3 values (value, divisor, least), got "
                    f"{len(args)} in {_quote(self.source(node))}"
                )
            return make_divisible(*args)
        if len(args) < 2:
            raise CnnCalcError(
                f"{func.id} needs at least 2 values, got {len(args)} in {_quote(self.source(node))}"
            )
        return max(args) if func.id == "max" else min(args)

    def index(self, node: ast.Subscript) -> Value:
        """``in_size[0]``: one of the input's spatial sizes (``-1`` is the last)."""
        base = node.value
        values = self.value(base) if isinstance(base, ast.Name) else None
        if not isinstance(values, tuple):
            raise CnnCalcError(
                f"{_quote(self.source(base))} is not a list of sizes; only in_size can be "
                f"indexed: {_quote(self.source(node))}"
            )
        if isinstance(node.slice, ast.Slice):
            raise self.refuse(node.slice)
        i = self.number(node.slice)
        if not -len(values) <= i < len(values):
            raise CnnCalcError(
                f"{_quote(self.source(node))}: index {i} is out of range; the input has "
                f"{len(values)} spatial size{'' if len(values) == 1 else 's'}"
            )
        value = values[i]
        if isinstance(value, bool) or not isinstance(value, int):
            raise CnnCalcError(
                f"{_quote(self.source(node))} is {_flat(str(value))}, not a whole number; "
                "give the input's size a value with --set"
            )
        return value

    def refuse(self, node: ast.AST, symbol: str | None = None) -> CnnCalcError:
        """The error for a node outside the whitelist, naming what was found."""
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            symbol = _OPERATORS.get(type(node.op), type(node.op).__name__)
        if isinstance(node, ast.Compare) and symbol is not None:
            return CnnCalcError(
                f"'{symbol}' is not allowed in a condition; use == != < <= > >=, and, or, not"
            )
        if symbol is not None:
            return CnnCalcError(f"'{symbol}' is not allowed in an expression; {_USE}")
        what = _CONSTRUCTS.get(type(node), f"{type(node).__name__} is")
        return CnnCalcError(f"{what} not allowed in an expression: {_quote(self.source(node))}")


_PARSED: dict[str, tuple[str, ast.expr]] = {}  # text → _parse(text): the trees are only read
_PARSED_MAX = 4096


def _parse(text: str) -> tuple[str, ast.expr]:
    """The stripped text and its tree, within the length and size bounds.

    A block's ``when`` and its expressions are read again for every instance of the block,
    so each text is parsed once (a bounded table; an error is not kept).
    """
    found = _PARSED.get(text)
    if found is None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        found = _PARSED[text] = _parse_once(text)
    return found


def _parse_once(text: str) -> tuple[str, ast.expr]:
    if len(text) > MAX_LENGTH:
        raise CnnCalcError(f"expression is too long: {len(text)} characters (at most {MAX_LENGTH})")
    stripped = text.strip()
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
    return stripped, tree.body


def evaluate(text: str, names: Mapping[str, Any]) -> Any:
    """Value of a block-argument expression where a key takes a number.

    A text that is exactly an argument's name gives that argument's value as is (it may
    be a word such as ``"same"``). Anything else is integer arithmetic with ``+ - * //``,
    unary ``-``/``+``, parentheses, ``max``, ``min`` and ``make_divisible`` over int
    literals, int-valued arguments and ``in_size[i]``. ``//`` is Python's floor division,
    so ``-7 // 2 == -4``. Raises CnnCalcError with a one-line message for anything else.
    """
    stripped = text.strip()
    if len(text) <= MAX_LENGTH and stripped in names:
        return names[stripped]
    stripped, tree = _parse(text)
    return _Walk(stripped, names).number(tree)


def condition(text: str, names: Mapping[str, Any]) -> bool:
    """Value of a ``when`` condition: comparisons of whole numbers joined by and/or/not."""
    stripped, tree = _parse(text)
    return _Walk(stripped, names).condition(tree)
