"""Walks a network's graph once, in dependency order: Network → Analysis."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import field as dataclass_field
from functools import cached_property
from typing import Any

from cnncalc.errors import CnnCalcError, Diagnostic, Location, suggest
from cnncalc.layers.base import (
    FUSED_PARAMS,
    Effect,
    Field,
    Layer,
    MismatchError,
    Shape,
    fmt_shape,
)
from cnncalc.layers.effects import effect_of
from cnncalc.layers.token_field import token_field
from cnncalc.layers.values import show
from cnncalc.records import record, replace
from cnncalc.spec.network import Network, Node
from cnncalc.symbolic.arith import Size, known_below, product


@record(frozen=True)
class Totals:
    """Network-wide sums; adds like numbers so a total is ``sum(layers, Totals())``."""

    params: Size = 0
    trainable_params: Size = 0
    macs: Size = 0
    activations: Size = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.params + other.params,
            self.trainable_params + other.trainable_params,
            self.macs + other.macs,
            self.activations + other.activations,
        )

    def __radd__(self, other: int) -> Totals:
        return self if other == 0 else NotImplemented  # lets built-in sum() start from 0

    @property
    def frozen_params(self) -> Size:
        return self.params - self.trainable_params


@record
class LayerResult:
    """Everything cnncalc knows about one layer after the walk."""

    node: Node
    inputs: tuple[str, ...]  # resolved node or network-input names
    input_shapes: tuple[Shape, ...]
    effect: Effect
    field: Field
    warnings: list[Diagnostic] = dataclass_field(default_factory=list)
    shared_from: str | None = None  # the layer whose weights this one reuses
    field_via: str | None = None  # for a merge: the input whose field is the widest
    folded: Totals | None = None  # for a folded block instance: the sum over its layers

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def shape(self) -> Shape:
        return self.effect.shape

    @property
    def own_params(self) -> Size:
        """Parameters the layer's weights hold, whether or not they are shared."""
        return self.effect.params + self.effect.frozen_params

    @property
    def totals(self) -> Totals:
        """This layer's contribution: shared weights are counted at their first owner only."""
        if self.folded is not None:
            return self.folded
        activations = 0 if self.node.layer.view else product(self.effect.shape)
        if self.shared_from is not None:
            return Totals(0, 0, self.effect.macs, activations)
        return Totals(self.own_params, self.effect.params, self.effect.macs, activations)


@record
class Analysis:
    network: Network
    layers: list[LayerResult]  # in file order
    outputs: dict[str, Shape]
    input_fields: dict[str, Field]

    @cached_property
    def totals(self) -> Totals:
        """Summed once: reports read the network's totals for every row (a share of them)."""
        return sum((r.totals for r in self.layers), Totals())

    @property
    def warnings(self) -> list[Diagnostic]:
        return [w for r in self.layers for w in r.warnings]


USUAL_CHANNELS = (1, 3, 4)  # grey, RGB, RGBA


def channels_last(shape: Shape) -> Shape | None:
    """``(224, 224, 3)`` for ``(3, 224, 224)``: an image written channels-first, else None.

    Only when the first size is a usual channel count and much smaller than every other
    size, so that no plausible channels-last input is taken for one.
    """
    if len(shape) < 3 or not all(type(v) is int for v in shape):
        return None
    first, rest = shape[0], shape[1:]
    if first not in USUAL_CHANNELS or 4 * first > min(rest):
        return None
    return (*rest, first)


def input_field(shape: Shape) -> Field:
    return Field.at_input(shape[:-1] if len(shape) > 1 else ())


