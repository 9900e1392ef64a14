"""Exact formulas over size symbols: polynomials whose atoms are symbols, floors, min and max.

A size after a chain of convolutions is a nested floor of the input size; the
engine needs to add, multiply, floor-divide and compare such values exactly,
fast, and in a canonical form so that two paths giving the same size give the
same formula. ``floordiv`` keeps every floor as ``floor((Y + r) / m)`` with
``0 <= r < m``, content-free ``Y`` and merged nesting, so ``⌈⌈H/2⌉/2⌉`` is
``⌈H/4⌉``. Formulas never import sympy; how they compare and print is installed by
cnncalc.symbolic.bounds and cnncalc.symbolic.text, which import this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from math import gcd, lcm
from typing import Any, ClassVar, TypeAlias

from cnncalc.errors import CnnCalcError

Number: TypeAlias = "int | Fraction"
Value: TypeAlias = "int | Fraction | Formula"
Mono = tuple[tuple["Atom", int], ...]  # atoms with powers, sorted by atom key
Key = tuple[Any, ...]

# Floors of floors that cannot merge (a stride after an up-sampling: floor((2·floor(H/3) + 1)/5))
# nest one level per layer, and each level costs more than the last; deeper is refused.
MAX_NESTING = 32


class Atom:
    """A factor that is not a number: a symbol, a floor, a min or a max."""

    __slots__ = ("key", "_hash", "depth")
    key: Key
    _hash: int
    depth: int  # floors, min and max nested inside one another, this one included

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
        self.depth = 0

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
        self.depth = 1 + inner.depth()
        if self.depth > MAX_NESTING:
            raise CnnCalcError(
                f"a size formula nests more than {MAX_NESTING} floor divisions; expected fewer "
                "strided layers after up-sampling, or numbers for the symbols (--set H=224)"
            )
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
        self.depth = 1 + max(a.depth() if isinstance(a, Formula) else 0 for a in args)
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

    # Order and text belong to the modules above this one, which set these when imported:
    # cnncalc.symbolic.bounds decides the sign of a difference, cnncalc.symbolic.text prints.
    decide: ClassVar[Callable[[Value, str], bool]]
    readable: ClassVar[Callable[[Value], str]]
    sympy_text: ClassVar[Callable[[Value], str]]

    def __init__(self, terms: dict[Mono, Fraction]) -> None:
        self.terms = terms
        self.key: Key = tuple(sorted(((mono_key(m), c) for m, c in terms.items())))
        self._hash = hash(self.key)
        self._symbols: frozenset[str] | None = None

    # ----- construction

    @staticmethod
    def symbol(name: str) -> Formula:
        return Formula({((Var(name), 1),): Fraction(1)})

    def depth(self) -> int:
        """The deepest nesting of atoms: floors in floors, min and max of them."""
        return max(atom.depth for mono in self.terms for atom, _ in mono)

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
        return Formula.decide(self - other, "<")

    def __le__(self, other: Any) -> bool:
        return Formula.decide(self - other, "<=")

    def __gt__(self, other: Any) -> bool:
        return Formula.decide(other - self, "<")

    def __ge__(self, other: Any) -> bool:
        return Formula.decide(other - self, "<=")

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
        return Formula.readable(self)

    def __repr__(self) -> str:
        return f"Formula({Formula.sympy_text(self)!r})"


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


# --------------------------------------------------------------------------- evaluation, repeated


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
