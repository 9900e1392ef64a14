"""Expansion: a network's entries → its nodes, through block instances and ``repeat``."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from cnncalc import layers as L
from cnncalc.errors import CnnCalcError
from cnncalc.layers.values import show
from cnncalc.spec.blocks import Block, Scope
from cnncalc.spec.entries import KNOWN, EntryReader, known_key, remember
from cnncalc.spec.inshape import InputShapes, shape_names
from cnncalc.spec.network import Network, Node
from cnncalc.spec.sourcemap import Path as SourcePath


class Expander(EntryReader):
    """Expands the layer lists of one document (the base of ``Reader``)."""

    # What one entry of a block's layer list gives under one set of block arguments:
    # the checked entry and its layer (or, for a block instance, its arguments). Every
    # copy of a repeated block reuses it, so expansion reads each entry once.
    built: dict[tuple[int, int, int], _Built]
    # For blocks that read their input's shape: the shapes so far, and one argument table
    # per (arguments, input shape), so copies on equal inputs still share what they read.
    input_shapes: InputShapes | None
    shaped_args: dict[tuple[int, Any], dict[str, Any]]

    def expand(self, net: Network, entries: list[Any], scope: Scope, previous: str | None) -> None:
        """Append the nodes of ``entries`` to ``net`` in order, expanding blocks and repeat.

        Block instances nest through an explicit stack of frames, so a deep chain of
        blocks never reaches Python's recursion limit.
        """
        counters: dict[tuple[str, str], int] = {}
        stack: list[_Entries | _Copies] = [_Entries(entries, scope, previous)]
        while stack:
            frame = stack[-1]
            if isinstance(frame, _Copies):
                if frame.index == len(frame.copies):
                    stack.pop()
                    stack[-1].prev = frame.prev
                    continue
                copy = frame.copies[frame.index]
                frame.index += 1
                inner = Scope(
                    prefix=copy + ".",
                    input=frame.prev,
                    args=self.shaped(net, frame, copy) if frame.block.reads_shape else frame.args,
                    block=copy,
                    path=frame.block.path,
                    share=None if frame.share is None else f"{frame.share}.",
                )
                stack.append(_Entries(frame.block.entries, inner, None, alias=copy))
                continue
            if frame.index == len(frame.items):
                stack.pop()
                if frame.alias is not None and frame.prev is None:  # every layer left out
                    frame.prev = frame.scope.input
                if frame.alias is not None and frame.prev is not None:
                    net.aliases[frame.alias] = frame.prev
                if stack:
                    stack[-1].prev = frame.prev
                continue
            sc, index = frame.scope, frame.index
            frame.index += 1
            key = (id(frame.items), index, id(sc.args))
            built = self.built.get(key)
            if built is None:
                built = self.read_entry(frame.items, index, net.name, sc)
                if sc.block is not None:  # top-level entries are read once anyway
                    self.built[key] = built
            path, entry = built.path, built.entry
            type_name = entry["type"]
            local = entry.get("name")
            if local is None:
                k = counters.get((sc.prefix, type_name), 0) + 1
                counters[(sc.prefix, type_name)] = k
                local = f"{type_name}{k}"
            full = sc.prefix + local
            if not built.checked:  # (it normalises the entry in place: once is enough)
                self.check_common(entry, path, net.name, full)
                built.checked = True
            reps = entry.get("repeat", 1)
            if reps == 0 or not self.present(built, sc, net.name, full):
                # Left out: the next layer reads what this one would have, and so does its name.
                stand_in = frame.prev if frame.prev is not None else sc.input
                if stand_in is not None:
                    net.aliases[full] = stand_in
                continue
            inputs = self.entry_inputs(entry, sc, frame.prev, path, net, full)
            kind = L.REGISTRY.get(type_name)
            reads = None if kind is None else getattr(kind[0], "reads", None)
            extra: list[str] = []  # crop's and upsample's to, attention's kv: a second input
            if reads and isinstance(entry.get(reads), str):  # (every repeated copy reads it)
                more = {"inputs": [entry[reads]]}
                extra = self.entry_inputs(more, sc, None, path, net, full)
                inputs = inputs + extra
            names = [full] if reps == 1 else [f"{full}_{i}" for i in range(1, reps + 1)]
            if reps > 1:
                net.aliases[full] = names[-1]
            share = entry.get("share")
            if share is not None and sc.block is not None:
                share = sc.prefix + share
            if share is None and sc.share is not None:
                share = sc.share + full[len(sc.prefix) :]
            if type_name in self.blocks:
                if len(inputs) != 1:
                    raise self.error(
                        f"a block instance reads one input, got {len(inputs)}",
                        path + ("inputs",),
                        net.name,
                        layer=full,
                        key="inputs",
                    )
                block = self.blocks[type_name]
                args = self.block_args(block, entry, path, net.name, full)
                for copy in names:
                    net.blocks[copy] = type_name
                    net.block_args[copy] = args
                    net.written[copy] = frame.items[index]
                stack.append(_Copies(block, names, args, share, inputs[0], path))
                continue
            if built.layer is None:
                cls, preset = L.REGISTRY[type_name]
                built.layer = self.build(cls, preset, entry, path, net.name, full)
                if built.known is not None:
                    remember(built.known, entry, built.layer)
            layer = built.layer
            for i, node_name in enumerate(names):
                if sc.block is not None:
                    net.written[node_name] = frame.items[index]
                net.nodes.append(
                    Node(
                        name=node_name,
                        layer=layer,
                        inputs=tuple(inputs) if i == 0 else (names[i - 1], *extra),
                        path=path,
                        activation=entry.get("activation"),
                        share=share,
                        block=sc.block,
                        source=self.lines,
                    )
                )
            frame.prev = names[-1]

    def present(self, built: _Built, sc: Scope, net: str, full: str) -> bool:
        """Whether the entry's ``when`` holds (no ``when``: it does), read once per scope."""
        if built.when is None:
            built.when = True
            when = built.entry.get("when")
            if when is not None:
                path = built.path + ("when",)
                if sc.block is None:
                    raise self.error(
                        "when is for layers inside a block, where it can read the block's "
                        "arguments; expected it in a [blocks.NAME] layer",
                        path,
                        net,
                        layer=full,
                        key="when",
                    )
                if isinstance(when, str):
                    from cnncalc.spec.expr import condition

                    try:
                        built.when = condition(when, sc.args)
                    except CnnCalcError as error:
                        raise self.error(error.message, path, net, layer=full, key="when") from None
                elif isinstance(when, bool):
                    built.when = when
                else:
                    raise self.error(
                        f'expected a condition such as "stride == 1", or true or false, '
                        f"got {show(when)}",
                        path,
                        net,
                        layer=full,
                        key="when",
                    )
        return built.when

    def shaped(self, net: Network, frame: _Copies, copy: str) -> dict[str, Any]:
        """The block's arguments and its input's shape (``in_channels``, ``in_size``)."""
        if self.input_shapes is None or self.input_shapes.net is not net:
            self.input_shapes = InputShapes(net)
        assert frame.prev is not None  # a block instance always has its input
        try:
            shape = self.input_shapes.of(frame.prev)
        except CnnCalcError as error:
            raise error.within(
                file=self.file, line=self.line(frame.path), network=net.name, layer=copy
            ) from None
        key = (id(frame.args), shape)
        args = self.shaped_args.get(key)
        if args is None:
            args = self.shaped_args[key] = {**frame.args, **shape_names(shape)}
        return args

    def read_entry(self, items: list[Any], index: int, net: str, sc: Scope) -> _Built:
        """Entry ``index`` of ``items`` read in scope ``sc`` (from :data:`KNOWN` if it can)."""
        path = sc.path + (index,)
        raw = items[index]
        shared = None if sc.args else known_key(raw)
        known = KNOWN.get(shared) if shared is not None else None
        if known is not None:
            built = _Built(items, sc.args, path, known[0])
            built.layer = known[1]
            built.checked = True  # it was when it was first read
            return built
        entry = self.entry(raw, path, net, sc)
        built = _Built(items, sc.args, path, entry)
        if entry["type"] in L.REGISTRY:  # (a block's meaning depends on the document)
            built.known = shared
        return built

    def entry_inputs(
        self,
        entry: dict[str, Any],
        sc: Scope,
        prev: str | None,
        path: SourcePath,
        net: Network,
        full: str,
    ) -> list[str]:
        raw = entry.get("inputs")
        if raw is None:
            if prev is not None:
                return [prev]
            if sc.input is not None:
                return [sc.input]
            raise self.error(
                "the network has several inputs; expected inputs naming one of "
                + ", ".join(net.inputs),
                path,
                net.name,
                layer=full,
                key="inputs",
            )
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw or not all(isinstance(r, str) for r in raw):
            raise self.error(
                f"expected a list of layer names, got {show(raw)}",
                path + ("inputs",),
                net.name,
                layer=full,
                key="inputs",
            )
        resolved = []
        for name in raw:
            if name == "input" and sc.block is not None:
                resolved.append(sc.input if sc.input is not None else "input")
            elif name == "input" and sc.block is None and len(net.inputs) == 1:
                resolved.append(next(iter(net.inputs)))
            elif sc.block is not None:
                resolved.append(sc.prefix + name)
            else:
                resolved.append(name)
        return resolved


