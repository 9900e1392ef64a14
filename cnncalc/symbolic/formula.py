"""Exact formulas over size symbols: polynomials whose atoms are symbols, floors, min and max.

A size after a chain of convolutions is a nested floor of the input size; the
engine needs to add, multiply, floor-divide and compare such values exactly,
fast, and in a canonical form so that two paths giving the same size give the
same formula. ``floordiv`` keeps every floor as ``floor((Y + r) / m)`` with
``0 <= r < m``, content-free ``Y`` and merged nesting, so ``⌈⌈H/2⌉/2⌉`` is
``⌈H/4⌉``. Formulas never import sympy; ``formula_text`` prints them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from functools import lru_cache
from math import gcd, inf, lcm
from typing import Any, TypeAlias

Number: TypeAlias = "int | Fraction"
Value: TypeAlias = "int | Fraction | Formula"
Mono = tuple[tuple["Atom", int], ...]  # atoms with powers, sorted by atom key
Key = tuple[Any, ...]

MAX_PERIOD_SCAN = 4096  # exact range of a one-symbol formula is found by scanning one period


class Atom:
    """A factor that is not a number: a symbol, a floor, a min or a max."""

    __slots__ = ("key", "_hash")
    key: Key
    _hash: int

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Atom) and self.key == other.key

    def __hash__(self) -> int:
        return self._hash

    def symbols(self) -> frozenset[str]:
        raise NotImplementedError

    def evaluate(self, env: Mapping[str, int]) -> Number:
        raise NotImplementedError


class Var(Atom):
    """A positive integer symbol such as H."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = (0, name)
        self._hash = hash(self.key)

    def symbols(self) -> frozenset[str]:
        return frozenset((self.name,))

    def evaluate(self, env: Mapping[str, int]) -> Number:
        return env[self.name]


class Floor(Atom):
    """floor(inner / m): ``inner`` has integer coefficients and a constant in [0, m)."""

    __slots__ = ("inner", "m")

    def __init__(self, inner: Formula, m: int) -> None:
        self.inner = inner
        self.m = m
        self.key = (1, m, inner.key)
        self._hash = hash(self.key)

    def symbols(self) -> frozenset[str]:
        return self.inner.symbols()

    def evaluate(self, env: Mapping[str, int]) -> Number:
        v = self.inner.evaluate(env)
        return v // self.m if type(v) is int else floor_fraction(Fraction(v) / self.m)


class Extreme(Atom):
    """min or max of two or more values that no bound could order."""

    __slots__ = ("args", "is_max")

    def __init__(self, args: tuple[Value, ...], is_max: bool) -> None:
        self.args = args
        self.is_max = is_max
        self.key = (2, is_max, tuple(value_key(a) for a in args))
        self._hash = hash(self.key)

    def symbols(self) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for a in self.args:
            if isinstance(a, Formula):
                found |= a.symbols()
        return found

    def evaluate(self, env: Mapping[str, int]) -> Number:
        values = [evaluate(a, env) for a in self.args]
        return max(values) if self.is_max else min(values)


def floor_fraction(v: Fraction) -> int:
    return v.numerator // v.denominator


def value_key(v: Value) -> Key:
    if isinstance(v, Formula):
        return v.key
    return (((), Fraction(v)),)


# --------------------------------------------------------------------------- the formula


