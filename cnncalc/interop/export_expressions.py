"""A block layer's key as the Python expression it was written with, over the block's arguments."""

from __future__ import annotations

import ast
from typing import Any

from cnncalc.errors import CnnCalcError


def expression(written: Any, key: str, argnames: dict[str, str], main: str | None) -> str | None:
    """The Python expression a block layer's key was written with, over the block's arguments."""
    if written is None:
        return None
    if isinstance(written, str):
        from cnncalc.spec.shorthand import parse_shorthand

        try:
            entry = parse_shorthand(written)
        except CnnCalcError:
            return None
        if "" in entry and main is not None:
            entry[main] = entry.pop("")
    elif isinstance(written, dict):
        entry = written
    else:
        return None
    if key not in entry:
        return None
    value = entry[key]
    if key == "padding" and value == "same" and "kernel" in entry:
        # odd kernels, stride 1: (F_eff - 1) / 2 on each side; checked against every instance
        k = one_expression(entry["kernel"], argnames)
        d = one_expression(entry.get("dilation", 1), argnames)
        if k is None or d is None:
            return None
        return f"({k} - 1) // 2" if d == "1" else f"{d} * ({k} - 1) // 2"
    if isinstance(value, list):
        items = [one_expression(v, argnames) for v in value]
        if any(i is None for i in items):
            return None
        return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"  # type: ignore[arg-type]
    return one_expression(value, argnames)


def one_expression(value: Any, argnames: dict[str, str]) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    if value in argnames:
        return argnames[value]
    try:
        tree = ast.parse(value, mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in argnames:
                return None
            node.id = argnames[node.id]
        elif not isinstance(
            node,
            (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Constant,
                ast.operator,
                ast.unaryop,
                ast.Load,
            ),
        ):
            return None
    return ast.unparse(tree)
