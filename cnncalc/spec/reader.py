"""The document: its network tables, blocks, inputs and shapes, and the bound on its size."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from cnncalc import layers as L
from cnncalc.errors import CnnCalcError, suggest
from cnncalc.layers.values import positive_int, show
from cnncalc.spec.blocks import SHAPE_NAMES, Block, Scope
from cnncalc.spec.expand import Expander
from cnncalc.spec.network import Network
from cnncalc.spec.shorthand import split_tokens
from cnncalc.spec.source import parse_toml
from cnncalc.spec.sourcemap import Path as SourcePath
from cnncalc.spec.sourcemap import SourceLines

NETWORK_KEYS = ("name", "input", "layers", "outputs", "expect")
DEFAULT_MAX_LAYERS = 10_000  # a few seconds for any command; --max-layers raises it


class Reader(Expander):
    """Turns one parsed document into Networks, keeping the source map for every error.

    The document's tables are read here; the layer lists are expanded by :class:`Expander`,
    and each entry is read by :class:`EntryReader`.
    """

    def __init__(self, file: str, text: str, max_layers: int = DEFAULT_MAX_LAYERS) -> None:
        self.setup(file, text, parse_toml(text, file), SourceLines(text), max_layers)

    @classmethod
    def from_doc(
        cls, file: str, doc: dict[str, Any], max_layers: int = DEFAULT_MAX_LAYERS
    ) -> Reader:
        """A reader for a document built in memory: no text, so no line numbers."""
        reader = cls.__new__(cls)
        reader.setup(file, "", doc, SourceLines(""), max_layers)
        return reader

    def setup(
        self,
        file: str,
        text: str,
        doc: dict[str, Any],
        lines: SourceLines,
        max_layers: int,
    ) -> None:
        self.file = file
        self.text = text
        self.max_layers = max_layers
        self.doc = doc
        self.lines = lines
        self.built = {}
        self.input_shapes = None
        self.shaped_args = {}
        self.blocks = self.read_blocks()

    # ----- document layout

    def network_tables(self, stem: str) -> Iterator[tuple[str, dict[str, Any], SourcePath]]:
        doc = self.doc
        if "layers" in doc:
            name = doc.get("name", stem)
            if not isinstance(name, str) or not name:
                raise self.error(
                    f"expected a non-empty string, got {show(name)}", ("name",), key="name"
                )
            yield name, doc, ()
            return
        found = False
        for k, v in doc.items():
            if k == "blocks":
                continue
            if not isinstance(v, dict) or "layers" not in v:
                hint = " (a network table needs a layers list)" if isinstance(v, dict) else ""
                raise self.error(
                    f"'{k}' is not a network{hint}; expected a top-level layers list, or "
                    "tables that each hold a network with input and layers",
                    (k,),
                )
            found = True
            yield k, v, (k,)
        if not found:
            raise CnnCalcError(
                "no network found; expected a top-level layers list, or tables that each hold "
                "a network with input and layers",
                file=self.file,
                line=1,
            )

    def read_blocks(self) -> dict[str, Block]:
        raw = self.doc.get("blocks", {})
        if not isinstance(raw, dict):
            raise self.error("expected a table of blocks, [blocks.NAME]", ("blocks",), key="blocks")
        blocks = {}
        for name, spec in raw.items():
            path: SourcePath = ("blocks", name)
            if not isinstance(spec, dict):
                raise self.error("expected a table with args and layers", path, layer=name)
            for k in spec:
                if k not in ("args", "layers"):
                    raise self.error(
                        f"unknown key '{k}'{suggest(k, ['args', 'layers'])}; "
                        "a block has args and layers",
                        path + (k,),
                        layer=name,
                        key=k,
                    )
            if L.lookup(name) is not None:
                raise self.error(
                    f"block '{name}' has the name of a layer type; expected another name",
                    path,
                    layer=name,
                )
            args = spec.get("args", {})
            if not isinstance(args, dict):
                raise self.error(
                    "expected a table of argument defaults",
                    path + ("args",),
                    layer=name,
                    key="args",
                )
            for arg in SHAPE_NAMES:
                if arg in args:
                    raise self.error(
                        f"'{arg}' is what the block reads of its input's shape; expected "
                        "another argument name",
                        path + ("args", arg),
                        layer=name,
                        key="args",
                    )
            entries = spec.get("layers")
            if not isinstance(entries, list) or not entries:
                raise self.error(
                    "expected a non-empty list of layers",
                    path + ("layers",),
                    layer=name,
                    key="layers",
                )
            blocks[name] = Block(name, args, entries, path + ("layers",))
        return blocks

    def networks(self, stem: str, only: str | None = None) -> list[Network]:
        """Every network of the document, or only the one named ``only`` (``--net``)."""
        tables = list(self.network_tables(stem))
        if only is not None:
            chosen = [t for t in tables if t[0] == only]
            if not chosen:
                raise unknown_network(only, [name for name, _, _ in tables], self.file)
            tables = chosen
        return [self.network(n, t, p) for n, t, p in tables]

    # ----- one network

    def network(self, name: str, table: dict[str, Any], path: SourcePath) -> Network:
        for k in table:
            if k not in NETWORK_KEYS and not (k == "blocks" and not path):
                raise self.error(
                    f"unknown key '{k}'{suggest(k, NETWORK_KEYS)}; a network has "
                    + ", ".join(NETWORK_KEYS),
                    path + (k,),
                    name,
                    key=k,
                )
        if "input" not in table:
            raise self.error(
                "missing key 'input'; expected e.g. input = [224, 224, 3]", path, name, key="input"
            )
        inputs = self.read_inputs(table["input"], path + ("input",), name)
        entries = table["layers"]
        if not isinstance(entries, list) or not entries:
            raise self.error(
                "expected a non-empty list of layers", path + ("layers",), name, key="layers"
            )
        self.check_size(name, entries, path)
        net = Network(
            name=name,
            inputs=inputs,
            nodes=[],
            file=self.file,
            source_lines=self.lines,
            source_prefix=path,
        )
        first = next(iter(inputs)) if len(inputs) == 1 else None
        self.expand(net, entries, Scope(input=first, path=path + ("layers",)), first)
        outputs = table.get("outputs")
        if outputs is not None:
            if (
                not isinstance(outputs, list)
                or not outputs
                or not all(isinstance(o, str) for o in outputs)
            ):
                raise self.error(
                    "expected a list of layer names", path + ("outputs",), name, key="outputs"
                )
            net.outputs = list(outputs)
        elif net.nodes:
            net.outputs = [net.nodes[-1].name]
        if not net.nodes:
            raise self.error(
                "every layer is left out (repeat = 0); expected at least one layer",
                path + ("layers",),
                name,
                key="layers",
            )
        if "expect" in table:
            if not isinstance(table["expect"], dict):
                raise self.error(
                    "expected a table of expectations", path + ("expect",), name, key="expect"
                )
            net.expect = table["expect"]
        return net

    def read_inputs(self, raw: Any, path: SourcePath, net: str) -> dict[str, L.Shape]:
        if isinstance(raw, dict):
            if not raw:
                raise self.error("expected at least one named input", path, net, key="input")
            return {k: self.read_shape(v, path + (k,), net, f"input.{k}") for k, v in raw.items()}
        return {"input": self.read_shape(raw, path, net, "input")}

    def read_shape(self, raw: Any, path: SourcePath, net: str, key: str) -> L.Shape:
        expected = "a list of 1 to 4 positive sizes, spatial axes first, channels last"
        if not isinstance(raw, list) or not 1 <= len(raw) <= 4:
            raise self.error(f"expected {expected}, got {show(raw)}", path, net, key=key)
        shape = []
        for index, item in enumerate(raw):
            if isinstance(item, str):
                from cnncalc.spec.symbols import (
                    symbol,
                )  # only a file with symbolic sizes pays for formulas

                try:
                    shape.append(symbol(item))
                except CnnCalcError as error:
                    raise error.within(
                        file=self.file, line=self.line(path + (index,)), network=net, key=key
                    ) from None
                continue
            try:
                shape.append(positive_int(item))
            except CnnCalcError as error:
                raise self.error(f"{error.message} in {show(raw)}", path, net, key=key) from None
        return tuple(shape)

    # ----- size bound, before anything is expanded

    def check_size(self, net: str, entries: list[Any], path: SourcePath) -> None:
        """Count the layers the network expands to, refusing recursion and huge totals first."""
        sizes: dict[str, int] = {}
        state: dict[str, str] = {}

        def count_entries(items: list[Any], block: str | None) -> int:
            total = 0
            for item in items:
                reps = item.get("repeat", 1) if isinstance(item, dict) else 1
                reps = reps if isinstance(reps, int) and reps > 0 else 1
                unit = 1
                if self.blocks:  # (without blocks, every entry is one layer)
                    t = self.type_of(item)
                    unit = sizes.get(t, 1) if isinstance(t, str) and t in self.blocks else 1
                total += reps * unit
                if total > self.max_layers:
                    raise self.error(
                        f"the network expands to more than {self.max_layers:,} layers; "
                        "expected fewer (raise the bound with --max-layers)",
                        path + ("layers",),
                        net,
                    )
            return total

        # Iterative depth-first walk over block uses, so deep nesting cannot hit recursion.
        for root in self.uses(entries):
            stack: list[tuple[str, Iterator[str]]] = []
            if root in state:
                continue
            state[root] = "open"
            stack.append((root, iter(self.uses(self.blocks[root].entries))))
            while stack:
                name, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    state[name] = "done"
                    sizes[name] = count_entries(self.blocks[name].entries, name)
                elif state.get(child) == "open":
                    chain = [n for n, _ in stack]
                    chain = chain[chain.index(child) :] + [child]
                    raise self.error(
                        "block uses itself: " + " → ".join(chain) + "; expected blocks "
                        "that do not contain themselves",
                        self.blocks[child].path,
                        net,
                        layer=child,
                    )
                elif child not in state:
                    state[child] = "open"
                    stack.append((child, iter(self.uses(self.blocks[child].entries))))
        count_entries(entries, None)

    def uses(self, entries: list[Any]) -> list[str]:
        """The blocks that ``entries`` use, in order."""
        if not self.blocks:
            return []
        found = []
        for item in entries:
            t = self.type_of(item)
            if isinstance(t, str) and t in self.blocks:
                found.append(t)
        return found

    @staticmethod
    def type_of(item: Any) -> Any:
        """The type an entry names (a table's type key, a string's first word), else None."""
        if isinstance(item, dict):
            return item.get("type")
        return split_tokens(item)[0] if isinstance(item, str) and item.split() else None


def unknown_network(name: str, names: Sequence[str], file: str) -> CnnCalcError:
    """The error for ``--net NAME`` when the file has no network of that name."""
    return CnnCalcError(
        f"no network '{name}'{suggest(name, names)}; the file has " + ", ".join(names),
        file=file,
        key="--net",
    )
