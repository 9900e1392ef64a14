"""Readers for layer key values: each checks one kind of TOML value and normalises it.

A reader takes what the TOML file (or the one-line shorthand) gave and
returns the normalised value, or raises CnnCalcError saying what was
expected; the parser adds the file, line, network, layer and key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from cnncalc.errors import CnnCalcError

MISSING: Any = object()
MAX_INT = 2**64  # sizes up to 2**63 work exactly; beyond this a value is surely a mistake
MAX_AXES = 3
PADDING_WORDS = ("valid", "same", "full")

Padding = str | tuple[int, ...] | tuple[tuple[int, int], ...]


def show(value: Any) -> str:
    """A value as the user wrote it in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, int) and value.bit_length() > 14_000:  # str() refuses 4,300 digits
        return f"a number of about {int(math.log10(abs(value))) + 1:,} digits"
    text = str(value)
    return text if len(text) <= 40 else text[:20] + "…" + f" ({len(text)} digits)"


def integer(value: Any, lowest: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CnnCalcError(f"expected {what}, got {show(value)}")
    if value < lowest:
        raise CnnCalcError(f"expected {what}, got {show(value)}")
    if value > MAX_INT:
        raise CnnCalcError(f"{show(value)} is too large; expected at most 2**64")
    return value


def positive_int(value: Any) -> int:
    return integer(value, 1, "a positive integer")


def nonneg_int(value: Any) -> int:
    return integer(value, 0, "a non-negative integer")


def per_axis_list(item: Callable[[Any], Any], what: str) -> Callable[[Any], tuple[Any, ...]]:
    """One value for every spatial axis, or a list of one per axis (1 to 3)."""

    def read(value: Any) -> tuple[Any, ...]:
        if isinstance(value, list):
            if not 1 <= len(value) <= MAX_AXES:
                raise CnnCalcError(
                    f"expected {what} or a list of 1 to 3 of them, got a list of {len(value)}"
                )
            try:
                return tuple(item(v) for v in value)
            except CnnCalcError as error:
                raise CnnCalcError(
                    f"expected {what} or a list of them, got {show(value)}"
                ) from error
        try:
            return (item(value),)
        except CnnCalcError as error:
            if "too large" in error.message:
                raise
            raise CnnCalcError(
                f"expected {what} or a list of one per spatial axis, got {show(value)}"
            ) from error

    return read


spatial = per_axis_list(positive_int, "a positive integer")
nonneg_spatial = per_axis_list(nonneg_int, "a non-negative integer")


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CnnCalcError(f"expected true or false, got {show(value)}")
    return value


def spelled(value: Any, words: Sequence[str]) -> str | None:
    """The word of ``words`` that ``value`` means, in any case and with or without ``_``.

    Keras writes ``"SAME"`` and ``"relu"``, PyTorch ``ReLU`` and ``LeakyReLU``; both mean
    cnncalc's ``"same"``, ``"relu"`` and ``"leaky_relu"``.
    """
    if not isinstance(value, str):
        return None
    if value in words:
        return value
    key = value.lower().replace("_", "").replace("-", "")
    return next((w for w in words if w.replace("_", "") == key), None)


def choice(*words: str) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        word = spelled(value, words)
        if word is None:
            listed = ", ".join(f'"{w}"' for w in words)
            raise CnnCalcError(f"expected one of {listed}, got {show(value)}")
        return word

    return read


def padding_of(words: tuple[str, ...]) -> Callable[[Any], Padding]:
    """A padding word, an integer, one integer per axis, or [start, end] per axis."""
    expected = (
        " or ".join(f'"{w}"' for w in words)
        + ", a non-negative integer, a list of one per axis, or a list of [start, end] pairs"
    )

    def read(value: Any) -> Padding:
        if isinstance(value, str):
            word = spelled(value, words)
            if word is not None:
                return word
            raise CnnCalcError(f"expected {expected}, got {show(value)}")
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            if len(value) > MAX_AXES or any(len(v) != 2 for v in value):
                raise CnnCalcError(f"expected {expected}, got {show(value)}")
            try:
                return tuple((nonneg_int(a), nonneg_int(b)) for a, b in value)
            except CnnCalcError as error:
                raise CnnCalcError(f"expected {expected}, got {show(value)}") from error
        try:
            return nonneg_spatial(value)
        except CnnCalcError as error:
            raise CnnCalcError(f"expected {expected}, got {show(value)}") from error

    return read


padding = padding_of(PADDING_WORDS)
transpose_padding = padding_of(("valid", "same"))


def reshape_shape(value: Any) -> tuple[int, ...]:
    """A target shape: positive sizes, at most one -1 to be inferred (as Keras and torch allow)."""
    expected = "a list of positive integers (one of them may be -1)"
    if not isinstance(value, list) or not 1 <= len(value) <= 4:
        raise CnnCalcError(f"expected {expected}, 1 to 4 of them, got {show(value)}")
    out = []
    for v in value:
        if v == -1 and not isinstance(v, bool):
            out.append(-1)
        else:
            try:
                out.append(positive_int(v))
            except CnnCalcError as error:
                raise CnnCalcError(f"expected {expected}, got {show(value)}") from error
    if out.count(-1) > 1:
        raise CnnCalcError(f"expected {expected}, got {show(value)} with more than one -1")
    return tuple(out)


def layer_name(value: Any) -> str:
    """The name of another layer (a key that reads it, such as crop's ``to``)."""
    if not isinstance(value, str) or not value:
        raise CnnCalcError(f"expected a layer name, got {show(value)}")
    return value


def probability(value: Any) -> float:
    """A number from 0 up to 1 (drop_path's rate: training only, so it changes no count)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise CnnCalcError(f"expected a number from 0 up to (not including) 1, got {show(value)}")
    return float(value)


pad_amounts = padding_of(())


def sizes(value: Any) -> tuple[int, ...]:
    """A tensor's shape: a list of 1 to 4 positive integers (param's ``shape``)."""
    expected = "a list of 1 to 4 positive integers"
    if not isinstance(value, list) or not 1 <= len(value) <= 4:
        raise CnnCalcError(f"expected {expected}, got {show(value)}")
    try:
        return tuple(positive_int(v) for v in value)
    except CnnCalcError as error:
        raise CnnCalcError(f"expected {expected}, got {show(value)}") from error


def axis_index(value: Any) -> int:
    """An axis of a shape, counted from 0 (the first) or from -1 (the channels)."""
    if isinstance(value, bool) or not isinstance(value, int) or not -4 <= value <= 3:
        raise CnnCalcError(
            f"expected an axis from 0 (the first) to 3, or from -1 (the channels) to -4, "
            f"got {show(value)}"
        )
    return value
