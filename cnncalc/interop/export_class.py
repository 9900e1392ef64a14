"""The source text of one generated nn.Module class, its long lines wrapped at 100 columns."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from cnncalc.interop.torch_names import inert


@dataclass
class ClassCode:
    name: str
    doc: list[str]
    params: str  # the constructor's parameters after self
    signature: str  # forward's parameters
    returns: str
    init: list[str]
    forward: list[str]

    def text(self) -> str:
        lines = [f"class {self.name}(nn.Module):"]
        # escaped before wrapping: textwrap turns line breaks into spaces, never splits an escape
        doc = [out for d in self.doc for out in (textwrap.wrap(inert(d), WIDTH - 10) or [""])]
        if len(doc) == 1:
            lines.append(f'    """{doc[0]}"""')
        else:
            lines += ['    """' + doc[0], *[("    " + d).rstrip() for d in doc[1:]], '    """']
        lines += ["", *wrap(f"def __init__({self.params}) -> None:", "    ")]
        lines.append("        super().__init__()")
        lines += [out for line in self.init for out in wrap(line, "        ")]
        lines += ["", *wrap(f"def forward({self.signature}) -> {self.returns}:", "    ")]
        lines += [out for line in self.forward for out in wrap(line, "        ")]
        return "\n".join(lines) + "\n"


WIDTH = 100


def wrap(line: str, indent: str) -> list[str]:
    """A line longer than 100 columns, with its outermost call's arguments one per line."""
    if len(indent + line) <= WIDTH:
        return [indent + line]
    code, hash_, comment = line.partition("  # ")
    open_at = code.find("(")
    depth, parts, start = 0, [], open_at + 1
    for i in range(open_at, len(code)):
        ch = code[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                parts.append(code[start:i].strip())
                tail = code[i:]
                break
        elif ch == "," and depth == 1:
            parts.append(code[start:i].strip())
            start = i + 1
    else:
        return [indent + line]
    if tail.rstrip() not in (")", "):") and not tail.startswith(") ->"):
        return [indent + line]  # not one call: leave it long rather than wrap it badly
    head = code[: open_at + 1]
    note = f"  # {comment}" if hash_ else ""
    return [indent + head + note] + [f"{indent}    {p}," for p in parts if p] + [indent + tail]
