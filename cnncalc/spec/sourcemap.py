"""Line numbers for the tables, keys and array elements of a TOML document.

``tomllib`` returns plain dicts without positions, yet every cnncalc diagnostic must read
``FILE:LINE: ...``.  So, after ``tomllib.loads`` has accepted a file, :func:`locate` scans the
same text once more and records where each path (the keys and indices you would use on the
parsed dict) starts.  The scanner is regex-driven, linear and iterative: nested arrays and
inline tables live on an explicit stack, so no input depth can hit the recursion limit.
The scan costs about as much as the parse, and most runs never show a line number, so
:class:`SourceLines` scans only when a line is first asked for.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tomllib
from collections.abc import Iterator, Mapping, Sequence

Path = tuple[str | int, ...]


class _Grammar:
    """The scanner's regular expressions, compiled when the first text is scanned: most runs
    never show a line number, and compiling them costs more than the rest of this module."""

    def __init__(self) -> None:
        # Possessive quantifiers (Python 3.11+) keep every pattern linear, even on 50 MB
        # strings. Commas are skipped like whitespace: in valid TOML they only ever separate
        # items.
        self.skip = re.compile(r"(?:[ \t\r\n,]++|#[^\n]*+)*+")
        self.key = re.compile(
            r"""[ \t]*+([A-Za-z0-9_-]++|"(?:[^"\\\n]++|\\.)*+"|'[^'\n]*+')[ \t]*+"""
        )
        self.dot = re.compile(r"\.")
        self.equals = re.compile(r"[ \t]*+=[ \t]*+")
        self.close = re.compile(r"[ \t]*+\]\]?")
        self.string = re.compile(
            # up to two quotes may precede the closing """
            r'"""(?:[^"\\]++|\\[\s\S]|""?(?!"))*+"{3,5}'
            r"|'''(?:[^']++|''?(?!'))*+'{3,5}"
            r'|"(?:[^"\\\n]++|\\.)*+"'
            r"|'[^'\n]*+'"
        )
        # Numbers, booleans, inf/nan and dates; a date may be followed by " HH:MM..." (RFC 3339).
        self.scalar = re.compile(r"[^\s,\]}#]++(?: \d\d:[^\s,\]}#]*+)?")
        self.escape = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([\s\S]))")


_GRAMMAR: list[_Grammar] = []


def _grammar() -> _Grammar:
    if not _GRAMMAR:
        _GRAMMAR.append(_Grammar())
    return _GRAMMAR[0]


_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b"}
# Paths deeper than this are not marked (no network key sits deeper than six), so a header
# of 40,000 dotted parts costs 40,000 steps, not the 800 million of marking every prefix.
MAX_DEPTH = 16
_ERROR_SUFFIX = r"(.*) \(at (?:line (\d+), column \d+|end of document)\)"


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
        return _grammar().escape.sub(_unescape, token[1:-1])
    return token


class _Scanner:
    """One left-to-right pass over already-validated TOML, collecting first lines of paths."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.grammar = _grammar()

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
        while (match := self._eat(self.grammar.key)) is not None:
            parts.append(_key_text(match[1]))
            if self._eat(self.grammar.dot) is None:
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
        self._eat(self.grammar.equals)
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
        self._eat(self.grammar.close)
        return path

    def _value(self, path: Path) -> int | None:
        """Mark and consume a value; if it opens an array or inline table, return the index
        of its first element (0), or -1 for a table."""
        self._mark(path)
        char = self.text[self.pos]
        if char in "[{":
            self._goto(self.pos + 1)
            return 0 if char == "[" else -1
        if self._eat(self.grammar.string if char in "\"'" else self.grammar.scalar) is None:
            self._goto(self.pos + 1)  # not valid TOML; keep moving
        return None

    def run(self) -> dict[Path, int]:
        text, size = self.text, len(self.text)
        table: Path = ()  # set by the last [header]
        arrays: dict[Path, int] = {}
        # Open arrays and inline tables: their paths, and the next index (-1 for a table).
        open_paths: list[Path] = []
        next_index: list[int] = []
        skip = self.grammar.skip
        while True:
            self._eat(skip)
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


class SourceLines(Mapping[Path, int]):
    """The source map of a text (:func:`locate`), built the first time a line is asked for.

    Shared by a document's networks and nodes: a run that reports no error or warning with
    a line number never scans the text a second time.
    """

    __slots__ = ("text", "_lines")
    # Compared and hashed as the object it is: comparing contents would scan the text.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: dict[Path, int] | None = None

    @property
    def lines(self) -> dict[Path, int]:
        if self._lines is None:
            self._lines = locate(self.text) if self.text else {}
        return self._lines

    def __getitem__(self, path: Path) -> int:
        return self.lines[path]

    def __contains__(self, path: object) -> bool:
        return path in self.lines

    def __iter__(self) -> Iterator[Path]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def get(self, path: Path, default: int | None = None) -> int | None:  # type: ignore[override]
        return self.lines.get(path, default)

    def line(self, path: Path) -> int | None:
        """Line of ``path`` or of its nearest enclosing entry; line 1 for the whole file
        (None when there is no text: a document built in memory)."""
        if not self.text:
            return None
        found = line_of(self.lines, path)
        return 1 if found is None else found


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
    match = re.fullmatch(_ERROR_SUFFIX, text, re.DOTALL)
    if match is None:
        return None, text
    return (int(match[2]) if match[2] else None), match[1]
