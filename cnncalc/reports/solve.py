"""``cnncalc solve``: the values of each size symbol for which the network reads every pixel.

The symbolic engine gives every size as an exact formula. Each layer then
adds a condition: a window reads the last row (``unread <= 0``), an output is
at least 1, merged sizes are equal, a reshape divides evenly. A size after
floor-divisions is periodic in the input size, so a condition in one symbol is
settled exactly by evaluating it over one period; the congruence classes that
pass are the answer. Symbols that a merge ties together (``h = ⌈H/2⌉``) are
eliminated first; what still ties several symbols is searched, within a bound.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from math import lcm
from typing import Any

from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.layers.base import AXIS_NAMES
from cnncalc.symbolic.arith import product
from cnncalc.symbolic.bounds import bounds
from cnncalc.symbolic.factoring import separate
from cnncalc.symbolic.formula import Formula, Value, Var, compile_value, mod, symbols_of
from cnncalc.symbolic.periods import period, slope
from cnncalc.symbolic.substitute import substitute
from cnncalc.symbolic.text import readable

MAX_MODULUS = 1 << 16  # residues are combined exactly up to this modulus
MAX_SEARCH = 100_000  # values (or tuples) tried when no exact method applies
MAX_VALUE = 1 << 64  # sizes beyond this are not searched
JOINT_CANDIDATES = 300  # per symbol, when several symbols must be searched together

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
        )


@dataclass
class Congruence:
    """The values X with X mod modulus in residues."""

    modulus: int
    residues: list[int]

    def contains(self, x: int) -> bool:
        return x % self.modulus in self.residues


@dataclass
class SymbolSolution:
    name: str
    min_size: int | None = None  # smallest value for which every output is at least 1
    valid: Congruence | None = None  # the values that read every pixel (when periodic)
    finite: list[int] | None = None  # ... or the only values that do
    values: list[int] = field(default_factory=list)  # the first valid values
    complete: bool = True  # False: the search gave up before it was sure
    note: str = ""
    tied: list[str] = field(default_factory=list)  # searched together with these symbols


@dataclass
class Relation:
    """A symbol that the network fixes in terms of others: ``h = ⌈H/2⌉``."""

    symbol: str
    value: Value
    layer: str


@dataclass
class JointSolution:
    """Symbols tied by a condition that no elimination could untie, searched together."""

    symbols: list[str]
    values: list[tuple[int, ...]]
    complete: bool
    note: str


@dataclass
class NetworkSolution:
    name: str
    input: Any
    symbols: list[SymbolSolution]
    relations: list[Relation]
    joint: list[JointSolution]
    conditions: list[tuple[Condition, str]]  # each with when it holds, as text

    @property
    def solvable(self) -> bool:
        alone = all(s.values or s.tied for s in self.symbols)
        return alone and all(j.values for j in self.joint)


# --------------------------------------------------------------------------- conditions


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
    if kind in ("add", "concat") and r.input_shapes:
        first = r.input_shapes[0]
        axes = len(first) - (1 if kind == "concat" else 0)
        for other in r.input_shapes[1:]:
            for a in range(min(axes, len(other))):
                d = other[a] - first[a]
                if isinstance(d, Formula):
                    merged = AXIS_NAMES.get(len(first) - 1, ())
                    out.append(
                        Condition(
                            r.name,
                            "match",
                            merged[a] if a < len(merged) else None,
                            d,
                            "= 0",
                            f"{readable(first[a])} = {readable(other[a])}",
                        )
                    )
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


def size_factors(s: Formula) -> list[Formula]:
    """A product of sizes (after flatten) is at least 1 when each factor is: test those,
    so that H and W stay separate questions."""
    split = separate(s)
    if split is None or split[2] or split[0] <= 0:
        return [s]
    return split[1]


# --------------------------------------------------------------------------- one symbol


def threshold(c: Condition, name: str) -> int | None:
    """Smallest X >= 1 with c true, for a condition that stays true once true (sizes grow)."""
    if c.holds({name: 1}):
        return 1
    lo, hi = 1, 2
    while not c.holds({name: hi}):
        lo, hi = hi, hi * 2
        if hi > MAX_VALUE:
            return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if c.holds({name: mid}):
            hi = mid
        else:
            lo = mid
    return hi


def residues(c: Condition, name: str, p: int) -> set[int]:
    return {r for r in range(p) if c.holds({name: r + p})}


def roots(c: Condition, name: str, p: int, s: Any) -> set[int]:
    """Solutions X >= 1 of value(X) = 0 for a value that grows with slope s != 0."""
    found = set()
    for r in range(p):
        x1 = r + p
        v = c.run({name: x1})
        x = x1 - v / s
        if x == int(x) and x >= 1 and int(x) % p == r and c.holds({name: int(x)}):
            found.add(int(x))
    return found


def smallest_modulus(modulus: int, valid: list[int]) -> Congruence:
    """The same set of values written with the smallest modulus that describes it."""
    chosen = set(valid)
    for d in range(1, modulus + 1):
        if modulus % d:
            continue
        reduced = {r % d for r in chosen}
        if len(reduced) * (modulus // d) == len(chosen):
            return Congruence(d, sorted(reduced))
    return Congruence(modulus, sorted(chosen))


def solve_symbol(name: str, conds: list[Condition], count: int) -> SymbolSolution:
    out = SymbolSolution(name)
    sizes = [c for c in conds if c.relation == ">= 1"]
    others = [c for c in conds if c.relation != ">= 1"]
    lowest = 1
    for c in sizes:
        t = threshold(c, name)
        if t is None:
            out.note = f"no value of {name} gives {c.layer} an output of at least 1 ({c.text})"
            out.complete = True
            return out
        lowest = max(lowest, t)
    out.min_size = lowest
    periodic: list[tuple[Condition, int, set[int]]] = []
    direct: list[Condition] = []  # no usable period: evaluated value by value
    finite: set[int] | None = None
    for c in others:
        s = slope(c.value, name)
        p = period(c.value, name)
        if s is None or p is None or p > MAX_MODULUS or (s != 0 and c.relation != "= 0"):
            direct.append(c)
        elif s == 0:
            periodic.append((c, p, residues(c, name, p)))
        else:
            sols = roots(c, name, p, s)
            finite = sols if finite is None else finite & sols
    if finite is not None:
        values = sorted(x for x in finite if x >= lowest and all(c.holds({name: x}) for c in conds))
        out.finite = values
        out.values = values[:count]
        if not values:
            out.note = finite_conflict(name, others, lowest)
        return out
    modulus = lcm(1, *(p for _, p, _ in periodic))
    if direct or modulus > MAX_MODULUS:
        return search_symbol(out, name, periodic, direct, count, modulus)
    valid = [r for r in range(modulus) if all(r % p in rs for _, p, rs in periodic)]
    if not valid:
        out.valid = Congruence(modulus, [])
        out.note = conflict(name, periodic)
        return out
    out.valid = smallest_modulus(modulus, valid)
    out.values = first_values(out.valid, lowest, count)
    return out


def first_values(c: Congruence, lowest: int, count: int) -> list[int]:
    """The first ``count`` members of a congruence that are at least ``lowest``."""
    found: list[int] = []
    base = lowest - lowest % c.modulus
    while len(found) < count:
        found.extend(x for x in (base + r for r in c.residues) if x >= lowest)
        base += c.modulus
    return found[:count]


def conflict(name: str, periodic: list[tuple[Condition, int, set[int]]]) -> str:
    """Name the first condition that leaves no value, with the ones before it."""
    modulus, alive = 1, [0]
    for c, p, rs in periodic:
        m = lcm(modulus, p)
        alive = [r for r in range(m) if r % modulus in set(alive) and r % p in rs]
        modulus = m
        if not alive:
            where = f"{c.layer}" + (f" on axis {c.axis}" if c.axis else "")
            if len(rs) == 0:
                return f"no value of {name} works: {where} never {verb(c)}"
            return (
                f"no value of {name} works: {where} {verb(c)} only when "
                f"{congruence_text(name, smallest_modulus(p, sorted(rs)))}, "
                "which the layers before it rule out"
            )
    return f"no value of {name} satisfies every condition"


def finite_conflict(name: str, conds: list[Condition], lowest: int) -> str:
    """Why an equation's few solutions are no use: too small, or ruled out elsewhere."""
    for c in conds:
        s, p = slope(c.value, name), period(c.value, name)
        if c.relation != "= 0" or not s or p is None or p > MAX_MODULUS:
            continue
        sols = sorted(roots(c, name, p, s))
        if not sols:
            return f"no value of {name} works: {c.layer} needs {c.text}, which never holds"
        shown = " or ".join(f"{name} = {x}" for x in sols)
        if all(x < lowest for x in sols):
            return (
                f"no value of {name} works: {c.layer} needs {c.text}, which holds only for "
                f"{shown}, below the smallest size {lowest}"
            )
        return (
            f"no value of {name} works: {c.layer} needs {c.text}, which holds only for {shown}, "
            "and other layers rule that out"
        )
    return f"no value of {name} satisfies every condition"