class _Built:
    """One entry read under one set of block arguments (see ``Expander.built``).

    It holds the entry list and the arguments it was read with, so their ``id`` values,
    which key the cache, cannot be reused by other objects while the reader lives.
    """

    __slots__ = ("items", "args_in", "path", "entry", "layer", "args", "known", "when", "checked")

    def __init__(
        self,
        items: list[Any],
        args_in: Mapping[str, Any],
        path: SourcePath,
        entry: dict[str, Any],
    ) -> None:
        self.items = items
        self.args_in = args_in
        self.path = path
        self.entry = entry
        self.layer: L.Layer | None = None
        self.args: dict[str, Any] | None = None  # a block instance's arguments
        self.known: Hashable | None = None  # its key in KNOWN once its layer is built
        self.when: bool | None = None  # whether its when holds, once read
        self.checked = False  # whether check_common has passed it


class _Entries:
    """A list of entries being expanded, and the name of the last output so far."""

    __slots__ = ("items", "scope", "prev", "alias", "index")

    def __init__(
        self, items: list[Any], scope: Scope, prev: str | None, alias: str | None = None
    ) -> None:
        self.items = items
        self.scope = scope
        self.prev = prev
        self.alias = alias  # the block copy these entries make up
        self.index = 0


class _Copies:
    """The copies of one block instance (``repeat``), expanded one after another."""

    __slots__ = ("block", "copies", "args", "share", "prev", "path", "index")

    def __init__(
        self,
        block: Block,
        copies: list[str],
        args: dict[str, Any],
        share: str | None,
        prev: str | None,
        path: SourcePath,
    ) -> None:
        self.block = block
        self.copies = copies
        self.args = args
        self.share = share
        self.prev = prev
        self.path = path  # the instance's entry
        self.index = 0
