"""What one condition allows of one symbol: a smallest size, residues over a period, roots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnncalc.reports.conditions import Condition

MAX_MODULUS = 1 << 16  # residues are combined exactly up to this modulus
MAX_VALUE = 1 << 64  # sizes beyond this are not searched


@dataclass
class Congruence:
    """The values X with X mod modulus in residues."""

    modulus: int
    residues: list[int]

    def contains(self, x: int) -> bool:
        return x % self.modulus in self.residues


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


def first_values(c: Congruence, lowest: int, count: int) -> list[int]:
    """The first ``count`` members of a congruence that are at least ``lowest``."""
    found: list[int] = []
    base = lowest - lowest % c.modulus
    while len(found) < count:
        found.extend(x for x in (base + r for r in c.residues) if x >= lowest)
        base += c.modulus
    return found[:count]
