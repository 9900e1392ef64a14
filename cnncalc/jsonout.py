"""JSON text for machines that humans also read: indented objects, lists of numbers on one line."""

from __future__ import annotations

import json
from typing import Any


def is_flat(value: Any) -> bool:
    """A list whose items are scalars or lists of scalars: short enough for one line."""
    return isinstance(value, list) and all(
        not isinstance(v, dict | list) or (isinstance(v, list) and is_flat(v)) for v in value
    )


def dumps(value: Any, indent: int = 0) -> str:
    """Like ``json.dumps(value, indent=2)`` but keeps shapes such as ``[224, 224, 3]`` inline."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        pad = " " * (indent + 2)
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {dumps(v, indent + 2)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and not is_flat(value):
        pad = " " * (indent + 2)
        items = [pad + dumps(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