class Walk:
    """One pass over a network; holds the name tables the pass needs."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.index = {node.name: i for i, node in enumerate(net.nodes)}
        if len(self.index) != len(net.nodes):
            self.duplicate()
        for name in net.inputs:
            if name in self.index:
                node = net.nodes[self.index[name]]
                raise self.error(
                    node, f"'{name}' is already the name of a network input", key="name"
                )

    def line(self, node: Node, key: str | None) -> int | None:
        """The line of ``key`` in the node's entry when the file wrote it out, else the entry's."""
        if key is not None and node.path:
            found = self.net.source_lines.get(node.path + (key,))
            if found is not None:
                return found
        return node.line

    def error(self, node: Node, message: str, key: str | None = None) -> CnnCalcError:
        return CnnCalcError(
            message,
            file=self.net.file,
            line=self.line(node, key),
            network=self.net.name,
            layer=node.name,
            key=key,
        )

    def duplicate(self) -> None:
        seen: set[str] = set()
        for node in self.net.nodes:
            if node.name in seen:
                raise self.error(
                    node,
                    f"the name '{node.name}' is used twice; expected unique layer names",
                    key="name",
                )
            seen.add(node.name)

    def resolve(self, name: str, node: Node | None, key: str = "inputs") -> str:
        """A written name → a node or network-input name, through block and repeat aliases."""
        seen = 0
        while name in self.net.aliases and name not in self.index:
            name = self.net.aliases[name]
            seen += 1
            if seen > len(self.net.aliases):
                break
        if name in self.index or name in self.net.inputs:
            return name
        options = list(self.net.inputs) + list(self.index) + list(self.net.aliases)
        message = (
            f"unknown layer '{name}'{suggest(name, options)}; expected the name of a layer "
            "or a network input (" + ", ".join(self.net.inputs) + ")"
        )
        if node is None:  # the network's own outputs list
            raise CnnCalcError(
                message,
                file=self.net.file,
                line=self.net.line_at(key),
                network=self.net.name,
                key=key,
            )
        raise self.error(node, message, key=key)

    def order(self, deps: list[tuple[str, ...]]) -> list[int]:
        """Kahn's topological order; a cycle is an error that names it."""
        nodes = self.net.nodes
        waiting = [0] * len(nodes)
        users: list[list[int]] = [[] for _ in nodes]
        for i, names in enumerate(deps):
            for name in names:
                j = self.index.get(name)
                if j is not None:
                    waiting[i] += 1
                    users[j].append(i)
        ready = deque(i for i in range(len(nodes)) if waiting[i] == 0)
        order = []
        while ready:
            i = ready.popleft()
            order.append(i)
            for u in users[i]:
                waiting[u] -= 1
                if waiting[u] == 0:
                    ready.append(u)
        if len(order) < len(nodes):
            self.cycle(deps, waiting)
        return order

    def cycle(self, deps: list[tuple[str, ...]], waiting: list[int]) -> None:
        start = next(i for i, w in enumerate(waiting) if w)
        path, seen = [start], {start: 0}
        while True:
            nxt = next(
                self.index[n] for n in deps[path[-1]] if n in self.index and waiting[self.index[n]]
            )
            if nxt in seen:
                loop = path[seen[nxt] :] + [nxt]
                break
            seen[nxt] = len(path)
            path.append(nxt)
        names = [self.net.nodes[i].name for i in reversed(loop)]
        first = self.net.nodes[min(loop)]
        raise self.error(
            first,
            "the inputs form a cycle: "
            + " → ".join(names)
            + "; expected each layer to read only layers before it",
            key="inputs",
        )

    def run(self) -> Analysis:
        net, nodes = self.net, self.net.nodes
        deps = [
            tuple(
                self.resolve(n, node, k) for n, k in zip(node.inputs, input_keys(node), strict=True)
            )
            for node in nodes
        ]
        shapes: dict[str, Shape] = dict(net.inputs)
        fields: dict[str, Field] = {k: input_field(s) for k, s in net.inputs.items()}
        input_fields = dict(fields)
        results: list[LayerResult | None] = [None] * len(nodes)
        for i in self.order(deps):
            node = nodes[i]
            layer = node.layer
            ins = deps[i]
            in_shapes = tuple(shapes[n] for n in ins)
            in_fields = [fields[n] for n in ins]
            try:
                effect = effect_of(layer, in_shapes, ins)
                rf = token_field(layer, in_fields, effect, in_shapes)
            except CnnCalcError as error:
                if isinstance(error, MismatchError):
                    error.message = error.explain([ins[error.first], ins[error.other]])
                raise error.within(
                    file=net.file,
                    line=self.line(node, error.location.key),
                    network=net.name,
                    layer=node.name,
                ) from None
            slopes = FUSED_PARAMS.get(node.activation or "", 0)
            if slopes:
                effect = replace(effect, params=effect.params + slopes)
            notes = effect.warnings + layer.field_warnings(in_fields, in_shapes)
            warnings = []
            if notes:
                where = Location(net.file, node.line, net.name, node.name)
                warnings = [Diagnostic(text, where) for text in notes]
            results[i] = LayerResult(
                node,
                ins,
                in_shapes,
                effect,
                rf,
                warnings,
                field_via=merged_via(layer, ins, in_fields),
            )
            shapes[node.name] = effect.shape
            fields[node.name] = rf
        done = [r for r in results if r is not None]
        self.warn_channels_first(done)
        self.link_shares(done)
        outputs = {}
        for name in net.outputs:
            resolved = self.resolve(name, None, key="outputs")
            outputs[resolved] = shapes[resolved]
        self.dead_branches(done, deps, outputs)
        return Analysis(net, done, outputs, input_fields)

    def warn_channels_first(self, results: Sequence[LayerResult]) -> None:
        """PyTorch users write ``[3, 224, 224]``: say so at the first layer that reads it."""
        net = self.net
        for name, shape in net.inputs.items():
            order = channels_last(shape)
            if order is None:
                continue
            reader = next((r for r in results if name in r.inputs), None)
            if reader is None:
                continue
            which = "input" if len(net.inputs) == 1 else f"input {name}"
            path = ("input",) if len(net.inputs) == 1 else ("input", name)
            where = Location(net.file, net.line_at(*path), net.name, reader.name)
            message = (
                f"{which} {list(shape)} looks channels-first, PyTorch's order; cnncalc reads "
                f"spatial sizes first, channels last: write {list(order)}"
            )
            reader.warnings.insert(0, Diagnostic(message, where))

    def dead_branches(
        self, results: Sequence[LayerResult], deps: list[tuple[str, ...]], outputs: Iterable[str]
    ) -> None:
        """Warn at a layer whose output goes nowhere: usually a branch never merged back
        (a gate computed but not multiplied in), which changes no count and so hides."""
        used = {name for names in deps for name in names}
        used.update(outputs)
        for r in results:
            if r.name not in used:
                where = Location(self.net.file, r.node.line, self.net.name, r.name)
                r.warnings.append(
                    Diagnostic(
                        "its output is never used: no layer reads it and it is not a network "
                        "output; expected it in a later layer's inputs, or in outputs",
                        where,
                    )
                )

    def link_shares(self, results: Sequence[LayerResult]) -> None:
        """Check every ``share`` names a layer of the same kind and weights, then link it."""
        by_name = {r.name: r for r in results}
        owners: dict[str, LayerResult] = {}  # layer → the first owner of its weights
        for r in results:
            target_name = r.node.share
            if target_name is None:
                continue
            resolved = self.resolve(target_name, r.node, key="share")
            target = by_name.get(resolved)
            if target is None or target is r:
                raise self.error(
                    r.node,
                    f"cannot share weights with '{target_name}'; expected another layer",
                    key="share",
                )
            target = self.owner(target, by_name, owners)
            if r.own_params == 0 and target.own_params == 0 and target.node.layer == r.node.layer:
                continue  # nothing to share: a pooling layer inside a shared block
            if target.node.layer != r.node.layer or target.own_params != r.own_params:
                raise self.error(
                    r.node,
                    f"cannot share weights with '{target.name}': it is "
                    f"{describe_weights(target)}, this layer is {describe_weights(r)}; "
                    "expected the same kind, arguments and input channels",
                    key="share",
                )
            r.shared_from = target.name

    def owner(
        self,
        start: LayerResult,
        by_name: dict[str, LayerResult],
        owners: dict[str, LayerResult],
    ) -> LayerResult:
        """Follow ``share`` from ``start`` to a layer that shares nothing, remembering the
        answer for every layer on the way, so chains of any length cost O(layers) in all."""
        chain: list[LayerResult] = []
        target = start
        while target.name not in owners and target.node.share is not None:
            if len(chain) >= len(by_name):  # a loop of shares: stop where the walk is
                break
            chain.append(target)
            target = by_name[self.resolve(target.node.share, target.node, key="share")]
        found = owners.get(target.name, target)
        for r in chain:
            owners[r.name] = found
        return found


