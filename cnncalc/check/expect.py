"""`cnncalc check`: files → networks → expectations → findings → exit code (never prints).

Every finding is collected rather than raised, so one run reports every failed
expectation, warning and invalid file, each with the line it is about.
"""

from __future__ import annotations

import glob
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.errors import (
    EXIT_CHECK_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    CnnCalcError,
    Location,
    suggest,
)
from cnncalc.layers.values import show
from cnncalc.reports.tables import number
from cnncalc.spec.network import Network
from cnncalc.spec.reader import DEFAULT_MAX_LAYERS
from cnncalc.spec.source import MAX_FILE_BYTES

FAILURE, WARNING, ERROR = "failure", "warning", "error"
OK, FAILED, INVALID = "ok", "failed", "invalid"

EXACT_KEYS = ("params", "trainable_params", "macs")
BUDGET_KEYS = {"max_params": "params", "max_macs": "macs", "max_activations": "activations"}
EXPECT_KEYS = (*EXACT_KEYS, "output", *BUDGET_KEYS, "layers")
LAYER_KEYS = ("output", "receptive_field")
SI_SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_SI = re.compile(r"\s*(\d(?:_?\d)*(?:\.\d+)?)\s*([kKMGT]?)\s*")
_GLOB_CHARS = frozenset("*?[")
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})
_LAYERS_KEY = re.compile(
    r"^[ \t]*(?:\[\[?[^\]\n]*\blayers[ \t]*\]|(?:[\w\"'-]+\.)*layers[ \t]*=)", re.M
)


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- values


json_number = number  # an exact value as JSON and expectations write it


def count_text(value: Any) -> str:
    return f"{value:,}" if type(value) is int else str(value)


def same(a: Any, b: Any) -> bool:
    """Equality that tells true from 1, as TOML does."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def si_value(text: str) -> int | None:
    """``"140M"`` → 140000000, ``"1.5G"`` → 1500000000; None unless a whole count."""
    match = _SI.fullmatch(text)
    if match is None:
        return None
    value = Fraction(match[1].replace("_", "")) * SI_SUFFIXES[match[2]]
    return int(value) if value.denominator == 1 else None


def is_sizes(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            (type(v) is int and v > 0) or (isinstance(v, str) and v.strip() != "") for v in value
        )
    )


def network_output(outputs: Iterable[Any]) -> Any:
    """The network's output as ``output`` expects it: a shape, or a list of them."""
    shapes = [json_number(s) for s in outputs]
    return shapes[0] if len(shapes) == 1 else shapes


def field_sizes(result: LayerResult) -> list[Any]:
    return [json_number(s) for s in result.field.size]


def field_value(sizes: list[Any], written: Any) -> Any:
    """The receptive field written the way the user wrote it: one value, or one per axis."""
    if not isinstance(written, list) and sizes and all(same(s, sizes[0]) for s in sizes):
        return sizes[0]
    return sizes


def current_values(analysis: Analysis) -> dict[str, Any]:
    """The exact values ``--update`` writes into a network's [expect] table."""
    totals = analysis.totals
    values = {k: json_number(getattr(totals, k)) for k in EXACT_KEYS}
    values["output"] = network_output(analysis.outputs.values())
    return values


def resolve_layer(net: Network, names: dict[str, LayerResult], name: str) -> str | None:
    """A reported layer name, or an alias (block instance, repeated layer) for its last layer."""
    seen = 0
    while name not in names and name in net.aliases and seen <= len(net.aliases):
        name = net.aliases[name]
        seen += 1
    return name if name in names else None


# --------------------------------------------------------------------------- expectations


