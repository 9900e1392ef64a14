"""The shape of a block instance's input, worked out while the network is still expanding.

A block may size its layers from its input (``filters = "in_channels * 4"``), so its
expansion needs the shapes of the layers expanded before it. Only blocks that name
``in_channels`` or ``in_size`` ask, and each layer's shape is computed at most once.
"""

from __future__ import annotations

from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import Shape
from cnncalc.layers.effects import effect_of
from cnncalc.spec.network import Network


class InputShapes:
    """Shapes of the nodes of one network as far as it is expanded."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.shapes: dict[str, Shape] = dict(net.inputs)
        self.index: dict[str, int] = {}

    def resolve(self, name: str) -> str:
        """Through block and repeat aliases to a node or network input (as the engine does)."""
        for _ in range(len(self.net.aliases) + 1):
            if name in self.index or name in self.shapes or name not in self.net.aliases:
                break
            name = self.net.aliases[name]
        return name

    def of(self, name: str) -> Shape:
        """The output shape of ``name``; an unknown name or a bad layer is a CnnCalcError."""
        nodes = self.net.nodes
        for i in range(len(self.index), len(nodes)):
            self.index[nodes[i].name] = i
        stack = [self.resolve(name)]
        open_: set[str] = set()
        while stack:  # depth-first over inputs, without recursion
            current = stack[-1]
            if current in self.shapes:
                stack.pop()
                continue
            if current not in self.index:
                raise CnnCalcError(
                    f"cannot size a block from '{current}': it is not a layer written before "
                    "the block; expected in_channels and in_size to read earlier layers"
                )
            node = nodes[self.index[current]]
            ins = [self.resolve(n) for n in node.inputs]
            missing = [n for n in ins if n not in self.shapes]
            if missing:
                if current in open_:
                    raise CnnCalcError(
                        f"cannot size a block from '{current}': its inputs form a cycle"
                    )
                open_.add(current)
                stack.extend(missing)
                continue
            stack.pop()
            try:
                effect = effect_of(node.layer, tuple(self.shapes[n] for n in ins), ins)
            except CnnCalcError as error:
                raise error.within(
                    file=self.net.file,
                    line=node.line,
                    network=self.net.name,
                    layer=node.name,
                ) from None
            self.shapes[current] = effect.shape
        return self.shapes[self.resolve(name)]


def shape_names(shape: Shape) -> dict[str, Any]:
    """What a block's expressions read of an input of this shape."""
    return {"in_channels": shape[-1], "in_size": tuple(shape[:-1])}
