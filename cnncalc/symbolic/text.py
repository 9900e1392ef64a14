"""Formulas as text: readable (⌈H/2⌉ · −), human-rounded (9.41 k·H·W) or sympy syntax."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import lcm
from typing import Any

from cnncalc.symbolic.factoring import separate
from cnncalc.symbolic.formula import Atom, Extreme, Floor, Formula, Mono, Value, Var, make

UNITS = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Style:
    minus: str
    times: str
    floor: tuple[str, str]
    ceil: tuple[str, str]
    extremes: tuple[str, str]  # min, max
    power: Callable[[int], str]
    coefficient: Callable[[Fraction], str] | None = None  # None: exact, as p/q over the terms


def exact_coefficient(c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"


def decimal_coefficient(c: Fraction) -> str:
    """An exact decimal when the fraction terminates (7/8 → 0.875), else p/q."""
    q = c.denominator
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q != 1:
        return exact_coefficient(c)
    digits = max(twos, fives)
    scaled = abs(c.numerator) * 10**digits // c.denominator
    whole, frac = divmod(scaled, 10**digits)
    text = f"{whole:,}" + (f".{frac:0{digits}d}".rstrip("0") if digits else "")
    return ("-" if c < 0 else "") + text


def human_coefficient(c: Fraction) -> str:
    a = abs(c)
    for size, unit in UNITS:
        if a >= size:
            return f"{float(a) / size:.2f} {unit}"
    if a.denominator == 1:
        return str(a.numerator)
    return f"{float(a):.4g}"


READABLE = Style(
    minus="−",
    times="·",
    floor=("⌊", "⌋"),
    ceil=("⌈", "⌉"),
    extremes=("min", "max"),
    power=lambda p: str(p).translate(SUPERSCRIPTS),
)
DECIMAL = Style(**{**READABLE.__dict__, "coefficient": decimal_coefficient})
HUMAN = Style(**{**READABLE.__dict__, "coefficient": human_coefficient})
SYMPY = Style(
    minus="-",
    times="*",
    floor=("floor(", ")"),
    ceil=("ceiling(", ")"),
    extremes=("Min", "Max"),
    power=lambda p: f"**{p}",
)


def readable(v: Value) -> str:
    """``⌊(H − 1)/2⌋``, ``64·⌈H/2⌉·⌈W/2⌉``: for tables and messages."""
    return printed(READABLE, v)


def decimal(v: Value) -> str:
    """Readable, with exact decimal coefficients: for totals rows of polynomials."""
    return printed(DECIMAL, v)


def human(v: Value) -> str:
    """Readable, coefficients rounded to human units (``81.50 k·H·W``): table cells."""
    return printed(HUMAN, v)


def sympy_text(v: Value) -> str:
    """The formula in sympy syntax (``floor((H - 1)/2)``); ``sympy.sympify`` reads it."""
    return printed(SYMPY, v)


@lru_cache(maxsize=8192)
def printed(style: Style, v: Value) -> str:
    """A report prints the same few sizes over and over: print each once."""
    return Printer(style).value(v)


Formula.readable = readable  # str(formula)
Formula.sympy_text = sympy_text  # repr(formula)


# --------------------------------------------------------------------------- printing


def atom_order(atom: Atom) -> tuple[Any, ...]:
    if isinstance(atom, Var):
        return (atom.name, 0, 0)
    if isinstance(atom, Floor):
        return (min(atom.symbols(), default="~"), 1, atom.m)
    return ("~", 2, 0)


def mono_order(mono: Mono) -> tuple[Any, ...]:
    degree = sum(p for _, p in mono)
    return (-degree, tuple(atom_order(a) for a, _ in mono))


def best_form(atom: Floor, k: int = 1, b: int = 0) -> tuple[bool, Value, int]:
    """The simplest way to write k·atom + b as k·⌊num/m⌋ + outer or k·⌈num/m⌉ + outer:
    the smallest constants, floors before ceilings. Returns (is_ceil, num, shift) with
    atom = ⌊num/m⌋ + shift (or ⌈num/m⌉ + shift), so outer = b + k·shift."""
    inner, m = atom.inner, atom.m
    r = int(inner.constant())
    best: tuple[tuple[int, bool, int], bool, int, int] | None = None
    for t in range(-2, 3):
        for is_ceil in (False, True):
            const = (r - m + 1 if is_ceil else r) + m * t  # ⌊(Y + r)/m⌋ = ⌈(Y + r − m + 1)/m⌉
            outer = abs(b - k * t)
            score = (abs(const) + outer + (1 if is_ceil and const else 0), is_ceil, abs(const))
            if best is None or score < best[0]:
                best = (score, is_ceil, const, -t)
    assert best is not None
    _, is_ceil, const, shift = best
    return is_ceil, inner + (const - r), shift


class Printer:
    def __init__(self, style: Style) -> None:
        self.style = style

    def value(self, v: Value) -> str:
        if isinstance(v, Formula):
            return self.formula(v)
        return self.number(Fraction(v))

    def number(self, c: Fraction) -> str:
        s = self.style
        text = (s.coefficient or exact_coefficient)(abs(c))
        return (s.minus if c < 0 else "") + text

    def formula(self, f: Formula) -> str:
        special = self.single_floor(f)
        if special is not None:
            return special
        remainder = as_remainder(f)
        if remainder is not None:
            return self.remainder(*remainder)
        expanded = self.expanded(f)
        split = separate(f)
        if split is not None:
            factored = self.product(*split)
            if len(factored) <= len(expanded):
                return factored
        return expanded

    def expanded(self, f: Formula) -> str:
        s = self.style
        terms = sorted(f.terms.items(), key=lambda item: mono_order(item[0]))
        if s.coefficient is None:
            d = lcm(*(c.denominator for _, c in terms))
            if d > 1:
                scaled = [(m, c * d) for m, c in terms]
                body = self.join(scaled)
                if len(terms) == 1 and terms[0][0]:
                    return f"{body}/{d}"
                return f"({body})/{d}"
        return self.join(terms)

    def remainder(self, k: Fraction, num: Value, m: int, b: Fraction) -> str:
        """k·(num mod m) + b, as padding that depends on a size's parity reads best."""
        s = self.style
        inner = self.value(num)
        if s is SYMPY:
            body = f"Mod({inner}, {m})"
        else:
            if top_level_sum(inner) or inner.startswith(s.minus):
                inner = f"({inner})"
            body = f"{inner} mod {m}"
        if k != 1:
            body = f"{self.number(k)}{s.times}({body})" if s is not SYMPY else f"{k}*{body}"
        if b:
            body += (" + " if b > 0 else f" {s.minus} ") + self.number(abs(b))
        return body

    def product(self, c: Fraction, factors: list[Formula], k: Fraction) -> str:
        """c·(g1)·(g2) + k, each factor in parentheses only when it is a sum."""
        s = self.style
        parts = []
        for g in factors:
            text = self.formula(g)
            parts.append(f"({text})" if top_level_sum(text) else text)
        body = s.times.join(parts)
        if c == -1:
            body = s.minus + body
        elif c != 1:
            if c.denominator != 1 and s.coefficient is None:
                body = f"{self.number(Fraction(c.numerator))}{s.times}{body}/{c.denominator}"
            else:
                body = self.number(c) + s.times + body
        if k:
            body += (" + " if k > 0 else f" {s.minus} ") + self.number(abs(k))
        return body

    def single_floor(self, f: Formula) -> str | None:
        """k·⌊…⌋ + b: shift the constant in or out, whichever reads simplest."""
        monos = [m for m in f.terms if m]
        if len(monos) != 1 or len(monos[0]) != 1 or monos[0][0][1] != 1:
            return None
        atom = monos[0][0][0]
        k, b = f.terms[monos[0]], f.constant()
        if not isinstance(atom, Floor) or k.denominator != 1 or b.denominator != 1:
            return None
        k_int, b_int = int(k), int(b)
        is_ceil, num, shift = best_form(atom, k_int, b_int)
        text = self.floor_text(is_ceil, num, atom.m)
        if k_int == -1:
            text = self.style.minus + text
        elif k_int != 1:
            text = self.number(k) + self.style.times + text
        outer = b_int + k_int * shift
        if outer:
            sign = " + " if outer > 0 else f" {self.style.minus} "
            text += sign + self.number(Fraction(abs(outer)))
        return text

    def join(self, terms: list[tuple[Mono, Fraction]]) -> str:
        s = self.style
        out = ""
        for i, (mono, c) in enumerate(terms):
            negative = c < 0
            a = -c if negative else c
            if not mono:
                body = self.number(a)
            elif a == 1:
                body = self.mono(mono)
            else:
                body = self.number(a) + s.times + self.mono(mono)
            if i == 0:
                out = (s.minus if negative else "") + body
            else:
                out += (f" {s.minus} " if negative else " + ") + body
        return out

    def mono(self, mono: Mono) -> str:
        s = self.style
        factors = sorted(mono, key=lambda item: atom_order(item[0]))
        return s.times.join(self.atom(a) + (s.power(p) if p > 1 else "") for a, p in factors)

    def atom(self, atom: Atom) -> str:
        if isinstance(atom, Var):
            return atom.name
        if isinstance(atom, Floor):
            r = int(atom.inner.constant())
            ceil_num = atom.inner - (atom.m - 1)  # ⌊(Y + r)/m⌋ = ⌈(Y + r − m + 1)/m⌉
            if abs(r - atom.m + 1) < abs(r):
                return self.floor_text(True, ceil_num, atom.m)
            return self.floor_text(False, atom.inner, atom.m)
        assert isinstance(atom, Extreme)
        name = self.style.extremes[1 if atom.is_max else 0]
        return f"{name}(" + ", ".join(self.value(a) for a in atom.args) + ")"

    def floor_text(self, is_ceil: bool, num: Value, m: int) -> str:
        s = self.style
        left, right = s.ceil if is_ceil else s.floor
        text = self.value(num)
        simple = isinstance(num, Formula) and len(num.terms) == 1 and " " not in text
        if not simple:
            text = f"({text})"
        return f"{left}{text}/{m}{right}"


