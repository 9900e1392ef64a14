"""Activations, dropout and LRN: no change of shape; only PReLU has parameters."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.layers.base import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    Effect,
    Layer,
    Shape,
    key,
    register,
)
from cnncalc.layers.values import boolean


@dataclass(frozen=True, kw_only=True)
class Elementwise(Layer):
    """Activations, dropout and LRN: no parameters, no change of shape."""

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0])


def _frozen(self: Any, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _elementwise(name: str, *aliases: str) -> type[Layer]:
    """One kind per name: a plain subclass, which is a frozen dataclass already and, unlike
    a fresh ``@dataclass``, costs nothing when cnncalc starts."""
    title = name.title().replace("_", "")
    methods = {"__qualname__": title, "__module__": __name__}
    kind = type(title, (Elementwise,), methods | {"__setattr__": _frozen, "__delattr__": _frozen})
    return register(name, *aliases)(kind)


for _name in (*ACTIVATIONS, "dropout", "lrn"):
    if _name != "prelu":
        _elementwise(_name, *(a for a, to in ACTIVATION_ALIASES.items() if to == _name))


@register("prelu")
@dataclass(frozen=True, kw_only=True)
class PReLU(Layer):
    """A leaky ReLU whose negative slope is learned: one, or one per channel."""

    per_channel: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0], params=ins[0][-1] if self.per_channel else 1)

    def describe(self) -> str:
        return "per channel" if self.per_channel else ""
