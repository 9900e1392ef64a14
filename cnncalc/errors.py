"""Errors and warnings that carry where in the user's file they arose, and their hints."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_INVALID = 2

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def suggest(word: str, options: Sequence[str]) -> str:
    """`` — did you mean 'x'?`` when a close match exists, else the empty string."""
    import difflib  # only an error needs it

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def printable(text: str) -> str:
    """User text made safe for a terminal: control characters and escape codes shown as \\xNN.

    Names come from files in pull requests; a name must never move the cursor,
    change colours or start a new line in a report or an error message.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Diagnostic:
    """A warning or a failed expectation: reported, but the analysis goes on."""

    message: str
    location: Location = Location()
    level: str = "warning"

    def within(self, **where: object) -> Diagnostic:
        return replace(self, location=self.location.merged(Location(**where)))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.location.prefix() + self.message
