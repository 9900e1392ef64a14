"""One class per block type: literals where its instances agree, else expressions or arguments."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.interop.export_plan import Scope
from cnncalc.interop.torch_layers import Written
from cnncalc.interop.torch_names import RESERVED, Names
from cnncalc.interop.torch_slots import MARK, TORCH_DEFAULTS, literal, render_slot
from cnncalc.spec.expr import evaluate


@dataclass
class Instance:
    """One block instance written with markers, waiting to be merged into its class."""

    k: int  # which network
    scope: Scope
    written: Written
    params: list[str]  # in_channels, then the block's arguments, as parameter names
    args: dict[str, str]  # parameter → the block argument it stands for ("" for in_channels)
    env: dict[str, Any]  # parameter → this instance's value (whole-number arguments)

    @property
    def skeleton(self) -> str:
        w = self.written
        return MARK.sub("{}", "\n".join(w.init + ["--"] + w.forward))


def value_of(expr: str, env: dict[str, Any]) -> Any:
    tree = ast.parse(expr, mode="eval").body
    if isinstance(tree, ast.Tuple):
        return tuple(evaluate(ast.unparse(e), env) for e in tree.elts)
    return evaluate(expr, env)


def same(a: Any, b: Any) -> bool:
    """Equal as torch reads them: 3 and (3, 3) give the same kernel."""
    if isinstance(a, tuple) != isinstance(b, tuple):
        t, v = (a, b) if isinstance(a, tuple) else (b, a)
        return all(x == v for x in t)
    return bool(a == b)


def computes(expr: str | None, values: list[Any], envs: list[dict[str, Any]]) -> bool:
    """Does the expression give every instance's value? (Checked, never assumed.)"""
    if expr is None:
        return False
    try:
        return all(same(value_of(expr, e), v) for e, v in zip(envs, values, strict=True))
    except CnnCalcError:
        return False


def names_in(expr: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}


@dataclass
class Merged:
    params: list[str]  # the constructor's parameters, in order
    types: dict[str, str]
    values: dict[str, list[Any]]  # parameter → each instance's value
    init: list[str]
    forward: list[str]


def merge(group: list[Instance]) -> Merged:
    """The group's shared code: a literal where every instance agrees, else the block's own
    expression when it gives every instance's value, else a constructor parameter."""
    first = group[0]
    envs = [i.env for i in group]
    names = Names(RESERVED | {"x"} | set(first.params))
    texts: list[str] = []
    extra: dict[str, list[Any]] = {}
    used: set[str] = set()
    for j, slot in enumerate(first.written.slots):
        seen = [i.written.slots[j].value for i in group]
        if all(v == seen[0] for v in seen):
            text = seen[0] if slot.kind == "note" else literal(seen[0])
            texts.append(render_slot(slot, text, seen[0] == TORCH_DEFAULTS.get(slot.key)))
        elif slot.kind == "note":
            texts.append("")
        elif computes(slot.expr, seen, envs):
            assert slot.expr is not None
            used |= names_in(slot.expr)
            texts.append(render_slot(slot, slot.expr, False))
        else:
            name = names.claim(slot.name)
            extra[name] = seen
            texts.append(render_slot(slot, name, False))

    def fill(line: str) -> str:
        return MARK.sub(lambda m: texts[int(m.group(1))], line)

    params = [p for p in first.params if p in used] + list(extra)
    values = {p: extra[p] if p in extra else [i.env[p] for i in group] for p in params}
    types = {
        p: "tuple[int, ...]" if any(isinstance(v, tuple) for v in values[p]) else "int"
        for p in params
    }
    init = [fill(line) for line in first.written.init]
    forward = [fill(line) for line in first.written.forward]
    return Merged(params, types, values, init, forward)
