"""A progress line for long runs: rewritten in place on a terminal, nothing anywhere else."""

import os
import sys
import time
from typing import TextIO

DELAY = 0.5  # seconds before the first line: a quick run shows none
EVERY = 0.1  # seconds between two updates


class Progress:
    """``progress("checking 3 of 40 files: a.toml")`` shows that line on standard error.

    Only when standard error is a terminal (so a pipe, a file or a CI log gets nothing) and
    only once the run has taken longer than ``delay``; :meth:`done` clears the line before
    the results are printed.
    """

    def __init__(self, stream: TextIO | None = None, delay: float = DELAY) -> None:
        self.stream = sys.stderr if stream is None else stream
        try:
            self.on = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        except (AttributeError, ValueError):
            self.on = False
        self.start = time.monotonic()
        self.delay = delay
        self.last = -EVERY
        self.shown = False

    def __call__(self, text: str) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last < EVERY:
            return
        self.last = now
        width = self.width()
        line = text if len(text) < width else text[: max(width - 2, 0)] + "…"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            return 80
