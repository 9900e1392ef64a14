"""The conditions a network puts on its size symbols, layer by layer, for ``cnncalc solve``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.layers.base import AXIS_NAMES
from cnncalc.symbolic.arith import product
from cnncalc.symbolic.bounds import bounds
from cnncalc.symbolic.factoring import separate
from cnncalc.symbolic.formula import Formula, Value, compile_value, mod
from cnncalc.symbolic.substitute import substitute
from cnncalc.symbolic.text import readable

Env = Mapping[str, int]


@dataclass
class Condition:
    """One requirement on the symbols, from one layer (and axis)."""

    layer: str
    kind: str  # unread, size, match, reshape, groups, positive
    axis: str | None
    value: Value  # the formula the relation is about
    relation: str  # "<= 0", ">= 1" or "= 0"
    text: str  # what it says, for people
    factors: tuple[Value, ...] = ()  # the value as a product, when it is one ("= 0": any is)
    run: Callable[[Env], Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.run = compile_value(self.value)

    def symbols(self) -> frozenset[str]:
        return self.value.symbols() if isinstance(self.value, Formula) else frozenset()

    def holds(self, env: Env) -> bool:
        v = self.run(env)
        if self.relation == "<= 0":
            return bool(v <= 0)
        if self.relation == ">= 1":
            return bool(v >= 1)
        return bool(v == 0)

    def certain(self) -> bool | None:
        """True or False when the condition holds for every value or for none; else None."""
        lo, hi = bounds(self.value)
        above = lo is not None and lo > 0  # certainly positive
        below = hi is not None and hi < 0  # certainly negative
        if self.relation == "<= 0":
            always, never = hi is not None and hi <= 0, above
        elif self.relation == ">= 1":
            always, never = lo is not None and lo >= 1, hi is not None and hi < 1
        else:
            always, never = lo == 0 and hi == 0, above or below
        if always:
            return True
        return False if never else None

    def substituted(self, values: Mapping[str, Value]) -> Condition:
        return Condition(
            self.layer,
            self.kind,
            self.axis,
            substitute(self.value, values),
            self.relation,
            self.text,
            tuple(substitute(f, values) for f in self.factors),
        )


def collect(a: Analysis) -> list[Condition]:
    """Every condition the layers put on the symbols, in layer order, without duplicates."""
    found: list[Condition] = []
    seen: set[tuple[str, Any]] = set()

    def add(c: Condition) -> None:
        k = (c.kind + c.relation, c.value.key if isinstance(c.value, Formula) else c.axis)
        if k not in seen and (isinstance(c.value, Formula) or not c.holds({})):
            seen.add(k)
            found.append(c)

    for r in a.layers:
        for c in layer_conditions(r):
            add(c)
    return found


def layer_conditions(r: LayerResult) -> list[Condition]:
    out: list[Condition] = []
    kind = r.node.kind
    shape = r.shape
    n = len(shape) - 1
    names = AXIS_NAMES.get(n, ())
    window = r.effect.window
    if kind in ("conv", "pool") and window is not None:
        for a, w in enumerate(window):
            unread = w.size + w.pad_start - ((w.out - 1) * w.stride + w.eff)
            if isinstance(unread, Formula) or unread > 0:
                axis = names[a] if a < len(names) else str(a)
                text = f"reads all of {readable(w.size)}: window {w.eff}, stride {w.stride}"
                if w.pad_start != 0 or w.pad_end != 0:
                    text += f", padding {readable(w.pad_start)}+{readable(w.pad_end)}"
                out.append(Condition(r.name, "unread", axis, unread, "<= 0", text))
    for s in shape:
        if isinstance(s, Formula):
            for factor in size_factors(s):
                text = f"{readable(factor)} ≥ 1"
                syms = sorted(factor.symbols())
                size_axis = syms[0] if len(syms) == 1 else None
                out.append(Condition(r.name, "size", size_axis, factor, ">= 1", text))
    if kind in ("add", "multiply", "concat") and r.input_shapes:
        out.extend(merge_conditions(r))
    if kind == "param" and getattr(r.node.layer, "mode", "") == "add" and r.input_shapes:
        x, p = r.input_shapes[0], getattr(r.node.layer, "shape", ())
        for a, s in enumerate(p):
            d = x[len(x) - len(p) + a] - s
            if s != 1 and isinstance(d, Formula):  # the param broadcasts into the input
                text = f"{readable(x[len(x) - len(p) + a])} = {s}"
                out.append(Condition(r.name, "match", axis_name(len(x), a), d, "= 0", text))
    if kind == "reshape" and r.input_shapes:
        total = product(r.input_shapes[0])
        target = getattr(r.node.layer, "shape", ())
        known = product(s for s in target if s != -1)
        if isinstance(total, Formula):
            if -1 in target:
                text = f"{readable(total)} is a multiple of {known}"
                out.append(Condition(r.name, "reshape", None, mod(total, known), "= 0", text))
            else:
                text = f"{readable(total)} = {known}"
                out.append(Condition(r.name, "reshape", None, total - known, "= 0", text))
    groups = getattr(r.node.layer, "groups", 1)
    if kind in ("conv", "conv_transpose") and groups > 1 and r.input_shapes:
        c = r.input_shapes[0][-1]
        if isinstance(c, Formula):
            text = f"{readable(c)} is a multiple of groups = {groups}"
            out.append(Condition(r.name, "groups", None, mod(c, groups), "= 0", text))
    return out


def axis_name(rank: int, a: int) -> str | None:
    names = AXIS_NAMES.get(rank - 1, ())
    return names[a] if a < len(names) else None


def merge_conditions(r: LayerResult) -> list[Condition]:
    """Merged sizes that match: concat's equal on every axis but the channels; add's and
    multiply's equal or 1, pair by pair, with a flat ``[C]`` as ``[1, …, 1, C]``."""
    out: list[Condition] = []
    ins = list(r.input_shapes)
    if r.node.kind == "concat":
        pairs = [(ins[0], other) for other in ins[1:]]
        axes = len(ins[0]) - 1
    else:
        axes = max(len(s) for s in ins)
        ins = [(1,) * (axes - len(s)) + tuple(s) for s in ins]
        pairs = [(x, y) for i, x in enumerate(ins) for y in ins[i + 1 :]]
    for first, other in pairs:
        for a in range(min(axes, len(other))):
            d = other[a] - first[a]
            text = f"{readable(first[a])} = {readable(other[a])}"
            factors: tuple[Value, ...] = ()
            if r.node.kind != "concat":  # a size of 1 matches any other: W and W − 1 at W = 2
                factors = (d, first[a] - 1, other[a] - 1)
                d = d * factors[1] * factors[2]
                text += " (or either is 1)"
            if isinstance(d, Formula):
                axis = axis_name(len(first), a)
                out.append(Condition(r.name, "match", axis, d, "= 0", text, factors))
    return out


def size_factors(s: Formula) -> list[Formula]:
    """A product of sizes (after flatten) is at least 1 when each factor is: test those,
    so that H and W stay separate questions."""
    split = separate(s)
    if split is None or split[2] or split[0] <= 0:
        return [s]
    return split[1]