class Formula:
    """A polynomial with rational coefficients over atoms; never a plain number.

    Operations return an ``int`` (or a ``Fraction``) whenever the result is a
    constant, so numbers stay numbers through the engine.
    """

    __slots__ = ("terms", "key", "_hash", "_symbols")

    def __init__(self, terms: dict[Mono, Fraction]) -> None:
        self.terms = terms
        self.key: Key = tuple(sorted(((mono_key(m), c) for m, c in terms.items())))
        self._hash = hash(self.key)
        self._symbols: frozenset[str] | None = None

    # ----- construction

    @staticmethod
    def symbol(name: str) -> Formula:
        return Formula({((Var(name), 1),): Fraction(1)})

    def symbols(self) -> frozenset[str]:
        if self._symbols is None:
            found: frozenset[str] = frozenset()
            for mono in self.terms:
                for atom, _ in mono:
                    found |= atom.symbols()
            self._symbols = found
        return self._symbols

    def constant(self) -> Fraction:
        return self.terms.get((), Fraction(0))

    # ----- arithmetic

    def __add__(self, other: Any) -> Value:
        if not isinstance(other, int | Fraction | Formula):
            return NotImplemented
        return make(add_terms(self.terms, terms_of(other)))

    __radd__ = __add__

    def __neg__(self) -> Value:
        return make({m: -c for m, c in self.terms.items()})

    def __sub__(self, other: Any) -> Value:
        if not isinstance(other, int | Fraction | Formula):
            return NotImplemented
        return make(add_terms(self.terms, terms_of(other), -1))

    def __rsub__(self, other: Any) -> Value:
        if not isinstance(other, int | Fraction):
            return NotImplemented
        return make(add_terms(terms_of(other), self.terms, -1))

    def __mul__(self, other: Any) -> Value:
        if isinstance(other, int | Fraction):
            if other == 0:
                return 0
            return make({m: c * other for m, c in self.terms.items()})
        if not isinstance(other, Formula):
            return NotImplemented
        out: dict[Mono, Fraction] = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                m = mono_mul(m1, m2)
                out[m] = out.get(m, Fraction(0)) + c1 * c2
        return make(out)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Value:
        if not isinstance(other, int | Fraction) or other == 0:
            return NotImplemented
        return make({m: c / other for m, c in self.terms.items()})

    def __floordiv__(self, other: Any) -> Value:
        if type(other) is not int or other < 1:
            return NotImplemented
        return floordiv(self, other)

    def __rfloordiv__(self, other: Any) -> Value:
        return NotImplemented

    def __mod__(self, other: Any) -> Value:
        if type(other) is not int or other < 1:
            return NotImplemented
        return self - other * floordiv(self, other)

    # ----- comparison: structural equality, order only where it is certain

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and self.key == other.key

    def __hash__(self) -> int:
        return self._hash

    def __lt__(self, other: Any) -> bool:
        return decide(self - other, "<")

    def __le__(self, other: Any) -> bool:
        return decide(self - other, "<=")

    def __gt__(self, other: Any) -> bool:
        return decide(other - self, "<")

    def __ge__(self, other: Any) -> bool:
        return decide(other - self, "<=")

    # ----- values

    def evaluate(self, env: Mapping[str, int]) -> Number:
        total: Number = 0
        for mono, c in self.terms.items():
            term: Number = c.numerator if c.denominator == 1 else c
            for atom, p in mono:
                term = term * atom.evaluate(env) ** p
            total += term
        if isinstance(total, Fraction) and total.denominator == 1:
            return total.numerator
        return total

    def __str__(self) -> str:
        from cnncalc.symbolic.text import readable

        return readable(self)

    def __repr__(self) -> str:
        from cnncalc.symbolic.text import sympy_text

        return f"Formula({sympy_text(self)!r})"


def mono_key(mono: Mono) -> Key:
    return tuple((a.key, p) for a, p in mono)


def mono_mul(a: Mono, b: Mono) -> Mono:
    if not a:
        return b
    if not b:
        return a
    powers: dict[Atom, int] = dict(a)
    for atom, p in b:
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items(), key=lambda item: item[0].key))


def terms_of(v: Value) -> dict[Mono, Fraction]:
    if isinstance(v, Formula):
        return v.terms
    return {(): Fraction(v)} if v else {}


def add_terms(
    a: dict[Mono, Fraction], b: dict[Mono, Fraction], sign: int = 1
) -> dict[Mono, Fraction]:
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, Fraction(0)) + sign * c
    return out


def make(terms: dict[Mono, Fraction]) -> Value:
    """A formula, or the plain number it reduces to."""
    terms = {m: c for m, c in terms.items() if c}
    if not terms:
        return 0
    if len(terms) == 1 and () in terms:
        c = terms[()]
        return c.numerator if c.denominator == 1 else c
    return Formula(terms)


def atom_formula(atom: Atom) -> Formula:
    return Formula({((atom, 1),): Fraction(1)})


def is_formula(v: object) -> bool:
    return isinstance(v, Formula)


def evaluate(v: Value, env: Mapping[str, int]) -> Number:
    return v.evaluate(env) if isinstance(v, Formula) else v


# --------------------------------------------------------------------------- floor


