"""Architecture text in: a file or standard input read within its size bound, and parsed as TOML."""

from __future__ import annotations

import re
import sys
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.spec import parsecache
from cnncalc.spec.sourcemap import decode_error_line

MAX_FILE_BYTES = 16 * 2**20
MAX_NESTING = 100  # where to point when TOML nesting exhausts the parser
STDIN = "<stdin>"
MAX_KEY_PARTS = 64
_DEEP_KEY = (  # that many key parts, each followed by a dot (possessive: linear)
    r"""(?:(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]++|\\.)*+"|'[^'\n]*+')[ \t]*+\.[ \t]*+)"""
    + f"{{{MAX_KEY_PARTS}}}"
)
BOM = "\ufeff"


def read_text(path: str) -> tuple[str, str]:
    """(display name, text) of a file, or of standard input for ``-``."""
    name, data = read_bytes(path)
    return name, decode(data, name)


def read_bytes(path: str) -> tuple[str, bytes]:
    """(display name, bytes) of a file, or of standard input for ``-``, within the size bound."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        name = STDIN
    else:
        name = path
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise CnnCalcError("no such file", file=path) from None
        except IsADirectoryError:
            raise CnnCalcError("is a directory; expected a TOML file", file=path) from None
        except OSError as error:
            raise CnnCalcError(f"cannot read the file: {error.strerror}", file=path) from None
    if len(data) > MAX_FILE_BYTES:
        raise CnnCalcError(
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB; "
            "expected an architecture file (use blocks and repeat for long networks)",
            file=name,
        )
    return name, data


def decode(data: bytes, name: str) -> str:
    """UTF-8 text; a byte-order mark, which some Windows editors write, is not part of it."""
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CnnCalcError("the file is not UTF-8 text", file=name, line=line) from None


def deep_key(text: str) -> re.Match[str] | None:
    """A dotted key of more than MAX_KEY_PARTS parts, if the text has one.

    Such a key lies on one line (no part or separator holds a line break), so the search,
    which costs a fifth of the parse, runs only when some line has that many dots.
    """
    if text.count(".") < MAX_KEY_PARTS or all(
        line.count(".") < MAX_KEY_PARTS for line in text.split("\n")
    ):
        return None
    return re.search(_DEEP_KEY, text)


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """The document of TOML text, from the cache of parsed files when it holds it."""
    path = parsecache.entry(text)
    if path is not None:
        doc = parsecache.recall(path)
        if doc is None:
            doc = parse_new(text, file)
            parsecache.keep(path, doc)
        return doc
    return parse_new(text, file)


def parse_new(text: str, file: str) -> dict[str, Any]:
    deep = deep_key(text)
    if deep is not None:  # tomllib's time grows with the square of a dotted key's length
        raise CnnCalcError(
            f"invalid TOML: a dotted key of more than {MAX_KEY_PARTS} parts; "
            "expected keys a few levels deep",
            file=file,
            line=text.count("\n", 0, deep.start()) + 1,
        )
    import tomllib  # only here: a file the cache holds needs no parser

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, message = decode_error_line(error)
        if line is None:  # "at end of document": point at the last line
            line = text.count("\n") + 1
        raise CnnCalcError(f"invalid TOML: {message}", file=file, line=line) from None
    except ValueError:  # Python's limit on the digits of an int
        long = re.search(r"\d{4000,}", text)
        line = text.count("\n", 0, long.start()) + 1 if long else 1
        raise CnnCalcError(
            "invalid TOML: a number with thousands of digits; expected sizes up to 2**64",
            file=file,
            line=line,
        ) from None
    except (RecursionError, MemoryError):
        raise CnnCalcError(
            "invalid TOML: lists or tables nested too deeply; expected a flat architecture file",
            file=file,
            line=nesting_line(text),
        ) from None


def nesting_line(text: str) -> int:
    """The line where brackets first nest too deep (strings ignored: a hint, not a parser)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += 1 if ch in "[{" else -1 if ch in "]}" else 0
        if depth > MAX_NESTING:
            return text.count("\n", 0, i) + 1
    return 1
