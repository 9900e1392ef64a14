"""Tokens: positions flattened to a sequence and back (tokens, grid), and learned tensors
added to or prepended before them (param: ViT's position embedding and class token)."""

from __future__ import annotations

from collections.abc import Sequence

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import (
    Effect,
    Field,
    Layer,
    Saved,
    Shape,
    WindowAxis,
    fmt_axes,
    fmt_shape,
    key,
    register,
    spatial_axes,
    window_field,
)
from cnncalc.layers.values import choice, sizes, spatial
from cnncalc.records import record, replace
from cnncalc.symbolic import arith
from cnncalc.symbolic.arith import product


def token_input(shape: Shape, kind: str) -> None:
    if len(shape) != 2:
        raise CnnCalcError(
            f"{kind} needs a token input [L, C], got {fmt_shape(shape)}; expected the output "
            "of tokens (or another [L, C] layer)"
        )


@register("tokens")
@record(frozen=True, kw_only=True)
class Tokens(Layer):
    """``[*spatial, C]`` to ``[prod(spatial), C]``, row-major: torch's ``flatten(2)
    .transpose(1, 2)`` on (N, C, …). Each token keeps its position's field."""

    view = True
    tokens_aware = True

    def apply(self, ins: Sequence[Shape]) -> Effect:
        spatial_axes(ins[0], "tokens")
        return Effect(shape=(product(ins[0][:-1]), ins[0][-1]))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        f, grid = ins[0], tuple(shapes[0][:-1])
        if f.is_global or len(grid) == 1 and f.grid is None and len(f.size) == 1:
            return f  # already a sequence: nothing moves
        if f.grid is not None or len(f.size) != len(grid):
            return f.whole()
        return replace(f, grid=grid, lead=0)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return ()

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """A flatten and a transpose: a view of the input's memory."""
        return True


@register("grid")
@record(frozen=True, kw_only=True)
class Grid(Layer):
    """``[L, C]`` to ``[*size, C]``: the tokens laid back on a grid, row-major."""

    view = True
    tokens_aware = True
    size: tuple[int, ...] = key(spatial, main=True)

    def apply(self, ins: Sequence[Shape]) -> Effect:
        token_input(ins[0], "grid")
        length, want = ins[0][0], product(self.size)
        if arith.is_int(length) and length != want:
            raise CnnCalcError(
                f"grid {fmt_shape(self.size)} holds {want} tokens, got {length}; expected a "
                f"size whose product is {length}",
                key="size",
            )
        return Effect(shape=(*self.size, ins[0][-1]))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Exact where the tokens came from this grid with nothing before them (for symbolic
        sizes: where they can be equal); a sequence that stays on the grid's first axis (the
        others of size 1) keeps its field; otherwise the whole input."""
        f = ins[0]
        if f.is_global:
            return f
        if f.grid is None and len(f.size) == 1 and arith.sizes_match(self.size[0], shapes[0][0]):
            return f  # the sequence stays on the first axis; the others are 1, as a reshape
        if (  # sizes equal only for some values of the symbols: those, as merges assume
            f.grid is not None
            and arith.shapes_match(f.grid, self.size) is not False
            and arith.sizes_match(f.lead, 0) is not False
        ):
            return replace(f, grid=None, lead=0)
        return f.whole()

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        return ()

    def aliases(self, ins: Sequence[Shape], effect: Effect, training: bool) -> bool:
        """A transpose and a reshape that splits one axis: a view."""
        return True

    def describe(self) -> str:
        return fmt_axes(self.size)


@register("param")
@record(frozen=True, kw_only=True)
class Param(Layer):
    """A learned tensor: added (broadcast, ViT's position embedding) or prepended along the
    first axis (ViT's class token)."""

    tokens_aware = True
    shape: tuple[int, ...] = key(sizes, main=True)
    mode: str = key(choice("add", "concat"), "add")

    def apply(self, ins: Sequence[Shape]) -> Effect:
        x, p = ins[0], self.shape
        if self.mode == "add":
            extra = len(x) - len(p)
            if extra < 0 or any(
                s != 1 and arith.sizes_match(s, x[extra + a]) is False for a, s in enumerate(p)
            ):
                raise CnnCalcError(
                    f"a param of shape {fmt_shape(p)} cannot be added to {fmt_shape(x)}; "
                    "expected on every axis the input's size or 1, aligned at the channels",
                    key="shape",
                )
            # a symbol where the param's size is a number other than 1 must be that number
            unsure = [
                (x[extra + a], s)
                for a, s in enumerate(p)
                if s != 1 and arith.sizes_match(s, x[extra + a]) is None
            ]
            shape = tuple(
                s if s != 1 and not arith.is_int(x[extra + a]) else x[extra + a]
                for a, s in enumerate(p)
            )
            warnings: tuple[str, ...] = ()
            if unsure:
                rules = ", ".join(f"{size} must be {s}" for size, s in unsure)
                warnings = (
                    f"the param of shape {fmt_shape(p)} fits the input {fmt_shape(x)} only for "
                    f"some input sizes ({rules}); `cnncalc solve` lists them",
                )
            return Effect(shape=(*x[:extra], *shape), params=product(p), warnings=warnings)
        if len(p) != len(x) or arith.shapes_match(tuple(p[1:]), tuple(x[1:])) is False:
            raise CnnCalcError(
                f"a param of shape {fmt_shape(p)} cannot be prepended to {fmt_shape(x)}; "
                f"expected [n, {', '.join(str(s) for s in x[1:])}] (the input's sizes after "
                "the first axis)",
                key="shape",
            )
        return Effect(shape=(p[0] + x[0], *x[1:]), params=product(p))

    def field(self, ins: Sequence[Field], effect: Effect, shapes: Sequence[Shape]) -> Field:
        """Adding keeps every field; prepending n tokens moves every field n tokens on (the
        new tokens read nothing, as padding)."""
        f = ins[0]
        if self.mode == "add" or f.is_global:
            return f
        n = self.shape[0]
        if f.grid is not None:
            return replace(f, lead=f.lead + n)
        if len(shapes[0]) == 1:
            return f
        moves = [WindowAxis(0, 1, 1, 1, n if a == 0 else 0, 0, 0) for a in range(len(f.size))]
        return window_field(f, moves)

    def saved(self, ins: Sequence[Shape], effect: Effect, device: str) -> tuple[Saved, ...]:
        """An add or a concatenation: gradients pass through, nothing kept."""
        return ()

    def weight_tensors(self) -> int:
        return 1

    def describe(self) -> str:
        return f"{self.mode} {fmt_axes(self.shape)}"
