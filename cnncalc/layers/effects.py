"""A layer on its input shapes: the input count checked, the effect computed once."""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import Effect, Layer, MismatchError, Shape

# A layer's effect depends only on the layer and its input shapes: the copies of a repeated
# block, and the candidates a search program analyses, share the layers they have in common.
EFFECTS: dict[tuple[Layer, tuple[Shape, ...]], Effect] = {}
EFFECTS_LIMIT = 4096


def apply(layer: Layer, shapes: tuple[Shape, ...]) -> Effect:
    """``layer.apply(shapes)``, computed once for equal layers on equal shapes."""
    key = (layer, shapes)
    try:
        effect = EFFECTS.get(key)
    except TypeError:  # a kind with a value that cannot be hashed: no sharing
        return layer.apply(shapes)
    if effect is None:
        effect = layer.apply(shapes)
        if len(EFFECTS) >= EFFECTS_LIMIT:
            EFFECTS.clear()
        EFFECTS[key] = effect
    return effect


def effect_of(layer: Layer, shapes: tuple[Shape, ...], names: Sequence[str]) -> Effect:
    """The layer applied to the shapes of the inputs called ``names``.

    Shared by the engine's walk and by block expansion (which needs a block input's shape
    before the walk), so both refuse a wrong input count or mismatched shapes alike.
    """
    n = len(shapes)
    if n < layer.min_inputs or (layer.max_inputs is not None and n > layer.max_inputs):
        want = f"at least {layer.min_inputs}" if layer.max_inputs is None else str(layer.max_inputs)
        raise CnnCalcError(
            f"{layer.kind} reads {want} input{'' if want == '1' else 's'}, got {n}", key="inputs"
        )
    try:
        return apply(layer, shapes)
    except MismatchError as error:
        error.message = error.explain([names[error.first], names[error.other]])
        raise