def input_keys(node: Node) -> list[str]:
    """The key each input was written under: inputs, and last the key of a layer read as a
    second input (crop's to), so that an unknown name there points at that key."""
    keys = ["inputs"] * len(node.inputs)
    reads = getattr(node.layer, "reads", None)
    if keys and reads and getattr(node.layer, reads, None) is not None:
        keys[-1] = reads
    return keys


def merged_via(layer: Layer, names: Sequence[str], fields: Sequence[Field]) -> str | None:
    """For a layer that merges the fields of several inputs, the input with the widest."""
    k = layer.value_inputs
    return widest(names[:k], fields[:k]) if len(names[:k]) > 1 else None


def widest(names: Sequence[str], fields: Sequence[Field]) -> str:
    """The input whose receptive field is largest: the path that sets a merge's field."""
    best = 0
    for i, f in enumerate(fields):
        if f.is_global and not fields[best].is_global:
            best = i
        elif not fields[best].is_global and known_below(sum(fields[best].size), sum(f.size)):
            best = i
    return names[best]


def describe_weights(r: LayerResult) -> str:
    config = r.node.layer.describe()
    channels = r.input_shapes[0][-1] if r.input_shapes else "?"
    return f"{r.node.kind}({config}) on {channels} channels" if config else r.node.kind


def analyze(net: Network) -> Analysis:
    """Shapes, parameters, MACs and receptive fields of every layer, in one walk."""
    if not isinstance(net, Network):
        raise CnnCalcError(
            f"net: expected a Network from load, load_text or load_dict, got {show(net)}"
        )
    return Walk(net).run()


def replace_input(net: Network, shapes: dict[str, Any]) -> None:
    """Swap the network's input shapes (``--input``), checking the names exist."""
    for name in shapes:
        if name not in net.inputs:
            raise CnnCalcError(
                f"the network has no input '{name}'; its inputs are " + ", ".join(net.inputs),
                network=net.name,
                key="--input",
            )
    net.inputs.update(shapes)


def shapes_line(shapes: Iterable[Shape]) -> str:
    return ", ".join(fmt_shape(s) for s in shapes)