def top_level_sum(text: str) -> bool:
    """Whether text is a sum at its top level (so needs parentheses as a factor)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "(⌊⌈[":
            depth += 1
        elif ch in ")⌋⌉]":
            depth -= 1
        elif depth == 0 and ch in "+-−" and i > 0 and text[i - 1] == " ":
            return True
    return False


def as_remainder(f: Formula) -> tuple[Fraction, Value, int, Fraction] | None:
    """Recognise k·(Z mod m) + b: Z − m·⌊Z/m⌋, or ⌊(Y + 1)/2⌋ − ⌊Y/2⌋ (= Y mod 2)."""
    b = f.constant()
    terms = {mono: c for mono, c in f.terms.items() if mono}
    floors = [
        (mono[0][0], c)
        for mono, c in terms.items()
        if len(mono) == 1 and mono[0][1] == 1 and isinstance(mono[0][0], Floor)
    ]
    if len(floors) == 2 and len(terms) == 2:
        (a1, c1), (a2, c2) = floors
        assert isinstance(a1, Floor) and isinstance(a2, Floor)
        if a1.m == a2.m == 2 and c1 == -c2:
            body1, body2 = a1.inner - a1.inner.constant(), a2.inner - a2.inner.constant()
            r1, r2 = a1.inner.constant(), a2.inner.constant()
            if body1 == body2 and abs(r1 - r2) == 1:
                k = c1 if r1 > r2 else c2  # k·(⌊(Y + 1)/2⌋ − ⌊Y/2⌋) = k·(Y mod 2)
                return k, body1, 2, b
    if len(floors) == 1:
        atom, c = floors[0]
        assert isinstance(atom, Floor)
        k = -c / atom.m
        rest = make({mono: c for mono, c in terms.items() if mono != ((atom, 1),)})
        body = atom.inner - atom.inner.constant()
        r = atom.inner.constant()
        if k > 0 and k.denominator == 1 and rest == k * body:
            # k·(Y − m⌊(Y + r)/m⌋) = k·((Y + r) mod m) − k·r
            return k, atom.inner, atom.m, b - k * r
        if k < 0 and k.denominator == 1 and rest == k * body:
            # ⌊(−Y + r')/m⌋ = −⌊(Y + m − 1 − r')/m⌋: the remainder of Z = −Y + r'
            r_neg = atom.m - 1 - r
            return -k, r_neg - body, atom.m, b + k * r_neg
    return None
