"""The JSON report written in pieces, as ``json.dumps(doc, indent=2, ensure_ascii=False)`` has it.

The standard library encodes in pure Python whenever it indents, through a chain of
generators that costs about as much as cnncalc's whole analysis of a layer, and
``json.dumps`` joins the text of the whole document in memory first (a 100,000-layer report
is about 90 MB). :func:`write_json` walks the document with an explicit stack (so no
nesting depth reaches the recursion limit), writes a list of plain values with one join,
and writes to ``out`` every few thousand pieces. The text is the same, character for
character: ``tests/test_jsonstream.py`` compares the two on many documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

try:  # the C function json itself uses when it does not escape to ASCII; importing the
    from _json import encode_basestring  # json package would load its decoder as well
except ImportError:  # pragma: no cover - a Python built without the _json accelerator
    from json.encoder import py_encode_basestring as encode_basestring

PIECES = 8192  # pieces of text joined per write
STEP = "  "  # one level of indentation

encode_str = encode_basestring
INFINITY = float("inf")


def write_json(doc: Any, out: TextIO) -> None:
    """Write ``json.dumps(doc, indent=2, ensure_ascii=False)`` and a newline to ``out``."""
    for text in chunks(doc):
        out.write(text)
    out.write("\n")


def scalar(value: Any) -> str | None:
    """A value that is not a list or dict as JSON text, None for a container."""
    kind = type(value)
    if kind is str:
        return str(encode_str(value))
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str(encode_str(value))
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, list | tuple | dict):
        return None
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def number(value: float) -> str:
    if value != value:
        return "NaN"
    if value == INFINITY:
        return "Infinity"
    if value == -INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def key_text(key: Any) -> str:
    """A dict key as json writes it: strings as they are, numbers and constants as text."""
    if isinstance(key, str):
        return str(encode_str(key))
    if isinstance(key, float):
        return str(encode_str(number(key)))
    if key is True or key is False or key is None:
        return '"' + {True: "true", False: "false", None: "null"}[key] + '"'
    if isinstance(key, int):
        return '"' + int.__repr__(key) + '"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def chunks(doc: Any, size: int = PIECES) -> Iterator[str]:
    """The document's text, in chunks of about ``size`` pieces."""
    text = scalar(doc)
    if text is not None:
        yield text
        return
    parts: list[str] = []
    append = parts.append
    keys: dict[str, str] = {}  # a str key's text and separator, worked out once
    open_ids: set[int] = set()  # containers being written: one met again is a cycle
    # A frame per open container: its remaining items, whether it is a dict, the
    # indentation of its items, and the separator before its next item.
    stack: list[list[Any]] = []
    value = doc
    while True:
        # Open ``value``, a container: write it whole when it is empty or holds only plain
        # values, else push a frame for its items.
        if id(value) in open_ids:
            raise ValueError("Circular reference detected")
        inner = "\n" + STEP * (len(stack) + 1)
        if isinstance(value, dict):
            if value:
                append("{")
                open_ids.add(id(value))
                stack.append([iter(value.items()), True, inner, inner, id(value)])
            else:
                append("{}")
        elif value:
            texts = [int.__repr__(v) if type(v) is int else scalar(v) for v in value]
            if None in texts:
                append("[")
                open_ids.add(id(value))
                stack.append([iter(value), False, inner, inner, id(value)])
            else:
                append("[" + inner + ("," + inner).join(texts) + inner[:-2] + "]")  # type: ignore[arg-type]
        else:
            append("[]")
        # Write items until one is a container to open, or the document ends.
        while stack:
            frame = stack[-1]
            item = next(frame[0], _END)
            if item is _END:
                stack.pop()
                open_ids.discard(frame[4])
                append(frame[2][:-2] + ("}" if frame[1] else "]"))
                continue
            sep = frame[3]
            frame[3] = "," + frame[2]
            if frame[1]:
                key, item = item
                if type(key) is str:
                    known = keys.get(key)
                    if known is None:
                        known = keys[key] = str(encode_str(key)) + ": "
                    sep += known
                else:
                    sep += key_text(key) + ": "
            kind = type(item)
            if kind is str:
                append(sep + encode_str(item))
            elif kind is int:
                append(sep + int.__repr__(item))
            elif kind is list or kind is dict or kind is tuple:
                append(sep)
                value = item
                break
            else:
                text = scalar(item)
                if text is None:
                    append(sep)
                    value = item
                    break
                append(sep + text)
            if len(parts) >= size:
                yield "".join(parts)
                parts.clear()
        else:
            yield "".join(parts)
            return


_END: Any = object()
