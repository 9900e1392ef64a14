"""Activations, dropout and LRN: no parameters, no change of shape."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnncalc.layers.base import (
    ACTIVATIONS,
    Effect,
    Layer,
    Shape,
    register,
)


@dataclass(frozen=True, kw_only=True)
class Elementwise(Layer):
    """Activations, dropout and LRN: no parameters, no change of shape."""

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0])


def _frozen(self: Any, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _elementwise(name: str) -> type[Layer]:
    """One kind per name: a plain subclass, which is a frozen dataclass already and, unlike
    a fresh ``@dataclass``, costs nothing when cnncalc starts."""
    title = name.title().replace("_", "")
    methods = {"__qualname__": title, "__module__": __name__}
    kind = type(title, (Elementwise,), methods | {"__setattr__": _frozen, "__delattr__": _frozen})
    return register(name)(kind)


for _name in (*ACTIVATIONS, "dropout", "lrn"):
    _elementwise(_name)
