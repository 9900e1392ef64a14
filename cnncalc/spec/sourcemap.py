"""Line numbers for the tables, keys and array elements of a TOML document.

``tomllib`` returns plain dicts without positions, yet every cnncalc diagnostic must read
``FILE:LINE: ...``.  So, after ``tomllib.loads`` has accepted a file, :func:`locate` scans the
same text once more and records where each path (the keys and indices you would use on the
parsed dict) starts.  The scanner is regex-driven, linear and iterative: nested arrays and
inline tables live on an explicit stack, so no input depth can hit the recursion limit.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence

Path = tuple[str | int, ...]

# Possessive quantifiers (Python 3.11+) keep every pattern linear, even on 50 MB strings.
# Commas are skipped like whitespace: in valid TOML they only ever separate items.
_SKIP = re.compile(r"(?:[ \t\r\n,]++|#[^\n]*+)*+")
_KEY = re.compile(r"""[ \t]*+([A-Za-z0-9_-]++|"(?:[^"\\\n]++|\\.)*+"|'[^'\n]*+')[ \t]*+""")
_DOT = re.compile(r"\.")
_EQUALS = re.compile(r"[ \t]*+=[ \t]*+")
_CLOSE = re.compile(r"[ \t]*+\]\]?")
_STRING = re.compile(
    r'"""(?:[^"\\]++|\\[\s\S]|""?(?!"))*+"{3,5}'  # up to two quotes may precede the closing """
    r"|'''(?:[^']++|''?(?!'))*+'{3,5}"
    r'|"(?:[^"\\\n]++|\\.)*+"'
    r"|'[^'\n]*+'"
)
# Numbers, booleans, inf/nan and dates; a date may be followed by " HH:MM..." (RFC 3339).
_SCALAR = re.compile(r"[^\s,\]}#]++(?: \d\d:[^\s,\]}#]*+)?")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([\s\S]))")
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b"}
# Paths deeper than this are not marked (no network key sits deeper than six), so a header
# of 40,000 dotted parts costs 40,000 steps, not the 800 million of marking every prefix.
MAX_DEPTH = 16
_ERROR_SUFFIX = re.compile(r"(.*) \(at (?:line (\d+), column \d+|end of document)\)", re.DOTALL)


def _unescape(match: re.Match[str]) -> str:
    code = match[1] or match[2]
    if code is None:
        return _SIMPLE_ESCAPES.get(match[3], match[3])
    return chr(int(code, 16)) if int(code, 16) <= 0x10FFFF else ""


def _key_text(token: str) -> str:
    """The key a bare, 'literal' or "basic" key token stands for, as tomllib decodes it."""
    if token[0] == "'":
        return token[1:-1]
    if token[0] == '"':
        return _ESCAPE.sub(_unescape, token[1:-1])
    return token


