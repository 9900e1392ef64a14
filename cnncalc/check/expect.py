"""Compares each network's [expect] table with its analysis, collecting findings (never raises)."""

from __future__ import annotations

from typing import Any

from cnncalc.check.results import ERROR, FAILURE, WARNING, Finding, NetworkCheck, error_finding
from cnncalc.check.values import (
    BUDGET_KEYS,
    EXACT_KEYS,
    EXPECT_KEYS,
    LAYER_KEYS,
    count_text,
    field_sizes,
    field_value,
    is_sizes,
    json_number,
    network_output,
    resolve_layer,
    same,
    si_value,
)
from cnncalc.engine.walk import Analysis, LayerResult, analyze
from cnncalc.errors import CnnCalcError, Location, suggest
from cnncalc.layers.values import show
from cnncalc.spec.network import Network


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


def check_network(net: Network) -> NetworkCheck:
    """Analyse one network, then compare it with its expectations; never raises a user error."""
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
