"""What a check finds: findings, rolled up per network, per file and per run, with the exit code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cnncalc.errors import EXIT_CHECK_FAILED, EXIT_INVALID, EXIT_OK, CnnCalcError, Location

FAILURE, WARNING, ERROR = "failure", "warning", "error"
OK, FAILED, INVALID = "ok", "failed", "invalid"


@dataclass(frozen=True)
class Finding:
    """One line of the report: a failed expectation, a warning, or an error."""

    level: str
    message: str
    location: Location
    expectation: str | None = None  # the expect key, dotted: "params", "layers.pool5.output"
    expected: Any = None
    actual: Any = None
    difference: Any = None

    def __str__(self) -> str:
        return (
            self.location.prefix() + ("warning: " if self.level == WARNING else "") + self.message
        )


@dataclass
class NetworkCheck:
    name: str
    location: Location
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0  # expectations compared

    def of(self, level: str) -> list[Finding]:
        return [f for f in self.findings if f.level == level]

    def status(self, strict: bool) -> str:
        levels = {f.level for f in self.findings}
        if ERROR in levels:
            return INVALID
        if FAILURE in levels or (strict and WARNING in levels):
            return FAILED
        return OK


@dataclass
class FileCheck:
    file: str
    networks: list[NetworkCheck] = field(default_factory=list)
    error: Finding | None = None  # the file could not be read: no networks were checked
    updated: list[str] = field(default_factory=list)  # networks whose [expect] --update rewrote

    def status(self, strict: bool) -> str:
        if self.error is not None:
            return INVALID
        states = {n.status(strict) for n in self.networks}
        return next((s for s in (INVALID, FAILED) if s in states), OK)

    def findings(self) -> Iterator[Finding]:
        if self.error is not None:
            yield self.error
        for net in self.networks:
            yield from net.findings


@dataclass
class CheckReport:
    files: list[FileCheck]
    strict: bool = False

    @property
    def networks(self) -> list[NetworkCheck]:
        return [n for f in self.files for n in f.networks]

    def findings(self) -> Iterator[Finding]:
        for f in self.files:
            yield from f.findings()

    def counts(self) -> dict[str, int]:
        states = [n.status(self.strict) for n in self.networks]
        return {
            "files": len(self.files),
            "networks": len(states),
            OK: states.count(OK),
            FAILED: states.count(FAILED),
            INVALID: states.count(INVALID),
            "invalid_files": sum(1 for f in self.files if f.error is not None),
            "warnings": sum(1 for f in self.findings() if f.level == WARNING),
            "updated_files": sum(1 for f in self.files if f.updated),
        }

    @property
    def exit_code(self) -> int:
        """2 when anything is invalid, else 1 when an expectation (or, strict, a warning) fails."""
        c = self.counts()
        if c[INVALID] or c["invalid_files"]:
            return EXIT_INVALID
        return EXIT_CHECK_FAILED if c[FAILED] else EXIT_OK

    def summary(self) -> str:
        """``12 networks in 5 files: 11 ok, 1 failed`` and whatever else needs saying."""
        c = self.counts()
        text = (
            f"{plural(c['networks'], 'network')} in {plural(c['files'], 'file')}: "
            f"{c[OK]} ok, {c[FAILED]} failed"
        )
        if c[INVALID]:
            text += f", {c[INVALID]} invalid"
        if c["warnings"]:
            text += f", {plural(c['warnings'], 'warning')}"
        if c["invalid_files"]:
            text += f"; {plural(c['invalid_files'], 'file')} invalid"
        if c["updated_files"]:
            text += f"; {plural(c['updated_files'], 'file')} updated"
        return text


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def error_finding(error: CnnCalcError) -> Finding:
    return Finding(ERROR, error.message, error.location)