def verb(c: Condition) -> str:
    if c.kind == "unread":
        return "reads every input pixel"
    return f"has {c.text}"


def search_symbol(
    out: SymbolSolution,
    name: str,
    periodic: list[tuple[Condition, int, set[int]]],
    direct: list[Condition],
    count: int,
    modulus: int,
) -> SymbolSolution:
    """No exact answer within the bounds: try candidates in increasing order, at most
    MAX_SEARCH of them. Candidates step through the residues of the condition with the
    longest period, so a sparse answer (multiples of 2**17) is still reached quickly."""
    lowest = out.min_size or 1
    periodic = sorted(periodic, key=lambda item: -item[1])
    if periodic:
        step, allowed = periodic[0][1], sorted(periodic[0][2])
    else:
        step, allowed = 1, [0]
    tried = 0
    base = lowest - lowest % step
    x = lowest
    while len(out.values) < count and tried < MAX_SEARCH and allowed and base <= MAX_VALUE:
        for r in allowed:
            x = base + r
            if x < lowest:
                continue
            tried += 1
            ok = all(x % p in rs for _, p, rs in periodic[1:])
            if ok and all(c.holds({name: x}) for c in direct):
                out.values.append(x)
                if len(out.values) >= count:
                    break
            if tried >= MAX_SEARCH:
                break
        base += step
    out.complete = len(out.values) >= count
    if not out.complete:
        found = "none" if not out.values else f"only {len(out.values)}"
        out.note = (
            f"searched {tried:,} candidate values of {name} from {lowest} to {x} and found "
            f"{found}; gave up"
        )
    elif modulus > MAX_MODULUS:
        out.note = (
            f"the valid values of {name} repeat every {modulus:,}; first ones found by search"
        )
    return out


