"""Activations, dropout and LRN: no change of shape; only PReLU has parameters."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    KEEPS_INPUT,
    KEEPS_OUTPUT,
    Effect,
    Layer,
    Saved,
    Shape,
    key,
    new_tensor,
    register,
)
from cnncalc.layers.values import boolean
from cnncalc.records import record
from cnncalc.symbolic.arith import product

# What torch's autograd keeps for each activation (measured with saved_tensors_hooks):
# the ones whose derivative is a function of their result keep the result.
KEEPS = {
    "relu": KEEPS_OUTPUT,
    "sigmoid": KEEPS_OUTPUT,
    "tanh": KEEPS_OUTPUT,
    "softmax": KEEPS_OUTPUT,
    "leaky_relu": KEEPS_INPUT,
    "elu": KEEPS_INPUT,
    "gelu": KEEPS_INPUT,
    "silu": KEEPS_INPUT,
    "hardswish": KEEPS_INPUT,
    "hardsigmoid": KEEPS_INPUT,
    "relu6": KEEPS_INPUT,  # hardtanh
    "mish": KEEPS_INPUT,
    "softplus": KEEPS_INPUT,
    "selu": KEEPS_INPUT,
}


@record(frozen=True, kw_only=True)
class Elementwise(Layer):
    """Activations, dropout and LRN: no parameters, no change of shape."""

    keeps: ClassVar[Saved | None] = None

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0])

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """An activation keeps its input or its result (``KEEPS``)."""
        if self.keeps is None:
            return super().saved(ins, effect, device)
        return (self.keeps,)


def _frozen(self: Any, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _elementwise(name: str, *aliases: str) -> type[Layer]:
    """One kind per name: a plain subclass, which is a frozen dataclass already and, unlike
    a fresh ``@dataclass``, costs nothing when cnncalc starts."""
    title = name.title().replace("_", "")
    methods = {"__qualname__": title, "__module__": __name__, "keeps": KEEPS[name]}
    kind = type(title, (Elementwise,), methods | {"__setattr__": _frozen, "__delattr__": _frozen})
    return register(name, *aliases)(kind)


for _name in ACTIVATIONS:
    if _name != "prelu":
        _elementwise(_name, *(a for a, to in ACTIVATION_ALIASES.items() if to == _name))


@register("prelu")
@record(frozen=True, kw_only=True)
class PReLU(Layer):
    """A leaky ReLU whose negative slope is learned: one, or one per channel."""

    per_channel: bool = key(boolean, False)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        return Effect(shape=ins[0], params=ins[0][-1] if self.per_channel else 1)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """Its input, for the slope's gradient (even where the input needs none)."""
        return (KEEPS_INPUT,)

    def weight_tensors(self) -> int:
        return 1

    def describe(self) -> str:
        return "per channel" if self.per_channel else ""


@register("dropout")
class Dropout(Elementwise):
    """Zeroes half the values in training (p = 0.5), as ``nn.Dropout()`` does."""

    __setattr__ = _frozen
    __delattr__ = _frozen

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """CUDA's fused kernel keeps a one-byte mask per value; torch 2.13 on the CPU
        multiplies by a noise tensor of the input's dtype and keeps the noise."""
        return (new_tensor(product(ins[0]), itemsize=1 if device == "cuda" else 0),)

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """Outside training, dropout hands its input on unchanged."""
        return not training


@register("lrn")
class Lrn(Elementwise):
    """AlexNet's local response normalisation over 5 channels."""

    __setattr__ = _frozen
    __delattr__ = _frozen

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """torch composes it of ops: x*x keeps x; the average over channels keeps the
        squares padded by 4 channels; the power keeps its base and its result (two
        tensors of the input's size); the division keeps x and that result."""
        if len(ins[0]) < 2:
            raise CnnCalcError(
                "torch's local response normalisation needs spatial axes, so its memory "
                "was never measured on a flat vector"
            )
        values = product(ins[0])
        padded = product(ins[0][:-1]) * (ins[0][-1] + 4)
        return (KEEPS_INPUT, new_tensor(padded), new_tensor(values), new_tensor(values))
