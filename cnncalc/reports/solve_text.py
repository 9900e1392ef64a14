"""Conditions and congruences in words: ``H ≡ 0 (mod 32)``, ``H ≥ 32``, ``1, 2 or 3``."""

from __future__ import annotations

from cnncalc.reports.conditions import Condition
from cnncalc.reports.congruences import (
    MAX_MODULUS,
    Congruence,
    residues,
    roots,
    smallest_modulus,
    threshold,
)
from cnncalc.symbolic.periods import period, slope


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


def verb(c: Condition) -> str:
    if c.kind == "unread":
        return "reads every input pixel"
    return f"has {c.text}"


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
