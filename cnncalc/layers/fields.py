"""Exact receptive fields: which input pixels every output unit reads, along one axis.

Along one axis, unit ``t`` of a layer reads the input pixels ``lo(t)..hi(t)`` (with
holes when dilated). After convolutions and pooling every unit's field has the same
size and ``lo(t) = lo(0) + t * stride``. Up-sampling and transposed convolutions
break that: neighbouring units may read different numbers of input pixels, and some
units of a transposed convolution read none at all. The pattern still repeats: every
``period`` units it moves ``jump`` input pixels. ``Units`` keeps the exact fields of
one period, so every later layer's fields are exact too, and a layer's receptive
field is reported as the widest field of its units, the average distance between
neighbouring units (``jump / period``) and the centre of unit 0's field.

This is what autograd measures on the exported model; the tests check it unit by unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from math import gcd, lcm
from typing import Any

from cnncalc.records import record
from cnncalc.symbolic.arith import (
    Size,
    ceildiv,
    exact_half,
    floordiv,
    is_int,
    largest,
    smallest,
)

MAX_PERIOD = 512  # beyond this the pattern is followed approximately
MAX_WORK = 200_000  # units x taps per layer


class Inexact(Exception):
    """The exact rule cannot follow this field: symbolic offsets meet a period > 1, or
    the pattern is too long to enumerate. The caller falls back to the closed formulas."""


Span = tuple[Size, Size] | None  # (lo, hi), or None for a unit that reads nothing


def lowest(values: Sequence[Size]) -> Size:
    return smallest(list(values))


def highest(values: Sequence[Size]) -> Size:
    return largest(list(values))


@record(frozen=True)
class Units:
    """The exact field of every unit along one axis: periodic, moving ``jump`` per period."""

    period: int
    jump: int
    lo: tuple[Size | None, ...]  # first input pixel read by units 0 .. period-1
    hi: tuple[Size | None, ...]  # last input pixel read (None: the unit reads nothing)

    @staticmethod
    def pixels() -> Units:
        """The network input: unit t is pixel t."""
        return Units(1, 1, (0,), (0,))

    def at(self, t: Size) -> Span:
        if self.period == 1:
            lo = self.lo[0]
            return None if lo is None else (lo + t * self.jump, self.hi[0] + t * self.jump)
        if not is_int(t):
            return self.at_symbol(t)
        q, m = divmod(t, self.period)
        lo = self.lo[m]
        return None if lo is None else (lo + q * self.jump, self.hi[m] + q * self.jump)

    def at_symbol(self, t: Size) -> Span:
        """Unit ``t`` at a symbolic index: the sum over residues r of [t ≡ r] times unit r's
        bounds, moved by t // period jumps (exact where every unit reads something)."""
        if all(lo is None for lo in self.lo):
            return None
        if any(lo is None for lo in self.lo):
            raise Inexact  # a unit that reads nothing for some indices only
        p = self.period
        is_r = [(t - r) // p - (t - r - 1) // p for r in range(p)]  # 1 or 0
        moved = (t // p) * self.jump
        lo = sum((i * v for i, v in zip(is_r, self.lo, strict=True)), 0) + moved
        hi = sum((i * v for i, v in zip(is_r, self.hi, strict=True)), 0) + moved
        return lo, hi

    def monotone(self) -> bool:
        """Every unit's first and last pixel are at or after its left neighbour's (certain
        for every size), so a run of units reads from its first unit's to its last's."""
        if any(v is None for v in self.lo):
            return False
        seqs: list[list[Size]] = [list(self.lo), list(self.hi)]
        pairs = [
            (a, b) for seq in seqs for a, b in zip(seq, [*seq[1:], seq[0] + self.jump], strict=True)
        ]
        return all(certainly_at_most(a, b) for a, b in pairs)

    @property
    def stride(self) -> Any:
        if not is_int(self.jump):  # moves a symbolic number of pixels per period
            return self.jump / self.period
        if self.period == 1:  # every unit alike: the common case, kept free of Fractions
            return self.jump
        step = Fraction(self.jump, self.period)
        return int(step) if step.denominator == 1 else step

    @property
    def widest(self) -> Size:
        if self.period == 1:
            lo = self.lo[0]
            return 0 if lo is None else self.hi[0] - lo + 1
        sizes = [(h - lo + 1) for lo, h in zip(self.lo, self.hi, strict=True) if lo is not None]
        return highest(sizes) if sizes else 0

    @property
    def start(self) -> Any:
        """Centre of unit 0's field (of the first unit that reads anything, moved back)."""
        lo, hi = self.lo[0], self.hi[0]
        if self.period == 1 and type(lo) is int and type(hi) is int:
            return exact_half(lo + hi)
        for t in range(self.period):
            span = self.at(t)
            if span is not None:
                centre = (
                    Fraction(span[0] + span[1], 2)
                    if is_int(span[0]) and is_int(span[1])
                    else (span[0] + span[1]) / 2
                )
                return centre - t * self.stride
        return Fraction(0)

    @property
    def empty(self) -> int:
        """How many units of a period read nothing."""
        return sum(lo is None for lo in self.lo)


def certainly_at_most(a: Size, b: Size) -> bool:
    """``a <= b`` for every size; formulas whose order depends on the sizes are not."""
    try:
        return bool(a <= b)
    except TypeError:
        return False


def merge(spans: Sequence[Span]) -> Span:
    found = [s for s in spans if s is not None]
    if not found:
        return None
    return (lowest([s[0] for s in found])), (highest([s[1] for s in found]))


def build(period: int, jump: int, spans: Sequence[Span]) -> Units:
    return Units(
        period,
        jump,
        tuple(None if s is None else s[0] for s in spans),
        tuple(None if s is None else s[1] for s in spans),
    )


def check_work(period: int, taps: int) -> None:
    if period > MAX_PERIOD or period * taps > MAX_WORK:
        raise Inexact


def window(u: Units, kernel: int, dilation: int, stride: int, pad_start: Size) -> Units:
    """Convolution or pooling: unit t reads units t*stride - pad_start + m*dilation."""
    if u.period == 1:
        if u.lo[0] is None:
            return Units(1, u.jump * stride, (None,), (None,))
        first, last = u.at(-pad_start), u.at(-pad_start + (kernel - 1) * dilation)
        assert first is not None and last is not None
        return Units(1, u.jump * stride, ((first[0]),), ((last[1]),))
    if not is_int(pad_start):
        return by_residue(u, pad_start, lambda p: window(u, kernel, dilation, stride, p))
    period = u.period // gcd(u.period, stride)
    check_work(period, kernel)
    spans = [
        merge([u.at(t * stride - pad_start + m * dilation) for m in range(kernel)])
        for t in range(period)
    ]
    return build(period, u.jump * (period * stride // u.period), spans)


def by_residue(u: Units, offset: Size, step: Callable[[int], Units]) -> Units:
    """``step`` at a symbolic offset into a pattern of ``u.period`` units, exactly.

    Which units a window meets depends on the offset modulo the period (after a 2x
    upsample, a same padding of ``H mod 2`` pixels), so the layer is followed once for
    each residue r; an offset of r + period*q only moves every field by q jumps. Each
    unit's bounds are then the sum over r of [offset ≡ r] times that residue's bounds:
    exact formulas, never the fractional sizes that one size per layer would give.
    """
    p = u.period
    check_work(p * p, 1)
    cases = [step(r) for r in range(p)]
    first = cases[0]
    shift = (offset // p) * u.jump  # q jumps, q = (offset - r) / p for the matching r
    is_r = [(offset - r) // p - (offset - r - 1) // p for r in range(p)]  # 1 or 0

    def blend(values: Sequence[Size | None]) -> Size | None:
        if all(v is None for v in values):
            return None
        if any(v is None for v in values):
            raise Inexact  # a unit that reads nothing for some sizes only
        return sum((i * v for i, v in zip(is_r, values, strict=True)), 0) - shift

    lo = tuple(blend([c.lo[t] for c in cases]) for t in range(first.period))
    hi = tuple(blend([c.hi[t] for c in cases]) for t in range(first.period))
    return Units(first.period, first.jump, lo, hi)


def transpose(u: Units, kernel: int, dilation: int, stride: int, pad_start: int) -> Units:
    """Transposed convolution: full output position t + pad_start = i*stride + m*dilation."""
    period = u.period * stride
    check_work(period, kernel)
    spans = []
    for t in range(period):
        full = t + pad_start
        taps = [full - m * dilation for m in range(kernel)]
        spans.append(merge([u.at(v // stride) for v in taps if v % stride == 0]))
    return build(period, u.jump, spans)


def upsample(u: Units, scale: int) -> Units:
    """Nearest-neighbour up-sampling by a whole number: unit t copies unit t // scale."""
    return mapped(u, scale, 1, lambda m: (0,))


def mapped(u: Units, base: int, shift: int, reads: Callable[[int], Sequence[int]]) -> Units:
    """Unit ``m < base`` reads the input units ``reads(m)``, and unit ``m + base`` the same
    ones moved by ``shift``: adaptive pooling's bins, resampling, pixel shuffles."""
    k = u.period // gcd(shift, u.period)
    period = base * k
    check_work(period, 1)
    taps = [reads(m) for m in range(base)]
    check_work(period, max(len(t) for t in taps))
    spans = [merge([u.at(i + (t // base) * shift) for i in taps[t % base]]) for t in range(period)]
    return build(period, u.jump * shift * k // u.period, spans)


def bin_of(i: int, size: int, out: int) -> range:
    """Adaptive pooling's bin ``i`` of ``out`` over ``size`` pixels (PyTorch's integer rule)."""
    return range(i * size // out, -(-(i + 1) * size // out))


def adaptive(u: Units, size: Size, out: int) -> Units:
    """PyTorch's adaptive pooling: output i reads floor(i*I/O) .. ceil((i+1)*I/O) - 1."""
    if is_int(size):
        g = gcd(size, out)
        return mapped(u, out // g, size // g, lambda i: bin_of(i, size, out))
    # A symbolic I: the bins' ends are formulas, so a bin is read as a run of units, from
    # its first unit's first pixel to its last unit's last pixel, which holds exactly when
    # the fields only move forward. Output i + O*P reads the bins of i moved by I*P units
    # (P = the input's period), that is by I jumps.
    if not u.monotone():
        raise Inexact
    period = out * u.period
    check_work(period, 1)
    spans = []
    for i in range(period):
        first, last = u.at(floordiv(i * size, out)), u.at(ceildiv((i + 1) * size, out) - 1)
        assert first is not None and last is not None
        spans.append((first[0], last[1]))
    return build(period, size * u.jump, spans)


def union(units: Sequence[Units]) -> Units:
    """A merge: each unit reads what any of its inputs' units at the same position read."""
    if len({u.stride for u in units}) > 1:
        raise Inexact  # fields that drift apart: no repeating pattern
    period = lcm(*(u.period for u in units))
    check_work(period, len(units))
    spans = [merge([u.at(t) for u in units]) for t in range(period)]
    first = units[0]
    return build(period, first.jump * (period // first.period), spans)


def broadcast(units: Sequence[Units], constant: Sequence[Span], size: Size) -> Units:
    """A merge where some inputs have size 1 on this axis: every one of the ``size`` units
    also reads what their one unit reads (``constant``). Listed unit by unit."""
    if not constant:
        return union(units)
    if not is_int(size):
        raise Inexact
    if not units:
        return build(1, 0, [merge(constant)])
    joined = union(units)
    if not is_int(joined.jump):
        raise Inexact
    k = joined.period // gcd(size * joined.jump, joined.period)
    period = size * k
    check_work(period, len(constant) + 1)
    spans = []
    for t in range(period):
        moved = (t // size) * size * joined.jump // joined.period  # beyond the axis: a guess
        extra = [None if c is None else (c[0] + moved, c[1] + moved) for c in constant]
        spans.append(merge([joined.at(t), *extra]))
    return build(period, size * k * joined.jump // joined.period, spans)


def blend(cases: Sequence[tuple[Size, Units]]) -> Units:
    """Fields that hold each for some values of the symbols, as one: every bound the sum of
    the cases' bounds, each times its weight (a formula that is 1 where the case holds and
    0 elsewhere). Needs the cases to move alike and to agree on which units read nothing."""
    first = cases[0][1]
    if len({u.stride for _, u in cases}) > 1:
        raise Inexact
    period = lcm(*(u.period for _, u in cases))
    check_work(period, len(cases))
    jump = first.jump * (period // first.period)
    spans: list[Span] = []
    for t in range(period):
        found = [(w, u.at(t)) for w, u in cases]
        if all(s is None for _, s in found):
            spans.append(None)
            continue
        if any(s is None for _, s in found):
            raise Inexact
        lo = sum((w * s[0] for w, s in found if s is not None), 0)
        hi = sum((w * s[1] for w, s in found if s is not None), 0)
        spans.append((lo, hi))
    return build(period, jump, spans)
