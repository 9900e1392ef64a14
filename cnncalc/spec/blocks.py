"""Blocks: a block's definition, the scope its layers are read in, its arguments substituted."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from cnncalc.layers.values import PADDING_WORDS
from cnncalc.records import record
from cnncalc.spec.sourcemap import Path as SourcePath

WORD_KEYS = frozenset(
    {"type", "name", "inputs", "activation", "share", "mode", "partition", "over", "kv", "to"}
)
# What a block's expressions may read of the block's input: its channels and spatial sizes.
SHAPE_NAMES = ("in_channels", "in_size")


@record(frozen=True)
class Block:
    name: str
    args: dict[str, Any]
    entries: list[Any]
    path: SourcePath

    @cached_property
    def reads_shape(self) -> bool:
        """Does any expression in the block name its input's shape? (Only then is the shape
        worked out while the block is expanded, and each input shape read apart.)"""
        stack: list[Any] = [self.entries]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if any(name in item for name in SHAPE_NAMES):
                    return True
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return False


class Scope:
    """Where entries are being expanded: the top level of a network or a block instance.

    (The expansion's working records are plain slotted classes, not dataclasses: cheaper to
    create for every block copy, and to define when cnncalc starts.)
    """

    __slots__ = ("prefix", "input", "args", "block", "path", "share")

    def __init__(
        self,
        prefix: str = "",  # "" at top level, "<instance>." inside a block
        input: str | None = None,  # what "input" stands for inside a block
        args: Mapping[str, Any] | None = None,
        block: str | None = None,
        path: SourcePath = (),  # source path of the entry list
        share: str | None = None,  # instance whose weights every layer here reuses
    ) -> None:
        self.prefix = prefix
        self.input = input
        self.args: Mapping[str, Any] = {} if args is None else args
        self.block = block
        self.path = path
        self.share = share


def substitute(value: Any, key: str, args: Mapping[str, Any]) -> Any:
    """Replace block arguments in one value: a bare name, or an arithmetic expression."""
    from cnncalc.spec.expr import evaluate

    if isinstance(value, list):
        return [substitute(v, key, args) for v in value]
    if not isinstance(value, str):
        return value
    if value in args:
        return args[value]
    if key in WORD_KEYS or value in PADDING_WORDS:
        return value
    return evaluate(value, args)