class Verifier:
    """Compares one network's [expect] table with its analysis, collecting findings."""

    def __init__(self, net: Network, analysis: Analysis, result: NetworkCheck) -> None:
        self.net = net
        self.analysis = analysis
        self.result = result
        self.totals = analysis.totals
        self.layers = {r.name: r for r in analysis.layers}

    # ----- findings

    def where(self, path: tuple[str, ...], layer: str | None = None) -> Location:
        return Location(self.net.file, self.net.line_at("expect", *path), self.net.name, layer)

    def add(
        self,
        level: str,
        message: str,
        path: tuple[str, ...],
        layer: str | None = None,
        expected: Any = None,
        actual: Any = None,
        difference: Any = None,
    ) -> None:
        self.result.findings.append(
            Finding(
                level,
                message,
                self.where(path, layer),
                ".".join(path),
                expected,
                actual,
                difference,
            )
        )

    def compare(
        self, key: str, path: tuple[str, ...], want: Any, actual: Any, layer: str | None = None
    ) -> None:
        """One exact expectation: a failure with both values and, for counts, the difference."""
        self.result.checked += 1
        if same(want, actual):
            return
        if type(want) is int and type(actual) is int:
            diff = actual - want
            message = f"{key} {want:,} expected, {actual:,} found ({diff:+,})"
            self.add(FAILURE, message, path, layer, want, actual, diff)
            return
        shown = show(actual) if isinstance(actual, list) else count_text(actual)
        message = f"{key} {show(want)} expected, {shown} found"
        self.add(FAILURE, message, path, layer, want, actual)

    # ----- the table

    def run(self, expect: dict[str, Any]) -> None:
        for key, value in expect.items():
            if key in EXACT_KEYS:
                self.exact(key, value)
            elif key in BUDGET_KEYS:
                self.budget(key, value)
            elif key == "output":
                self.output(value)
            elif key == "layers":
                self.layer_tables(value)
            else:
                self.add(
                    ERROR,
                    f"unknown expectation '{key}'{suggest(key, EXPECT_KEYS)}; expected "
                    + ", ".join(EXPECT_KEYS[:-1])
                    + " or [expect.layers.NAME] tables",
                    (key,),
                )

    def exact(self, key: str, value: Any) -> None:
        actual = json_number(getattr(self.totals, key))
        symbolic = isinstance(actual, str)
        if type(value) is int and value >= 0 or (symbolic and isinstance(value, str)):
            self.compare(key, (key,), value, actual)
            return
        hint = ""
        if isinstance(value, str) and si_value(value) is not None:
            hint = f"; a string such as {show(value)} is a budget: use max_{key.split('_')[-1]}"
        self.add(ERROR, f"{key}: expected an exact integer, got {show(value)}{hint}", (key,))

    def budget(self, key: str, value: Any) -> None:
        limit: int | None = None
        if type(value) is int and value >= 0:
            limit = value
        elif isinstance(value, str):
            limit = si_value(value)
        elif isinstance(value, float) and value.is_integer() and value >= 0:
            limit = int(value)
        if limit is None:
            self.add(
                ERROR,
                f'{key}: expected a non-negative integer or a string such as "140M" or '
                f'"1.5G" (suffixes k, M, G, T), got {show(value)}',
                (key,),
            )
            return
        self.result.checked += 1
        actual = json_number(getattr(self.totals, BUDGET_KEYS[key]))
        shown = f"{limit:,}" + (f" ({show(value)})" if isinstance(value, str) else "")
        if type(actual) is not int:
            self.add(
                FAILURE,
                f"{key} {shown} cannot be checked: the value depends on the size symbols "
                f"({actual}); give the symbols values in the input",
                (key,),
                expected=limit,
                actual=actual,
            )
        elif actual > limit:
            diff = actual - limit
            self.add(
                FAILURE,
                f"{key} {shown} exceeded: {actual:,} found ({diff:+,})",
                (key,),
                expected=limit,
                actual=actual,
                difference=diff,
            )

    def output(self, value: Any) -> None:
        if is_sizes(value) or (isinstance(value, list) and value and all(map(is_sizes, value))):
            self.compare(
                "output", ("output",), value, network_output(self.analysis.outputs.values())
            )
            return
        self.add(
            ERROR,
            "output: expected a list of sizes such as [1000] (for several outputs, a list of "
            f"them), got {show(value)}",
            ("output",),
        )

    def layer_tables(self, value: Any) -> None:
        if not isinstance(value, dict):
            self.add(
                ERROR,
                f"layers: expected [expect.layers.NAME] tables, got {show(value)}",
                ("layers",),
            )
            return
        for name, table in value.items():
            path = ("layers", name)
            target = resolve_layer(self.net, self.layers, name)
            if target is None:
                options = list(self.layers) + list(self.net.aliases)
                self.add(
                    ERROR,
                    f"unknown layer '{name}'{suggest(name, options)}; expected a layer name as "
                    "the reports show it (inside a block, <instance>.<name>)",
                    path,
                    name,
                )
                continue
            if not isinstance(table, dict):
                self.add(
                    ERROR,
                    f"expected a table with output or receptive_field, got {show(table)}",
                    path,
                    name,
                )
                continue
            result = self.layers[target]
            for key, want in table.items():
                if key == "output":
                    self.layer_output(name, result, want)
                elif key == "receptive_field":
                    self.layer_field(name, result, want)
                else:
                    self.add(
                        ERROR,
                        f"unknown layer expectation '{key}'{suggest(key, LAYER_KEYS)}; "
                        "expected output or receptive_field",
                        path + (key,),
                        name,
                    )

    def layer_output(self, name: str, result: LayerResult, want: Any) -> None:
        path = ("layers", name, "output")
        if not is_sizes(want):
            self.add(
                ERROR,
                f"output: expected a list of sizes such as [7, 7, 512], got {show(want)}",
                path,
                name,
            )
            return
        self.compare("output", path, want, json_number(result.shape), name)

    def layer_field(self, name: str, result: LayerResult, want: Any) -> None:
        path = ("layers", name, "receptive_field")
        sizes = field_sizes(result)
        axes = len(sizes)
        if not axes:
            self.add(
                ERROR,
                "receptive_field: the layer's input has no spatial axes, so it has no "
                "receptive field",
                path,
                name,
            )
            return
        single = type(want) is int and want > 0
        listed = (
            isinstance(want, list)
            and len(want) == axes
            and all(type(v) is int and v > 0 for v in want)
        )
        if not (single or listed):
            self.add(
                ERROR,
                f"receptive_field: expected a positive integer or a list of {axes} "
                f"(one per spatial axis), got {show(want)}",
                path,
                name,
            )
            return
        self.compare("receptive_field", path, want, field_value(sizes, want), name)


