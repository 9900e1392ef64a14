"""`check --update`: write each network's exact current values into its [expect] table.

Only the values that change are rewritten; everything else in the file (comments,
order, blank lines, number formats) stays byte for byte. A new table is inserted
as text right after its network; an existing one is edited with tomlkit (a
style-preserving TOML library, imported only here). Every rewrite is verified
by parsing the result: it must differ from the original in the expectations only.
"""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any

from cnncalc.check.expect import Verifier
from cnncalc.check.results import ERROR, NetworkCheck
from cnncalc.check.values import (
    current_values,
    field_sizes,
    field_value,
    json_number,
    resolve_layer,
    same,
)
from cnncalc.engine.walk import Analysis
from cnncalc.errors import CnnCalcError, Location
from cnncalc.files import write_atomically
from cnncalc.spec.load import load_text
from cnncalc.spec.network import Network
from cnncalc.spec.reader import DEFAULT_MAX_LAYERS
from cnncalc.spec.source import BOM, STDIN, decode, read_bytes
from cnncalc.spec.sourcemap import locate

Change = tuple[tuple[str, ...], Any]  # a path under [expect] and its new value


def planned_changes(net: Network, analysis: Analysis) -> list[Change]:
    """The expectations whose written value differs from the exact current one."""
    expect = net.expect or {}
    changes: list[Change] = [
        ((key,), value)
        for key, value in current_values(analysis).items()
        if key not in expect or not same(expect[key], value)
    ]
    tables = expect.get("layers")
    if isinstance(tables, dict):
        results = {r.name: r for r in analysis.layers}
        for name, table in tables.items():
            target = resolve_layer(net, results, name)
            if target is None or not isinstance(table, dict):
                continue  # the check reports it
            result = results[target]
            if "output" in table:
                shape = json_number(result.shape)
                if not same(table["output"], shape):
                    changes.append((("layers", name, "output"), shape))
            if "receptive_field" in table and field_sizes(result):
                value = field_value(field_sizes(result), table["receptive_field"])
                if not same(table["receptive_field"], value):
                    changes.append((("layers", name, "receptive_field"), value))
    return changes


def update_file(path: str, max_layers: int = DEFAULT_MAX_LAYERS) -> list[str]:
    """Rewrite one file's expectations; return the names of the networks that changed."""
    from cnncalc.engine.walk import analyze

    if path == "-":
        raise CnnCalcError("--update cannot rewrite standard input; name the file", file=STDIN)
    file, data = read_bytes(path)
    original = decode(data, file)
    text = original
    updated = []
    for net in load_text(original, file, max_layers):
        try:
            analysis = analyze(net)
        except CnnCalcError:
            continue  # an invalid network keeps its file as it is; the check reports why
        if invalid_expectations(net, analysis):
            continue  # so does a mistake in its [expect] table (an unknown key, a bad budget)
        changes = planned_changes(net, analysis)
        if changes:
            text = apply_changes(text, net, changes)
            updated.append(net.name)
    if text != original:
        bom = BOM if data.startswith(BOM.encode()) else ""
        write_atomically(path, bom + text, unchanged=data)
    return updated


def invalid_expectations(net: Network, analysis: Analysis) -> bool:
    """Whether the check would call the network invalid for its [expect] table."""
    if net.expect is None:
        return False
    result = NetworkCheck(net.name, Location(net.file, net.line, net.name))
    Verifier(net, analysis, result).run(net.expect)
    return bool(result.of(ERROR))


# --------------------------------------------------------------------------- rewriting


def dig(data: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def loads(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def apply_changes(text: str, net: Network, changes: list[Change]) -> str:
    """``text`` with the changes made, by the first method whose result parses as intended."""
    prefix = tuple(str(k) for k in net.source_prefix)
    data = tomllib.loads(text)
    target = copy.deepcopy(data)
    expect = dig(target, prefix).setdefault("expect", {})
    for path, value in changes:
        dig(expect, path[:-1])[path[-1]] = copy.deepcopy(value)
    candidates = []
    if "expect" not in dig(data, prefix):
        candidates = [insert_table(text, prefix, changes, at_end) for at_end in (False, True)]
    for candidate in candidates:
        if loads(candidate) == target:
            return candidate
    edited = edit_with_tomlkit(text, prefix, changes)
    if edited is not None and loads(edited) == target:
        return edited
    raise CnnCalcError(
        "cannot write the expectations without changing the rest of the file; "
        "add an [expect] table by hand, then run --update again",
        file=net.file,
        line=net.line,
        network=net.name,
    )


def toml_value(value: Any) -> str:
    import tomlkit

    return str(tomlkit.item(value).as_string())


def toml_key(parts: tuple[str, ...]) -> str:
    import tomlkit

    return ".".join(tomlkit.key(p).as_string() for p in parts)


def insert_table(text: str, prefix: tuple[str, ...], changes: list[Change], at_end: bool) -> str:
    """A new ``[NAME.expect]`` table as text, after the network's own lines (or at the end)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split("\n")
    block = [f"[{toml_key(prefix + ('expect',))}]"]
    block += [f"{toml_key(path)} = {toml_value(value)}" for path, value in changes]
    at = len(lines)  # insert before this 0-based line
    if prefix and not at_end:
        source = locate(text)
        own = max(line for path, line in source.items() if path[:1] == prefix)
        later = [line for path, line in source.items() if path[:1] != prefix and line > own]
        if later:
            at = min(later) - 1
            # Blank lines and comments just above the next table belong to it.
            while at > own and lines[at - 1].strip()[:1] in ("", "#"):
                at -= 1
    before = "\n".join(lines[:at])
    after = "\n".join(lines[at:])
    if at == len(lines):  # at the end of the file
        head = text if text.endswith("\n") or not text else text + newline
        gap = newline if head.strip() and not head.endswith(newline * 2) else ""
        return head + gap + newline.join(block) + newline
    gap = newline if before.strip() and lines[at - 1].strip() else ""
    tail = newline if lines[at].strip() else ""
    return before + "\n" + gap + newline.join(block) + newline + tail + after


def edit_with_tomlkit(text: str, prefix: tuple[str, ...], changes: list[Change]) -> str | None:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import InlineTable

    try:
        doc = tomlkit.parse(text)
        node: Any = dig(doc, prefix)
        if "expect" not in node:
            node["expect"] = tomlkit.inline_table() if isinstance(node, InlineTable) else {}
        expect = node["expect"]
        for path, value in changes:
            dig(expect, path[:-1])[path[-1]] = value
        edited = str(doc.as_string())
    except (TOMLKitError, KeyError, TypeError, ValueError):
        return None
    if "\r\n" in text and text.count("\n") == text.count("\r\n"):
        edited = re.sub(r"(?<!\r)\n", "\r\n", edited)  # tomlkit adds lines with \n
    return edited
