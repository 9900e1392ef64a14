"""The parsed network: nodes in file order, with names and source lines, before any analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnncalc.layers.base import Layer, Shape


@dataclass(frozen=True)
class Node:
    """One layer instance after blocks and ``repeat`` are expanded."""

    name: str
    layer: Layer
    inputs: tuple[str, ...]  # names as written (resolved by the engine through ``aliases``)
    line: int | None = None
    path: tuple[str | int, ...] = ()  # source path of the entry, for the line of each key
    activation: str | None = None
    share: str | None = None
    block: str | None = None  # the enclosing block instance, e.g. "layer1_2"; None at top level

    @property
    def kind(self) -> str:
        return self.layer.type_label()


@dataclass
class Network:
    name: str
    inputs: dict[str, Shape]
    nodes: list[Node]
    file: str = "<input>"
    line: int | None = None
    outputs: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # block instance or repeat → last node
    blocks: dict[str, str] = field(default_factory=dict)  # block instance → its block type
    block_args: dict[str, dict[str, Any]] = field(default_factory=dict)  # instance → arguments
    # block instance, or layer inside a block → its entry as written, before substitution
    written: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] | None = None
    source_lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    source_prefix: tuple[str | int, ...] = ()

    def line_at(self, *path: str | int) -> int | None:
        """Line of a key under this network's table, or of its nearest enclosing entry."""
        full = self.source_prefix + path
        while full:
            if full in self.source_lines:
                return self.source_lines[full]
            full = full[:-1]
        return self.line