class _Scanner:
    """One left-to-right pass over already-validated TOML, collecting first lines of paths."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}

    def _goto(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def _eat(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        match = pattern.match(self.text, self.pos)
        if match is not None:  # _goto, inlined: this is the hot path
            end = match.end()
            self.line += self.text.count("\n", self.pos, end)
            self.pos = end
        return match

    def _mark(self, path: Path) -> None:
        if len(path) <= MAX_DEPTH:
            self.lines.setdefault(path, self.line)

    @staticmethod
    def _child(path: Path, part: str | int) -> Path:
        """``path`` one level down; past MAX_DEPTH it stays as it is (and is never marked)."""
        return path + (part,) if len(path) <= MAX_DEPTH else path

    def _keys(self) -> list[str]:
        """A dotted key such as ``a . "b.c" . 'd'``, split into its parts."""
        parts: list[str] = []
        while (match := self._eat(_KEY)) is not None:
            parts.append(_key_text(match[1]))
            if self._eat(_DOT) is None:
                break
        return parts

    def _key_value(self, base: Path) -> Path | None:
        """Consume ``key =`` and mark every dotted prefix; return the path of the value."""
        parts = self._keys()
        if not parts:  # not valid TOML; step over one character so the scan always ends
            self._goto(self.pos + 1)
            return None
        path = base
        for part in parts:
            path = self._child(path, part)
            self._mark(path)
        self._eat(_EQUALS)
        return path

    def _header(self, arrays: dict[Path, int]) -> Path:
        """Consume ``[a.b]`` or ``[[a.b]]``; return the table that following keys belong to.

        ``arrays`` counts the elements of each array of tables by its concrete path (with the
        indices of enclosing arrays of tables), so ``[[a.b]]`` under a new ``[[a]]`` restarts at 0.
        """
        is_array = self.text.startswith("[[", self.pos)
        self._goto(self.pos + (2 if is_array else 1))
        parts = self._keys()
        path: Path = ()
        for i, part in enumerate(parts):
            path = self._child(path, part)
            self._mark(path)
            if is_array and i == len(parts) - 1:
                index = arrays.get(path, 0)
                arrays[path] = index + 1
                path = self._child(path, index)
                self._mark(path)
            elif path in arrays:
                path = self._child(path, arrays[path] - 1)
        self._eat(_CLOSE)
        return path

    def _value(self, path: Path) -> int | None:
        """Mark and consume a value; if it opens an array or inline table, return the index
        of its first element (0), or -1 for a table."""
        self._mark(path)
        char = self.text[self.pos]
        if char in "[{":
            self._goto(self.pos + 1)
            return 0 if char == "[" else -1
        if self._eat(_STRING if char in "\"'" else _SCALAR) is None:
            self._goto(self.pos + 1)  # not valid TOML; keep moving
        return None

    def run(self) -> dict[Path, int]:
        text, size = self.text, len(self.text)
        table: Path = ()  # set by the last [header]
        arrays: dict[Path, int] = {}
        # Open arrays and inline tables: their paths, and the next index (-1 for a table).
        open_paths: list[Path] = []
        next_index: list[int] = []
        while True:
            self._eat(_SKIP)
            if self.pos >= size:
                return self.lines
            char = text[self.pos]
            target: Path | None
            if not open_paths:
                if char == "[":
                    table = self._header(arrays)
                    continue
                target = self._key_value(table)
            elif char in "]}":
                open_paths.pop()
                next_index.pop()
                self._goto(self.pos + 1)
                continue
            elif next_index[-1] < 0:
                target = self._key_value(open_paths[-1])
            else:
                target = self._child(open_paths[-1], next_index[-1])
                next_index[-1] += 1
            if target is not None and self.pos < size:
                first = self._value(target)
                if first is not None:
                    open_paths.append(target)
                    next_index.append(first)


def locate(text: str) -> dict[Path, int]:
    """Map every table, array-of-tables element, key and array element to its 1-based line.

    Paths are the keys and indices you would use on ``tomllib.loads(text)``; a path that
    appears more than once (an array of tables, a table reopened by dotted keys) keeps the
    first line seen.  ``text`` should be valid TOML; other text gives a partial map, never
    an exception.
    """
    return _Scanner(text).run()


def line_of(lines: Mapping[Path, int], path: Sequence[str | int]) -> int | None:
    """The line of ``path``, or of its longest prefix in ``lines`` (None if no prefix is).

    Falling back to the parent lets a check about a key that was defaulted (absent from the
    file) still point at the layer or table it belongs to.
    """
    key = tuple(path)
    for end in range(len(key), 0, -1):
        line = lines.get(key[:end])
        if line is not None:
            return line
    return None


def decode_error_line(exc: tomllib.TOMLDecodeError) -> tuple[int | None, str]:
    """``(line, message)`` for a tomllib syntax error, the position cut off the message.

    Python 3.11's tomllib only writes the position into the message text, as
    ``... (at line L, column C)`` or ``... (at end of document)`` (line None).
    """
    text = str(exc)
    match = _ERROR_SUFFIX.fullmatch(text)
    if match is None:
        return None, text
    return (int(match[2]) if match[2] else None), match[1]
