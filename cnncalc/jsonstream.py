"""The JSON report written in pieces: the same text as ``json.dumps(doc, indent=2)``.

A 100,000-layer report is about 90 MB of text; building it as one string (and the
list of pieces before it) would need several times that in memory.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

PIECES = 8192  # encoder pieces joined per write


def write_json(doc: Any, out: TextIO) -> None:
    """Write ``json.dumps(doc, indent=2, ensure_ascii=False)`` and a newline to ``out``."""
    parts: list[str] = []
    for piece in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(doc):
        parts.append(piece)
        if len(parts) >= PIECES:
            out.write("".join(parts))
            parts.clear()
    parts.append("\n")
    out.write("".join(parts))