# --------------------------------------------------------------------------- several symbols


def eliminate(conds: list[Condition], order: list[str]) -> tuple[list[Condition], list[Relation]]:
    """Use each equality ``±Y + f = 0`` with a bare symbol Y to express Y through the others."""
    relations: list[Relation] = []
    while True:
        found = None
        for c in conds:
            if c.relation != "= 0" or not isinstance(c.value, Formula) or c.kind == "reshape":
                continue
            for name in sorted(c.symbols(), key=order.index, reverse=True):
                coeff = bare_coefficient(c.value, name)
                if coeff is not None:
                    found = (c, name, (c.value - coeff * symbol_formula(name)) * -coeff)
                    break
            if found:
                break
        if found is None:
            return conds, relations
        c, name, value = found
        relations = [
            Relation(r.symbol, substitute(r.value, {name: value}), r.layer) for r in relations
        ]
        relations.append(Relation(name, value, c.layer))
        conds = [x.substituted({name: value}) for x in conds if x is not c]
        conds.append(
            Condition(c.layer, "positive", None, value, ">= 1", f"{name} = {readable(value)} ≥ 1")
        )
        conds = [x for x in conds if x.certain() is not True]


def symbol_formula(name: str) -> Formula:
    return Formula.symbol(name)


def bare_coefficient(f: Formula, name: str) -> int | None:
    """±1 when ``name`` appears in f only as the term ±name, else None."""
    mono = ((Var(name), 1),)
    c = f.terms.get(mono)
    if c is None or abs(c) != 1:
        return None
    for other in f.terms:
        if other != mono and any(name in a.symbols() for a, _ in other):
            return None
    return int(c)


def components(names: list[str], conds: list[Condition]) -> list[list[str]]:
    parent = {n: n for n in names}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    for c in conds:
        syms = [s for s in c.symbols() if s in parent]
        for s in syms[1:]:
            parent[root(s)] = root(syms[0])
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(root(n), []).append(n)
    return list(groups.values())


def solve_joint(
    names: list[str], conds: list[Condition], own: dict[str, SymbolSolution], count: int
) -> JointSolution:
    """Search tuples of each symbol's own valid values, smallest sum first (best-first)."""
    lists = [own[n].values for n in names]
    shared = [c for c in conds if len(c.symbols()) > 1]
    found: list[tuple[int, ...]] = []
    if all(lists):
        start = (0,) * len(lists)
        heap = [(sum(x[0] for x in lists), tuple(x[0] for x in lists), start)]
        seen = {start}
        tried = 0
        while heap and len(found) < count and tried < MAX_SEARCH:
            _, values, index = heapq.heappop(heap)
            tried += 1
            if all(c.holds(dict(zip(names, values, strict=True))) for c in shared):
                found.append(values)
            for i in range(len(index)):
                if index[i] + 1 < len(lists[i]):
                    nxt = index[:i] + (index[i] + 1,) + index[i + 1 :]
                    if nxt not in seen:
                        seen.add(nxt)
                        vals = tuple(lists[k][j] for k, j in enumerate(nxt))
                        heapq.heappush(heap, (sum(vals), vals, nxt))
    if len(found) >= count:
        return JointSolution(names, found, True, "")
    note = (
        f"searched combinations of the first {JOINT_CANDIDATES} valid values of "
        + " and ".join(names)
        + f" and found {len(found) or 'none'}; gave up"
    )
    return JointSolution(names, found, False, note)


