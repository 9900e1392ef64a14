"""Numbers in the generated code: slots kept apart until a block's instances merge, as literals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cnncalc.interop.torch_names import inert

TORCH_DEFAULTS = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1, "groups": 1}


def literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


@dataclass(frozen=True)
class Slot:
    """A number in the code of a block instance, kept apart until the instances are merged.

    ``kind``: "value" (a number or tuple), "splat" (items of an argument list), "option"
    (``, key=value``, left out where every instance has torch's default), "note" (a
    comment, kept where every instance has the same).
    """

    value: Any
    name: str  # the constructor argument it becomes if it differs and no expression fits
    expr: str | None = None  # a Python expression over the block's arguments
    kind: str = "value"
    key: str = ""


MARK = re.compile("\x00(\\d+)\x00")


def render_alone(slot: Slot) -> str:
    """A slot of a scope written once: its value as a literal."""
    text = slot.value if slot.kind == "note" else literal(slot.value)
    return render_slot(slot, text, slot.value == TORCH_DEFAULTS.get(slot.key))


def render_slot(slot: Slot, text: str, at_default: bool) -> str:
    if slot.kind == "note":
        return f"  # {inert(text)}" if text else ""
    if slot.kind == "option":
        return "" if at_default else f", {slot.key}={text}"
    if slot.kind == "splat":
        if isinstance(slot.value, tuple) and text == literal(slot.value):
            return ", ".join(literal(v) for v in slot.value)
        return "*" + text
    return text
