"""The receptive field after a layer whose input is a token axis.

A token axis (``tokens``) flattens a grid; each token keeps its grid position's field.
Which layers keep that per-token field, and which read along the sequence (and so see the
whole input), is decided here once for every kind, from the kind's own rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.layers import fields
from cnncalc.layers.base import Effect, Field, Layer, Shape
from cnncalc.records import replace


def token_field(
    layer: Layer, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]
) -> Field:
    """The field after ``layer``, also where an input is a token axis (see ``Field``).

    A layer that leaves every token's field as it was (fc, layernorm, an activation) keeps
    the token axis, and so does a merge of inputs on the same token axis, position by
    position. A layer that moves along a token axis (a window over the sequence, a
    broadcast of one token) reads neighbours in the sequence, which wrap around the rows
    of the grid: its field is reported as the whole input. Which of the two a layer is,
    its own rule says on a plain sequence of the tokens' length.
    """
    marked = [f for f in ins if f.grid is not None and not f.is_global]
    if layer.tokens_aware or not marked:
        return layer.field(ins, effect, shapes)
    first = marked[0]
    if any(f.is_global for f in ins):
        return next(f for f in ins if f.is_global)
    if not all(f.grid == first.grid and f.lead == first.lead for f in ins):
        return first.whole()
    if any(len(s) != 2 or s[0] != shapes[0][0] for s in shapes):
        return first.whole()
    probe = Field.at_input((shapes[0][0],))
    if layer.field([probe] * len(ins), effect, shapes) != probe:
        return first.whole()
    if len(ins) == 1:
        return first
    if any(f.units is None for f in ins):
        return first.whole()
    try:
        axes = [fields.union([f.units[a] for f in ins]) for a in range(len(first.size))]  # type: ignore[index]
    except fields.Inexact:
        return first.whole()
    return replace(Field.exact(axes, first.extent), grid=first.grid, lead=first.lead)
