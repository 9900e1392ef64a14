"""The parsed network: nodes in file order, with names and source lines, before any analysis."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from cnncalc.layers.base import Layer, Shape
from cnncalc.records import record
from cnncalc.spec.sourcemap import SourceLines

NO_TEXT = SourceLines("")  # the source of a network built in memory: no line numbers


@record(frozen=True)
class Node:
    """One layer instance after blocks and ``repeat`` are expanded."""

    name: str
    layer: Layer
    inputs: tuple[str, ...]  # names as written (resolved by the engine through ``aliases``)
    path: tuple[str | int, ...] = ()  # source path of the entry, for the line of each key
    activation: str | None = None
    share: str | None = None
    block: str | None = None  # the enclosing block instance, e.g. "layer1_2"; None at top level
    source: SourceLines = field(default=NO_TEXT, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return self.layer.type_label()

    @property
    def line(self) -> int | None:
        """The line of the entry this node comes from (the file is scanned for it on demand)."""
        return self.source.line(self.path)


@record
class Network:
    name: str
    inputs: dict[str, Shape]
    nodes: list[Node]
    file: str = "<input>"
    outputs: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # block instance or repeat → last node
    blocks: dict[str, str] = field(default_factory=dict)  # block instance → its block type
    block_args: dict[str, dict[str, Any]] = field(default_factory=dict)  # instance → arguments
    # block instance, or layer inside a block → its entry as written, before substitution
    written: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] | None = None
    source_lines: SourceLines = field(default=NO_TEXT, repr=False, compare=False)
    source_prefix: tuple[str | int, ...] = ()

    @property
    def line(self) -> int | None:
        """The line of the network's table (of its layers list for a file of one network)."""
        return self.source_lines.line(self.source_prefix or ("layers",))

    def line_at(self, *path: str | int) -> int | None:
        """Line of a key under this network's table, or of its nearest enclosing entry."""
        full = self.source_prefix + path
        while full:
            if full in self.source_lines:
                return self.source_lines[full]
            full = full[:-1]
        return self.line
