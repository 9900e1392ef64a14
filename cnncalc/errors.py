"""Errors and warnings that carry where in the user's file they arose, and their hints."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cnncalc.records import record, replace

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_INVALID = 2

# C0 and C1 controls, and the invisible marks that reorder or break lines (U+202E shows
# text right to left; U+2028 starts a line in some viewers; U+FEFF is a byte-order mark)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def suggest(word: str, options: Sequence[str]) -> str:
    """`` — did you mean 'x'?`` when a close match exists, else the empty string."""
    import difflib  # only an error needs it

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def printable(text: str) -> str:
    """User text made safe for a terminal: control characters and escape codes shown as \\xNN,
    invisible direction and line marks as \\uNNNN.

    Names come from files in pull requests; a name must never move the cursor,
    change colours, start a new line or reverse the text in a report or an error message.
    """
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@record(frozen=True)
class Location:
    """Where a diagnostic points: file, line, and the network/layer/key path.

    Kept separate from the message so that every reporter (plain lines,
    GitHub annotations, JSON) can lay out the same facts its own way.
    """

    file: str | None = None
    line: int | None = None
    network: str | None = None
    layer: str | None = None
    key: str | None = None

    def merged(self, other: Location) -> Location:
        """Fill the fields this location lacks from ``other``; ours win."""
        return Location(
            file=self.file if self.file is not None else other.file,
            line=self.line if self.line is not None else other.line,
            network=self.network if self.network is not None else other.network,
            layer=self.layer if self.layer is not None else other.layer,
            key=self.key if self.key is not None else other.key,
        )

    def prefix(self) -> str:
        """``FILE:LINE: network, layer, key: `` — the flake8-style lead-in."""
        head = ""
        if self.file is not None:
            head = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        path = ", ".join(p for p in (self.network, self.layer, self.key) if p)
        return head + (f"{path}: " if path else "")


class CnnCalcError(Exception):
    """A problem with the user's input: reported as one line, exit code 2."""

    def __init__(self, message: str, location: Location | None = None, **where: object) -> None:
        super().__init__(message)
        self.message = message
        loc = location or Location()
        if where:
            loc = Location(**where).merged(loc)  # type: ignore[arg-type]
        self.location = loc

    def within(self, **where: object) -> CnnCalcError:
        """Add context the raiser did not know (file, line, network …) and return self."""
        self.location = self.location.merged(Location(**where))  # type: ignore[arg-type]
        return self

    def __str__(self) -> str:
        return self.location.prefix() + self.message


@record(frozen=True)
class Diagnostic:
    """A warning or a failed expectation: reported, but the analysis goes on."""

    message: str
    location: Location = Location()
    level: str = "warning"

    def within(self, **where: object) -> Diagnostic:
        return replace(self, location=self.location.merged(Location(**where)))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.location.prefix() + self.message