def floordiv(e: Value, m: int) -> Value:
    """floor(e / m) in canonical form (``m`` a positive integer, ``e`` integer-valued)."""
    if not isinstance(e, Formula):
        return floor_fraction(Fraction(e) / m) if isinstance(e, Fraction) else e // m
    if m == 1 and all(c.denominator == 1 for c in e.terms.values()):
        return e
    scale = lcm(*(c.denominator for c in e.terms.values()))
    m *= scale
    const = int(e.constant() * scale)
    pulled: dict[Mono, Fraction] = {}
    rest: dict[Mono, int] = {}
    for mono, c in e.terms.items():
        if not mono:
            continue
        k = int(c * scale)
        if k % m == 0:
            pulled[mono] = Fraction(k // m)
        else:
            rest[mono] = k
    if not rest:
        return make(add_terms(pulled, {(): Fraction(const // m)}))
    g = gcd(m, *rest.values())
    if g > 1:
        rest = {mono: k // g for mono, k in rest.items()}
        const //= g
        m //= g
    q, r = divmod(const, m)
    base = make(add_terms(pulled, {(): Fraction(q)}))
    first = min(rest, key=mono_key)
    sign = 1
    if rest[first] < 0:  # floor((-Y + r)/m) = -floor((Y + m - 1 - r)/m)
        rest = {mono: -k for mono, k in rest.items()}
        r = m - 1 - r
        sign = -1
    if len(rest) == 1 and rest[first] == 1 and len(first) == 1 and first[0][1] == 1:
        atom = first[0][0]
        if isinstance(atom, Floor):  # floor((floor(X/n) + r)/m) = floor((X + n*r)/(n*m))
            return base + sign * floordiv(atom.inner + atom.m * r, atom.m * m)
    inner = Formula(
        {mono: Fraction(k) for mono, k in rest.items()} | ({(): Fraction(r)} if r else {})
    )
    return base + sign * atom_formula(Floor(inner, m))


def ceildiv(e: Value, m: int) -> Value:
    return floordiv(e + (m - 1), m)


def mod(e: Value, m: int) -> Value:
    return e - m * floordiv(e, m)


def extreme(a: Value, b: Value, is_max: bool) -> Value:
    """max or min: the certain one when bounds decide it, else a min/max atom."""
    lo, hi = bounds(b - a)
    if lo is not None and lo >= 0:
        return b if is_max else a
    if hi is not None and hi <= 0:
        return a if is_max else b
    return atom_formula(Extreme(tuple(sorted((a, b), key=value_key)), is_max))


# --------------------------------------------------------------------------- periods and slopes


def slope(v: Value, name: str) -> Fraction | None:
    """The constant growth rate of ``v`` in one symbol, or None when it is not quasi-linear."""
    if not isinstance(v, Formula):
        return Fraction(0)
    return _slope(v, name, {})


def _slope(f: Formula, name: str, memo: dict[Key, Fraction | None]) -> Fraction | None:
    total = Fraction(0)
    for mono, c in f.terms.items():
        if not mono:
            continue
        moving = [(a, p) for a, p in mono if name in a.symbols()]
        if not moving:
            continue
        if len(moving) > 1 or moving[0][1] != 1 or len(mono) > 1:
            return None  # a product with the symbol in it grows faster than linearly
        s = _atom_slope(moving[0][0], name, memo)
        if s is None:
            return None
        total += c * s
    return total


def _atom_slope(atom: Atom, name: str, memo: dict[Key, Fraction | None]) -> Fraction | None:
    if atom.key in memo:
        return memo[atom.key]
    s: Fraction | None
    if isinstance(atom, Var):
        s = Fraction(1)
    elif isinstance(atom, Floor):
        inner = _slope(atom.inner, name, memo)
        s = None if inner is None else inner / atom.m
    else:
        assert isinstance(atom, Extreme)
        slopes = {slope(a, name) for a in atom.args}
        s = slopes.pop() if len(slopes) == 1 else None
    memo[atom.key] = s
    return s


def period(v: Value, name: str) -> int | None:
    """A period p: v(X + p) = v(X) + slope * p for every integer X; None if not quasi-linear."""
    if not isinstance(v, Formula) or name not in v.symbols():
        return 1
    if slope(v, name) is None:
        return None
    return _period(v, name, {})


def _period(f: Formula, name: str, memo: dict[Key, int]) -> int:
    p = 1
    for mono in f.terms:
        for atom, _ in mono:
            if name in atom.symbols():
                p = lcm(p, _atom_period(atom, name, memo))
    return p


def _atom_period(atom: Atom, name: str, memo: dict[Key, int]) -> int:
    if atom.key in memo:
        return memo[atom.key]
    p: int
    if isinstance(atom, Var):
        p = 1
    elif isinstance(atom, Floor):
        base = _period(atom.inner, name, memo)
        s = slope(atom.inner, name)
        assert s is not None
        shift = s * base  # how much the inner value moves over one of its periods
        if shift.denominator != 1:  # cannot happen for integer-valued inners; stay safe
            base *= shift.denominator
            shift *= shift.denominator
        p = base * atom.m // gcd(atom.m, abs(int(shift))) if shift else base
    else:
        assert isinstance(atom, Extreme)
        p = 1
        for a in atom.args:
            if isinstance(a, Formula) and name in a.symbols():
                p = lcm(p, _period(a, name, memo))
    memo[atom.key] = p
    return p


# --------------------------------------------------------------------------- bounds


Bound = Fraction | None  # None: unbounded in that direction
Ext = Fraction | float  # a bound in interval arithmetic, where only inf and -inf are floats


def bounds(v: Value) -> tuple[Bound, Bound]:
    """Certain bounds of ``v`` over every positive value of its symbols.

    Exact for a formula in one symbol that grows linearly (one period is
    scanned); interval arithmetic otherwise.
    """
    if not isinstance(v, Formula):
        return Fraction(v), Fraction(v)
    return _bounds(v)


@lru_cache(maxsize=8192)
def _bounds(v: Formula) -> tuple[Bound, Bound]:
    names = v.symbols()
    if len(names) == 1:
        (name,) = names
        s = slope(v, name)
        p = period(v, name) if s is not None else None
        if s is not None and p is not None and p <= MAX_PERIOD_SCAN:
            run = compile_value(v)
            values = [Fraction(run({name: x})) for x in range(1, p + 1)]
            lo, hi = min(values), max(values)  # v(X + p) = v(X) + s*p
            return (lo if s >= 0 else None), (hi if s <= 0 else None)
    return interval(v)


def interval_of(v: Value) -> tuple[Bound, Bound]:
    return interval(v) if isinstance(v, Formula) else (Fraction(v), Fraction(v))


def interval(v: Formula) -> tuple[Bound, Bound]:
    """Interval arithmetic: every symbol in [1, inf), a floor as the floor of its bounds."""
    lo: Ext = Fraction(0)
    hi: Ext = Fraction(0)
    for mono, c in v.terms.items():
        t_lo: Ext = c
        t_hi: Ext = c
        for atom, p in mono:
            a_lo, a_hi = atom_interval(atom)
            for _ in range(p):
                t_lo, t_hi = mul_interval(t_lo, t_hi, a_lo, a_hi)
        lo, hi = lo + t_lo, hi + t_hi
    return finite(lo), finite(hi)


def finite(x: Ext) -> Bound:
    return x if isinstance(x, Fraction) else None


def atom_interval(atom: Atom) -> tuple[Ext, Ext]:
    if isinstance(atom, Var):
        return Fraction(1), inf
    if isinstance(atom, Floor):
        lo, hi = bounds(atom.inner)
        return (
            -inf if lo is None else Fraction(floor_fraction(lo / atom.m)),
            inf if hi is None else Fraction(floor_fraction(hi / atom.m)),
        )
    assert isinstance(atom, Extreme)
    parts = [bounds(a) for a in atom.args]
    los: list[Ext] = [-inf if p[0] is None else p[0] for p in parts]
    his: list[Ext] = [inf if p[1] is None else p[1] for p in parts]
    return (max(los), max(his)) if atom.is_max else (min(los), min(his))


def ext_mul(x: Ext, y: Ext) -> Ext:
    if x == 0 or y == 0:
        return Fraction(0)  # a zero end times an unbounded end: the product's end is 0
    if isinstance(x, float) or isinstance(y, float):
        return inf if (x > 0) == (y > 0) else -inf
    return x * y


def mul_interval(a_lo: Ext, a_hi: Ext, b_lo: Ext, b_hi: Ext) -> tuple[Ext, Ext]:
    products = [ext_mul(x, y) for x in (a_lo, a_hi) for y in (b_lo, b_hi)]
    return min(products), max(products)


def decide(d: Value, relation: str) -> bool:
    """``d < 0`` or ``d <= 0`` when certain for every symbol value; else TypeError, as sympy.

    Interval arithmetic settles most questions; the exact scan runs only when it cannot.
    """
    for find in (interval_of, bounds):
        lo, hi = find(d)
        if relation == "<":
            if hi is not None and hi < 0:
                return True
            if lo is not None and lo >= 0:
                return False
        else:
            if hi is not None and hi <= 0:
                return True
            if lo is not None and lo > 0:
                return False
    raise TypeError(f"cannot decide whether {d} {relation} 0 for every value of its symbols")


# --------------------------------------------------------------------------- rewriting


def rebuild(f: Formula, atom_value: Callable[[Atom], Value]) -> Value:
    """The sum of ``f``'s terms with every atom replaced by ``atom_value(atom)``."""
    total: Value = 0
    for mono, c in f.terms.items():
        term: Value = c.numerator if c.denominator == 1 else c
        for atom, p in mono:
            for _ in range(p):
                term = term * atom_value(atom)
        total = total + term
    return total


def substitute(v: Value, values: Mapping[str, Value]) -> Value:
    """Replace symbols by numbers or formulas, re-normalising every floor."""
    if not isinstance(v, Formula) or not (v.symbols() & values.keys()):
        return v
    memo: dict[Key, Value] = {}

    def atom_value(atom: Atom) -> Value:
        if atom.key in memo:
            return memo[atom.key]
        out: Value
        if isinstance(atom, Var):
            out = values.get(atom.name, atom_formula(atom))
        elif isinstance(atom, Floor):
            out = floordiv(walk(atom.inner), atom.m)
        else:
            assert isinstance(atom, Extreme)
            args = [walk(a) if isinstance(a, Formula) else a for a in atom.args]
            out = args[0]
            for a in args[1:]:
                out = extreme(out, a, atom.is_max)
        memo[atom.key] = out
        return out

    def walk(f: Formula) -> Value:
        return rebuild(f, atom_value)

    return walk(v)


def linearize(v: Value) -> Value:
    """The polynomial in the symbols that ``v`` equals when every symbol is a multiple of
    its period: there each canonical floor((Y + r)/m), 0 <= r < m, is exactly Y/m."""
    if not isinstance(v, Formula):
        return v
    memo: dict[Key, Value] = {}

    def atom_value(atom: Atom) -> Value:
        if atom.key not in memo:
            if isinstance(atom, Floor):
                inner = atom.inner - atom.inner.constant()
                memo[atom.key] = (
                    Fraction(1, atom.m) * walk(inner) if isinstance(inner, Formula) else 0
                )
            else:
                memo[atom.key] = atom_formula(atom)
        return memo[atom.key]

    def walk(f: Formula) -> Value:
        return rebuild(f, atom_value)

    return walk(v)


def compile_value(v: Value) -> Callable[[Mapping[str, int]], Number]:
    """A fast evaluator for repeated use (the solver evaluates each condition many times)."""
    if not isinstance(v, Formula):
        return lambda env: v
    memo: dict[Key, Callable[[Mapping[str, int]], Number]] = {}

    def atom_fn(atom: Atom) -> Callable[[Mapping[str, int]], Number]:
        if atom.key in memo:
            return memo[atom.key]
        fn: Callable[[Mapping[str, int]], Number]
        if isinstance(atom, Var):
            name = atom.name

            def fn(env: Mapping[str, int]) -> Number:
                return env[name]

        elif isinstance(atom, Floor):
            inner, m = formula_fn(atom.inner), atom.m

            def fn(env: Mapping[str, int]) -> Number:
                x = inner(env)
                return x // m if type(x) is int else floor_fraction(Fraction(x) / m)

        else:
            fn = atom.evaluate
        memo[atom.key] = fn
        return fn

    def formula_fn(f: Formula) -> Callable[[Mapping[str, int]], Number]:
        parts = [
            (
                c.numerator if c.denominator == 1 else c,
                [(atom_fn(a), p) for a, p in mono],
            )
            for mono, c in f.terms.items()
        ]

        def fn(env: Mapping[str, int]) -> Number:
            total: Number = 0
            for c, factors in parts:
                term: Number = c
                for f_atom, p in factors:
                    term = term * (f_atom(env) if p == 1 else f_atom(env) ** p)
                total += term
            return total

        return fn

    return formula_fn(v)


def symbols_of(values: Iterable[Any]) -> list[str]:
    """Names of the symbols in some values, in first-seen order."""
    seen: dict[str, None] = {}
    for v in values:
        if isinstance(v, Formula):
            for mono in v.terms:
                for atom, _ in mono:
                    for name in sorted(atom.symbols()):
                        seen.setdefault(name, None)
    return list(seen)


# --------------------------------------------------------------------------- factoring, for display


def separate(f: Formula) -> tuple[Fraction, list[Formula], Fraction] | None:
    """``f = c · g1 · g2 ⋯ + k`` with each factor in its own symbols (``32·⌊H/8⌋·⌊W/8⌋``).

    A size after flatten, and the MACs of one layer, are such products; written
    expanded they are much harder to read. None when there is no such split
    into two or more factors.
    """
    found = _separate(f)
    if found is not None:
        return found[0], found[1], Fraction(0)
    # f = product + k: choose k so that what is left splits (an fc after flatten: (n + 1)·u)
    groups = symbol_groups(f)
    if len(groups) < 2:
        return None
    matrix = split_matrix(f, groups[0])
    rows = [r for r in matrix if r]
    if not rows:
        return None
    r0 = min(rows, key=mono_key)
    cols = [c for c in matrix[r0] if c]
    if not cols:
        return None
    c0 = min(cols, key=mono_key)
    wanted = matrix.get((), {}).get(c0, Fraction(0)) * matrix[r0].get((), 0) / matrix[r0][c0]
    k = f.constant() - wanted
    if not k:
        return None
    rest = f - k
    if not isinstance(rest, Formula):
        return None
    found = _separate(rest)
    if found is None:
        return None
    return found[0], found[1], k


def symbol_groups(f: Formula) -> list[frozenset[str]]:
    groups: list[set[str]] = []
    for mono in f.terms:
        for atom, _ in mono:
            names = set(atom.symbols())
            merged = [g for g in groups if g & names]
            for g in merged:
                names |= g
                groups.remove(g)
            groups.append(names)
    return sorted((frozenset(g) for g in groups), key=lambda g: min(g))


def split_matrix(f: Formula, group: frozenset[str]) -> dict[Mono, dict[Mono, Fraction]]:
    """Coefficients indexed by (the part of a monomial in ``group``, the rest)."""
    matrix: dict[Mono, dict[Mono, Fraction]] = {}
    for mono, c in f.terms.items():
        inside = tuple((a, p) for a, p in mono if a.symbols() <= group)
        outside = tuple((a, p) for a, p in mono if not a.symbols() <= group)
        matrix.setdefault(inside, {})[outside] = c
    return matrix


def _separate(f: Formula) -> tuple[Fraction, list[Formula]] | None:
    groups = symbol_groups(f)
    if len(groups) < 2:
        return None
    content = Fraction(1)
    factors: list[Formula] = []
    rest: Value = f
    for group in groups[:-1]:
        assert isinstance(rest, Formula)
        matrix = split_matrix(rest, group)
        rows = sorted(matrix, key=mono_key)
        cols = sorted({c for row in matrix.values() for c in row}, key=mono_key)
        r0 = rows[0]
        c0 = next(c for c in cols if c in matrix[r0])
        pivot = matrix[r0][c0]
        for r in rows:
            for c in cols:
                if matrix[r].get(c, 0) * pivot != matrix[r].get(c0, 0) * matrix[r0].get(c, 0):
                    return None
        g = make({r: matrix[r][c0] for r in rows if c0 in matrix[r]})
        h = make({c: matrix[r0][c] / pivot for c in cols if c in matrix[r0]})
        if not isinstance(g, Formula) or not isinstance(h, Formula) and h != 1:
            return None
        part, g = primitive(g)
        content *= part
        factors.append(g)
        rest = h
    if isinstance(rest, Formula):
        part, last = primitive(rest)
        content *= part
        factors.append(last)
    else:
        content *= Fraction(rest)
    return content, factors


def primitive(f: Formula) -> tuple[Fraction, Formula]:
    """f = c · g with g's coefficients coprime integers and its first term positive."""
    coefficients = list(f.terms.values())
    d = lcm(*(c.denominator for c in coefficients))
    n = gcd(*(int(c * d) for c in coefficients))
    c = Fraction(n, d)
    first = min(f.terms, key=lambda m: (-sum(p for _, p in m), mono_key(m)))
    if f.terms[first] < 0:
        c = -c
    g = f / c
    assert isinstance(g, Formula)
    return c, g