# --------------------------------------------------------------------------- the network


def input_symbols(a: Analysis) -> list[str]:
    return symbols_of(s for shape in a.network.inputs.values() for s in shape)


def solve(a: Analysis, count: int = 5) -> NetworkSolution:
    from cnncalc.reports.tables import number

    names = input_symbols(a)
    conds = [c for c in collect(a) if c.certain() is not True]
    conds, relations = eliminate(conds, names)
    tied = {r.symbol for r in relations}
    free = [n for n in names if n not in tied]
    inputs = {k: number(v) for k, v in a.network.inputs.items()}
    shown_input = next(iter(inputs.values())) if len(inputs) == 1 else inputs
    never = [c for c in conds if c.certain() is False]
    own = {n: solve_symbol(n, [c for c in conds if c.symbols() == {n}], count) for n in free}
    joint = []
    for group in components(free, conds):
        if len(group) > 1:
            wide = {
                n: solve_symbol(n, [c for c in conds if c.symbols() == {n}], JOINT_CANDIDATES)
                for n in group
            }
            joint.append(solve_joint(group, conds, wide, count))
            for n in group:
                own[n].tied = [m for m in group if m != n]
                own[n].values, own[n].valid, own[n].finite = [], None, None
    if never:
        for s in own.values():
            c = next((c for c in never if s.name in c.symbols() or c.axis == s.name), never[0])
            where = c.layer + (f" on axis {c.axis}" if c.axis else "")
            s.note = f"no value of {s.name} works: {where} never {verb(c)}, whatever the size"
            s.values, s.valid, s.finite = [], Congruence(1, []), None
        for j in joint:
            j.values = []
    shown: set[str] = set()
    described = [(c, holds_when(c)) for c in conds if binding(c, own, shown)]
    return NetworkSolution(
        a.network.name, shown_input, [own[n] for n in free], relations, joint, described
    )


def binding(c: Condition, own: dict[str, SymbolSolution], shown: set[str]) -> bool:
    """Size conditions are many and alike: keep the first that sets a symbol's smallest size."""
    if c.relation != ">= 1" or len(c.symbols()) != 1:
        return True
    (name,) = c.symbols()
    s = own.get(name)
    if name in shown or s is None or s.min_size is None or threshold(c, name) != s.min_size:
        return False
    shown.add(name)
    return True


def holds_when(c: Condition) -> str:
    """When one condition holds, as text: ``H ≡ 0 (mod 2)``, ``H ≥ 32``."""
    syms = sorted(c.symbols())
    verdict = c.certain()
    if verdict is not None:
        return "always" if verdict else "never"
    if len(syms) != 1:
        return c.text
    name = syms[0]
    if c.relation == ">= 1":
        t = threshold(c, name)
        return "never" if t is None else f"{name} ≥ {t}"
    s, p = slope(c.value, name), period(c.value, name)
    if s is None or p is None or p > MAX_MODULUS:
        return c.text
    if s == 0:
        rs = residues(c, name, p)
        return congruence_text(name, smallest_modulus(p, sorted(rs)))
    if c.relation == "= 0":
        sols = sorted(roots(c, name, p, s))
        return "never" if not sols else " or ".join(f"{name} = {x}" for x in sols)
    return c.text


def congruence_text(name: str, c: Congruence) -> str:
    """``H ≡ 0 (mod 32)``, ``H ≡ 1, 2, 3 or 4 (mod 32)``, ``every H``, ``no H``."""
    if not c.residues:
        return f"no {name}"
    if c.modulus == 1:
        return f"every {name}"
    rs = c.residues
    if len(rs) > 6 and c.modulus - len(rs) < len(rs):
        missing = [r for r in range(c.modulus) if r not in rs]
        return f"{name} ≢ {listing(missing)} (mod {c.modulus})"
    return f"{name} ≡ {listing(rs)} (mod {c.modulus})"


def listing(items: list[int]) -> str:
    """``0``, ``1 or 3``, ``1, 2, 3 or 4``; a run of five or more as ``0–15``."""
    words: list[str] = []
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        if j - i >= 4:
            words.append(f"{items[i]}–{items[j]}")
        else:
            words.extend(str(x) for x in items[i : j + 1])
        i = j + 1
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
