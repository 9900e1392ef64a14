"""The public loaders: a file, TOML text, a dict or ``--layers`` → Networks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.layers.values import show
from cnncalc.spec.network import Network
from cnncalc.spec.reader import DEFAULT_MAX_LAYERS, Reader
from cnncalc.spec.shorthand import parse_dims
from cnncalc.spec.source import BOM, STDIN, read_text

INLINE = "<layers>"
TEXT = "<text>"  # TOML text given to load_text without a file name
DICT = "<dict>"  # a document given to load_dict


def load_text(
    text: str,
    file: str = TEXT,
    max_layers: int = DEFAULT_MAX_LAYERS,
    only: str | None = None,
) -> list[Network]:
    """Read every network of TOML text; ``file`` is the name errors give for it.

    ``only`` reads just the network of that name (the others are not expanded or checked).
    """
    text = argument(text, str, "text", "TOML text (a str)").removeprefix(BOM)
    file = argument(file, str, "file", "a name for the text (a str)")
    check_options(max_layers, only)
    stem = Path(file).stem if file not in (STDIN, INLINE, TEXT) else "network"
    return Reader(file, text, max_layers).networks(stem, only)


def load(path: str, max_layers: int = DEFAULT_MAX_LAYERS, only: str | None = None) -> list[Network]:
    """Read every network of a TOML architecture file (``-`` for standard input)."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    path = argument(path, str, "path", "a file name (a str or a path)")
    check_options(max_layers, only)
    file, text = read_text(path)
    return load_text(text, file, max_layers, only)


def load_dict(
    doc: Mapping[str, Any],
    name: str = "network",
    max_layers: int = DEFAULT_MAX_LAYERS,
    only: str | None = None,
) -> list[Network]:
    """Read every network of a document built in Python, laid out as the TOML file is.

    ``doc`` holds what ``tomllib`` would return for the file (tuples may stand for lists);
    ``name`` names a network whose keys sit at the top level and have no ``name`` key.
    Errors carry no line numbers, since there is no text to point into.
    """
    if not isinstance(doc, Mapping):
        raise CnnCalcError(f"expected a table (a dict), got {show(doc)}", file=DICT)
    name = argument(name, str, "name", "a network name (a str)")
    check_options(max_layers, only)
    return Reader.from_doc(DICT, plain(doc), max_layers).networks(name, only)


def plain(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a document with tuples as lists and mappings as dicts, as TOML gives them.

    Iterative, so no nesting depth reaches the recursion limit; a document that refers to
    itself would never end, so the copy stops after a bound on its size.
    """
    root: dict[str, Any] = {}
    stack: list[tuple[Any, Any]] = [(doc, root)]
    budget = 4 * 2**20  # values: far more than any network needs
    while stack:
        source, target = stack.pop()
        is_table = type(source) is dict or isinstance(source, Mapping)
        items = source.items() if is_table else enumerate(source)
        for k, v in items:
            if is_table and not isinstance(k, str):
                raise CnnCalcError(f"expected text keys, as TOML has, got {show(k)}", file=DICT)
            budget -= 1
            kind = type(v)  # (dict, list and str first: the isinstance checks of ABCs cost more)
            if kind is str or kind is int:
                target[k] = v
                continue
            if kind is dict or isinstance(v, Mapping):
                copy: Any = {}
            elif kind is list or isinstance(v, list | tuple):
                copy = [None] * len(v)
            else:
                target[k] = v
                continue
            if budget < 0:
                raise CnnCalcError(
                    "the document is too large, or contains itself; expected tables, "
                    "lists and values as a TOML file holds them",
                    file=DICT,
                )
            target[k] = copy
            stack.append((v, copy))
    return root


def argument(value: Any, kind: type, name: str, expected: str) -> Any:
    """A public function's argument of the right type, or the one-line error for it."""
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise CnnCalcError(f"{name}: expected {expected}, got {show(value)}")
    return value


def check_options(max_layers: Any, only: Any) -> None:
    argument(max_layers, int, "max_layers", "a positive integer")
    if max_layers < 1:
        raise CnnCalcError(f"max_layers: expected a positive integer, got {show(max_layers)}")
    if only is not None:
        argument(only, str, "only", "a network name (a str) or None")


def inline_network(layers: str, input_shape: str | None) -> Network:
    """A network given on the command line: ``--layers "conv 6 kernel=5; maxpool 2"``."""
    entries = [part.strip() for part in layers.split(";") if part.strip()]
    if not entries:
        raise CnnCalcError("expected at least one layer", file=INLINE, line=1, key="--layers")
    if input_shape is None:
        raise CnnCalcError(
            "--layers needs --input, e.g. --input 28x28x1", file=INLINE, line=1, key="--input"
        )
    doc = {"input": parse_dims(input_shape), "layers": entries}
    return Reader.from_doc(INLINE, doc).network("network", doc, ())