# --------------------------------------------------------------------------- networks, files


def error_finding(error: CnnCalcError) -> Finding:
    return Finding(ERROR, error.message, error.location)


def check_network(net: Network) -> NetworkCheck:
    """Analyse one network, then compare it with its expectations; never raises a user error."""
    from cnncalc.engine.walk import analyze

    result = NetworkCheck(net.name, Location(net.file, net.line, net.name))
    try:
        analysis = analyze(net)
    except CnnCalcError as error:
        result.findings.append(error_finding(error.within(file=net.file, network=net.name)))
        return result
    result.findings.extend(Finding(WARNING, w.message, w.location) for w in analysis.warnings)
    if net.expect is not None:
        Verifier(net, analysis, result).run(net.expect)
    result.findings.sort(key=lambda f: f.location.line or 0)
    return result


def check_file(path: str, max_layers: int = DEFAULT_MAX_LAYERS) -> FileCheck:
    from cnncalc.spec.load import load

    try:
        networks = load(path, max_layers)
    except CnnCalcError as error:
        return FileCheck(error.location.file or path, error=error_finding(error))
    return FileCheck(networks[0].file, [check_network(n) for n in networks])


def holds_network(path: str) -> bool:
    """Whether a TOML file found under a directory or by a glob is an architecture file.

    A file that is not valid TOML counts when it mentions ``layers``, so that a broken
    architecture file still fails the check instead of being skipped.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
        doc = tomllib.loads(text)
    except OSError:
        return True  # named, but unreadable: checking it reports why
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return _LAYERS_KEY.search(data.decode("utf-8", "replace")) is not None
    if "layers" in doc:
        return True
    return any(isinstance(v, dict) and "layers" in v for k, v in doc.items() if k != "blocks")


def toml_files(directory: str) -> list[str]:
    """Every ``*.toml`` under a directory, sorted, skipping hidden and tool directories."""
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found.extend(
            os.path.normpath(os.path.join(root, f)) for f in sorted(files) if f.endswith(".toml")
        )
    return found


def expand_paths(
    args: Sequence[str], skip_other: bool = False
) -> tuple[list[str], list[FileCheck]]:
    """FILE arguments → the files to check, and a FileCheck for each that names nothing.

    A directory stands for every ``*.toml`` under it that holds a network, a glob
    (quoted, for shells that do not expand it) for the files it matches; a file
    named directly is always checked unless ``skip_other`` and it holds no network.
    """
    paths: list[str] = []
    problems: list[FileCheck] = []
    for arg in args:
        if arg == "-":
            paths.append(arg)
        elif os.path.isdir(arg):
            found = [p for p in toml_files(arg) if holds_network(p)]
            if not found:
                problems.append(nothing_found(arg, "no TOML file holding a network under it"))
            paths.extend(found)
        elif os.path.exists(arg) or not _GLOB_CHARS & set(arg):
            if not (skip_other and os.path.isfile(arg) and not holds_network(arg)):
                paths.append(arg)
        else:
            matches = []
            for match in sorted(glob.glob(arg, recursive=True)):
                if os.path.isdir(match):
                    matches.extend(toml_files(match))
                else:
                    matches.append(os.path.normpath(match))
            found = [p for p in matches if p.endswith(".toml") and holds_network(p)]
            if not found:
                problems.append(nothing_found(arg, "no TOML file holding a network matches"))
            paths.extend(found)
    unique: dict[str, str] = {}
    for p in paths:
        unique.setdefault(p if p == "-" else os.path.normpath(p), p)
    return list(unique.values()), problems


def nothing_found(arg: str, message: str) -> FileCheck:
    return FileCheck(arg, error=Finding(ERROR, message, Location(file=arg)))


def run_check(
    args: Sequence[str],
    strict: bool = False,
    max_layers: int = DEFAULT_MAX_LAYERS,
    skip_other: bool = False,
    update: bool = False,
) -> CheckReport:
    """Check (after ``update``, rewrite then check) every file the arguments name."""
    paths, problems = expand_paths(args, skip_other)
    files: list[FileCheck] = list(problems)
    for path in paths:
        updated: list[str] = []
        if update:
            from cnncalc.check.update import update_file

            try:
                updated = update_file(path, max_layers)
            except CnnCalcError as error:
                files.append(FileCheck(error.location.file or path, error=error_finding(error)))
                continue
        checked = check_file(path, max_layers)
        checked.updated = updated
        files.append(checked)
    return CheckReport(files, strict)
