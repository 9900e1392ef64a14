"""The one-line shorthand: ``"conv 64 kernel=3 padding=same"`` and ``224x224x3``."""

from __future__ import annotations

import re
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.layers.values import MAX_INT


def split_tokens(text: str) -> list[str]:
    """Split on whitespace, but keep a bracketed list like ``[3, 3]`` in one token."""
    if "[" not in text:
        return text.split()
    tokens: list[str] = []
    depth, start = 0, -1  # start: where the current token began, -1 between tokens
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        if ch.isspace() and depth == 0:
            if start >= 0:
                tokens.append(text[start:i])
                start = -1
        elif start < 0:
            start = i
    if start >= 0:
        tokens.append(text[start:])
    return tokens


def shorthand_value(text: str) -> Any:
    """A shorthand value: 64, -1, true, 3x3, [3,3], [[1,1],[0,1]], same, "quoted"."""
    if re.fullmatch(r"-?\d+", text):
        if len(text) > 40:
            raise CnnCalcError(f"{text[:20]}… is too large; expected at most 2**64")
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"\d+(x\d+)+", text):
        return [int(part) for part in text.split("x")]
    if text.startswith("["):
        inner = text[1:-1] if text.endswith("]") else None
        if inner is not None and "[" not in inner and "]" not in inner:  # [3,3] or [a, b]
            return [shorthand_value(item.strip()) for item in inner.split(",") if item.strip()]
        import tomllib  # nested lists only: most runs never need the parser

        try:
            return tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            raise CnnCalcError(
                f"cannot read the list {text}; expected e.g. [3, 3] or [[1, 2], [0, 1]]"
            ) from None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def parse_shorthand(text: str) -> dict[str, Any]:
    """``"conv 64 kernel=3 padding=same"`` → ``{type: conv, filters: 64, kernel: 3, …}``."""
    tokens = split_tokens(text)
    if not tokens:
        raise CnnCalcError('empty layer; expected a type such as "conv 64 kernel=3"')
    entry: dict[str, Any] = {"type": tokens[0]}
    for position, token in enumerate(tokens[1:]):
        if "=" in token:
            name, _, value = token.partition("=")
            if not name:
                raise CnnCalcError(f"'{token}' has no key before '='; expected key=value")
            if name in entry:
                raise CnnCalcError(f"key '{name}' is given twice", key=name)
            entry[name] = shorthand_value(value)
        elif position == 0:
            entry[""] = shorthand_value(token)  # the main key's value, named once the type is known
        else:
            raise CnnCalcError(
                f"'{token}' is not key=value; only the first value after the type may omit its key"
            )
    return entry


def parse_dims(text: str, what: str = "--input") -> list[int | str]:
    """``224x224x3`` → [224, 224, 3]; a part that is not a number stays a symbol name."""
    parts = re.split("[xX×]", text) if text else []  # symbols keep their case: HxWx3
    if not parts or any(not p for p in parts):
        raise CnnCalcError(f"cannot read '{text}'; expected sizes like 224x224x3", key=what)
    out: list[int | str] = []
    for p in parts:
        if p.isdigit():
            if len(p) > 20:  # past 2**64, and int() refuses 4,300 digits with a traceback
                raise CnnCalcError(
                    f"a size of {len(p):,} digits in --input; expected sizes between 1 and 2**64",
                    key=what,
                )
            value = int(p)
            if value < 1 or value > MAX_INT:
                raise CnnCalcError(f"size {p} in '{text}' must be between 1 and 2**64", key=what)
            out.append(value)
        else:
            out.append(p)
    return out
