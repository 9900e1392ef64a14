"""TOML text → Networks: file layout, layer entries, one-line shorthand, blocks and repeat.

Every error raised here carries the file, the line (from the source map),
the network, the layer and the key it is about.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnncalc import layers as L
from cnncalc.errors import CnnCalcError
from cnncalc.layers.values import MAX_INT, PADDING_WORDS, integer, positive_int, show
from cnncalc.spec.network import Network, Node
from cnncalc.spec.sourcemap import decode_error_line, locate

COMMON_KEYS = ("type", "name", "inputs", "repeat", "activation", "share")
NETWORK_KEYS = ("name", "input", "layers", "outputs", "expect")
WORD_KEYS = frozenset({"type", "name", "inputs", "activation", "share", "mode"})
MAX_FILE_BYTES = 16 * 2**20
MAX_NESTING = 100  # where to point when TOML nesting exhausts the parser
DEFAULT_MAX_LAYERS = 1_000_000
STDIN = "<stdin>"
INLINE = "<layers>"
TEXT = "<text>"  # TOML text given to load_text without a file name
DICT = "<dict>"  # a document given to load_dict
SourcePath = tuple[str | int, ...]


# --------------------------------------------------------------------------- helpers


def suggest(word: str, options: Sequence[str]) -> str:
    """`` — did you mean 'x'?`` when a close match exists, else the empty string."""
    import difflib  # only an error needs it

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def read_text(path: str) -> tuple[str, str]:
    """(display name, text) of a file, or of standard input for ``-``."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        name = STDIN
    else:
        name = path
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise CnnCalcError("no such file", file=path) from None
        except IsADirectoryError:
            raise CnnCalcError("is a directory; expected a TOML file", file=path) from None
        except OSError as error:
            raise CnnCalcError(f"cannot read the file: {error.strerror}", file=path) from None
    if len(data) > MAX_FILE_BYTES:
        raise CnnCalcError(
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB; "
            "expected an architecture file (use blocks and repeat for long networks)",
            file=name,
        )
    try:
        return name, data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CnnCalcError("the file is not UTF-8 text", file=name, line=line) from None


def parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, message = decode_error_line(error)
        if line is None:  # "at end of document": point at the last line
            line = text.count("\n") + 1
        raise CnnCalcError(f"invalid TOML: {message}", file=file, line=line) from None
    except ValueError:  # Python's limit on the digits of an int
        long = re.search(r"\d{4000,}", text)
        line = text.count("\n", 0, long.start()) + 1 if long else 1
        raise CnnCalcError(
            "invalid TOML: a number with thousands of digits; expected sizes up to 2**64",
            file=file,
            line=line,
        ) from None
    except (RecursionError, MemoryError):
        raise CnnCalcError(
            "invalid TOML: lists or tables nested too deeply; expected a flat architecture file",
            file=file,
            line=nesting_line(text),
        ) from None


def nesting_line(text: str) -> int:
    """The line where brackets first nest too deep (strings ignored: a hint, not a parser)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += 1 if ch in "[{" else -1 if ch in "]}" else 0
        if depth > MAX_NESTING:
            return text.count("\n", 0, i) + 1
    return 1


# --------------------------------------------------------------------------- shorthand


def split_tokens(text: str) -> list[str]:
    """Split on whitespace, but keep a bracketed list like ``[3, 3]`` in one token."""
    if "[" not in text:
        return text.split()
    tokens: list[str] = []
    depth, start = 0, -1  # start: where the current token began, -1 between tokens
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        if ch.isspace() and depth == 0:
            if start >= 0:
                tokens.append(text[start:i])
                start = -1
        elif start < 0:
            start = i
    if start >= 0:
        tokens.append(text[start:])
    return tokens


def shorthand_value(text: str) -> Any:
    """A shorthand value: 64, -1, true, 3x3, [3,3], [[1,1],[0,1]], same, "quoted"."""
    if re.fullmatch(r"-?\d+", text):
        if len(text) > 40:
            raise CnnCalcError(f"{text[:20]}… is too large; expected at most 2**64")
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"\d+(x\d+)+", text):
        return [int(part) for part in text.split("x")]
    if text.startswith("["):
        inner = text[1:-1] if text.endswith("]") else None
        if inner is not None and "[" not in inner and "]" not in inner:  # [3,3] or [a, b]
            return [shorthand_value(item.strip()) for item in inner.split(",") if item.strip()]
        try:
            return tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            raise CnnCalcError(
                f"cannot read the list {text}; expected e.g. [3, 3] or [[1, 2], [0, 1]]"
            ) from None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def parse_shorthand(text: str) -> dict[str, Any]:
    """``"conv 64 kernel=3 padding=same"`` → ``{type: conv, filters: 64, kernel: 3, …}``."""
    tokens = split_tokens(text)
    if not tokens:
        raise CnnCalcError('empty layer; expected a type such as "conv 64 kernel=3"')
    entry: dict[str, Any] = {"type": tokens[0]}
    for position, token in enumerate(tokens[1:]):
        if "=" in token:
            name, _, value = token.partition("=")
            if not name:
                raise CnnCalcError(f"'{token}' has no key before '='; expected key=value")
            if name in entry:
                raise CnnCalcError(f"key '{name}' is given twice", key=name)
            entry[name] = shorthand_value(value)
        elif position == 0:
            entry[""] = shorthand_value(token)  # the main key's value, named once the type is known
        else:
            raise CnnCalcError(
                f"'{token}' is not key=value; only the first value after the type may omit its key"
            )
    return entry


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Block:
    name: str
    args: dict[str, Any]
    entries: list[Any]
    path: SourcePath


class Scope:
    """Where entries are being expanded: the top level of a network or a block instance.

    (The expansion's working records are plain slotted classes, not dataclasses: cheaper to
    create for every block copy, and to define when cnncalc starts.)
    """

    __slots__ = ("prefix", "input", "args", "block", "path", "share")

    def __init__(
        self,
        prefix: str = "",  # "" at top level, "<instance>." inside a block
        input: str | None = None,  # what "input" stands for inside a block
        args: Mapping[str, Any] | None = None,
        block: str | None = None,
        path: SourcePath = (),  # source path of the entry list
        share: str | None = None,  # instance whose weights every layer here reuses
    ) -> None:
        self.prefix = prefix
        self.input = input
        self.args: Mapping[str, Any] = {} if args is None else args
        self.block = block
        self.path = path
        self.share = share


def substitute(value: Any, key: str, args: Mapping[str, Any]) -> Any:
    """Replace block arguments in one value: a bare name, or an arithmetic expression."""
    from cnncalc.spec.expr import evaluate

    if isinstance(value, list):
        return [substitute(v, key, args) for v in value]
    if not isinstance(value, str):
        return value
    if value in args:
        return args[value]
    if key in WORD_KEYS or value in PADDING_WORDS:
        return value
    return evaluate(value, args)


# --------------------------------------------------------------------------- reader


class Reader:
    """Turns one parsed document into Networks, keeping the source map for every error."""

    def __init__(self, file: str, text: str, max_layers: int = DEFAULT_MAX_LAYERS) -> None:
        self.setup(file, text, parse_toml(text, file), locate(text), max_layers)

    @classmethod
    def from_doc(
        cls, file: str, doc: dict[str, Any], max_layers: int = DEFAULT_MAX_LAYERS
    ) -> Reader:
        """A reader for a document built in memory: no text, so no line numbers."""
        reader = cls.__new__(cls)
        reader.setup(file, "", doc, {}, max_layers)
        return reader

    def setup(
        self,
        file: str,
        text: str,
        doc: dict[str, Any],
        lines: dict[SourcePath, int],
        max_layers: int,
    ) -> None:
        self.file = file
        self.text = text
        self.max_layers = max_layers
        self.doc = doc
        self.lines = lines
        # What one entry of a block's layer list gives under one set of block arguments:
        # the checked entry and its layer (or, for a block instance, its arguments). Every
        # copy of a repeated block reuses it, so expansion reads each entry once.
        self.built: dict[tuple[int, int, int], _Built] = {}
        self.blocks = self.read_blocks()

    # ----- locations

    def line(self, path: SourcePath) -> int | None:
        """Line of ``path`` or of its nearest enclosing entry; line 1 for the whole file."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1 if self.text else None

    def error(
        self, message: str, path: SourcePath, network: str | None = None, **where: Any
    ) -> CnnCalcError:
        return CnnCalcError(message, file=self.file, line=self.line(path), network=network, **where)

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
            line=self.line(path or ("layers",)),
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
        else:
            net.outputs = [net.nodes[-1].name]
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
                t = (
                    item.get("type")
                    if isinstance(item, dict)
                    else (split_tokens(item)[0] if isinstance(item, str) and item.split() else None)
                )
                reps = item.get("repeat", 1) if isinstance(item, dict) else 1
                reps = reps if isinstance(reps, int) and reps > 0 else 1
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
        found = []
        for item in entries:
            t = (
                item.get("type")
                if isinstance(item, dict)
                else (split_tokens(item)[0] if isinstance(item, str) and item.split() else None)
            )
            if isinstance(t, str) and t in self.blocks:
                found.append(t)
        return found

    # ----- expansion

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
                    args=frame.args,
                    block=copy,
                    path=frame.block.path,
                    share=None if frame.share is None else f"{frame.share}.",
                )
                stack.append(_Entries(frame.block.entries, inner, None, alias=copy))
                continue
            if frame.index == len(frame.items):
                stack.pop()
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
            self.check_common(entry, path, net.name, full)
            inputs = self.entry_inputs(entry, sc, frame.prev, path, net, full)
            reps = entry.get("repeat", 1)
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
                stack.append(_Copies(block, names, args, share, inputs[0]))
                continue
            if built.layer is None:
                cls, preset = L.REGISTRY[type_name]
                built.layer = self.build(cls, preset, entry, path, net.name, full)
                if built.known is not None:
                    remember(built.known, entry, built.layer)
            layer, line = built.layer, built.line
            for i, node_name in enumerate(names):
                if sc.block is not None:
                    net.written[node_name] = frame.items[index]
                net.nodes.append(
                    Node(
                        name=node_name,
                        layer=layer,
                        inputs=tuple(inputs) if i == 0 else (names[i - 1],),
                        line=line,
                        path=path,
                        activation=entry.get("activation"),
                        share=share,
                        block=sc.block,
                    )
                )
            frame.prev = names[-1]

    def read_entry(self, items: list[Any], index: int, net: str, sc: Scope) -> _Built:
        """Entry ``index`` of ``items`` read in scope ``sc`` (from :data:`KNOWN` if it can)."""
        path = sc.path + (index,)
        raw = items[index]
        shared = None if sc.args else known_key(raw)
        known = KNOWN.get(shared) if shared is not None else None
        if known is not None:
            built = _Built(items, sc.args, path, known[0], self.line(path))
            built.layer = known[1]
            return built
        entry = self.entry(raw, path, net, sc)
        built = _Built(items, sc.args, path, entry, self.line(path))
        if entry["type"] in L.REGISTRY:  # (a block's meaning depends on the document)
            built.known = shared
        return built

    def entry(self, raw: Any, path: SourcePath, net: str, sc: Scope) -> dict[str, Any]:
        """A layer entry as a dict with its type known and block arguments substituted."""
        if isinstance(raw, str):
            try:
                entry = parse_shorthand(raw)
            except CnnCalcError as error:
                where = f"layer {path[-1] + 1 if isinstance(path[-1], int) else path[-1]}"
                raise error.within(
                    file=self.file, line=self.line(path), network=net, layer=sc.prefix + where
                ) from None
        elif isinstance(raw, dict):
            entry = dict(raw)
        else:
            raise self.error(
                f'expected a layer table or a one-line string like "conv 64 kernel=3", '
                f"got {show(raw)}",
                path,
                net,
            )
        layer_name = entry.get("name") if isinstance(entry.get("name"), str) else None
        where = f"layer {path[-1] + 1 if isinstance(path[-1], int) else path[-1]}"
        shown = sc.prefix + layer_name if layer_name else (sc.prefix + where)
        if "type" not in entry:
            raise self.error(
                "missing key 'type'; expected a layer type such as \"conv\"",
                path,
                net,
                layer=shown,
                key="type",
            )
        if sc.args:
            try:
                entry = {k: substitute(v, k, sc.args) for k, v in entry.items()}
            except CnnCalcError as error:
                raise error.within(
                    file=self.file, line=self.line(path), network=net, layer=shown
                ) from None
        t = entry["type"]
        if not isinstance(t, str):
            raise self.error(
                f"expected a layer type name, got {show(t)}",
                path + ("type",),
                net,
                layer=shown,
                key="type",
            )
        if L.lookup(t) is None and t not in self.blocks:
            options = list(L.REGISTRY) + list(self.blocks)
            raise self.error(
                f"unknown layer type '{t}'{suggest(t, options)}",
                path + ("type",),
                net,
                layer=shown,
                key="type",
            )
        if "" in entry:
            main = L.REGISTRY[t][0].main_key() if t in L.REGISTRY else None
            if main is None:
                raise self.error(
                    f"{t} takes no positional value; write key=value", path, net, layer=shown
                )
            entry[main] = entry.pop("")
        if layer_name is None and "name" in entry:
            raise self.error(
                f"expected a name string, got {show(entry['name'])}",
                path + ("name",),
                net,
                layer=shown,
                key="name",
            )
        if layer_name is not None and (
            not layer_name or "." in layer_name or layer_name in ("input",)
        ):
            raise self.error(
                f"'{layer_name}' cannot name a layer; expected a non-empty name without '.' "
                "that is not 'input'",
                path + ("name",),
                net,
                layer=shown,
                key="name",
            )
        return entry

    def check_common(self, entry: dict[str, Any], path: SourcePath, net: str, full: str) -> None:
        """The keys every layer may have, checked once the layer's name is known."""
        for k in ("repeat",):
            if k in entry:
                try:
                    entry[k] = integer(entry[k], 1, "a positive integer")
                except CnnCalcError as error:
                    raise self.error(error.message, path + (k,), net, layer=full, key=k) from None
        if "activation" in entry and entry["activation"] not in L.ACTIVATIONS:
            a = entry["activation"]
            raise self.error(
                f"unknown activation {show(a)}"
                f"{suggest(a, L.ACTIVATIONS) if isinstance(a, str) else ''}; expected one of "
                + ", ".join(L.ACTIVATIONS),
                path + ("activation",),
                net,
                layer=full,
                key="activation",
            )
        if "share" in entry and not isinstance(entry["share"], str):
            raise self.error(
                f"expected a layer name, got {show(entry['share'])}",
                path + ("share",),
                net,
                layer=full,
                key="share",
            )

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

    def block_args(
        self, block: Block, entry: dict[str, Any], path: SourcePath, net: str, full: str
    ) -> dict[str, Any]:
        args = dict(block.args)
        for k, v in entry.items():
            if k in COMMON_KEYS:
                if k == "activation":
                    raise self.error(
                        "a block instance takes no activation; add a layer",
                        path + (k,),
                        net,
                        layer=full,
                        key=k,
                    )
                continue
            if k not in args:
                raise self.error(
                    f"unknown argument '{k}'{suggest(k, list(args))} for block "
                    f"'{block.name}'; its arguments are " + (", ".join(args) or "none"),
                    path + (k,),
                    net,
                    layer=full,
                    key=k,
                )
            args[k] = v
        return args

    def build(
        self,
        cls: type[L.Layer],
        preset: dict[str, Any],
        entry: dict[str, Any],
        path: SourcePath,
        net: str,
        full: str,
    ) -> L.Layer:
        """Validate keys against the kind's dataclass fields and read each value."""
        fields, required = kind_keys(cls)
        values: dict[str, Any] = {}
        for k, v in entry.items():
            if k in COMMON_KEYS:
                continue
            if k not in fields:
                options = list(fields) + list(COMMON_KEYS)
                raise self.error(
                    f"unknown key '{k}'{suggest(k, options)}; {entry['type']} takes "
                    + (", ".join(fields) or "no keys")
                    + " and the common keys",
                    path + (k,),
                    net,
                    layer=full,
                    key=k,
                )
            if k in preset and preset[k] != v:
                raise self.error(
                    f"{entry['type']} always has {k} = {show(preset[k])}; use type = "
                    f'"{cls.kind}" to choose {k}',
                    path + (k,),
                    net,
                    layer=full,
                    key=k,
                )
            try:
                values[k] = fields[k].metadata["coerce"](v)
            except CnnCalcError as error:
                raise self.error(error.message, path + (k,), net, layer=full, key=k) from None
        for k, v in preset.items():
            values.setdefault(k, v)
        missing = [name for name in required if name not in values]
        if missing:
            raise self.error(
                f"missing key '{missing[0]}' for {entry['type']}",
                path,
                net,
                layer=full,
                key=missing[0],
            )
        return cls(**values)


_KIND_KEYS: dict[type[L.Layer], tuple[dict[str, Any], tuple[str, ...]]] = {}


def kind_keys(cls: type[L.Layer]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A kind's keys by name and its required keys in order (looked up once per kind)."""
    known = _KIND_KEYS.get(cls)
    if known is None:
        fields = {f.name: f for f in cls.keys()}
        required = tuple(name for name, f in fields.items() if _required(f))
        known = _KIND_KEYS[cls] = (fields, required)
    return known


def _required(f: Any) -> bool:
    import dataclasses

    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


# Layer entries outside blocks read the same in every document: what a string such as
# "conv 64 kernel=3 padding=same" (or a table of plain values) gives is kept here, so a
# program that analyses thousands of candidate networks reads each distinct entry once.
KNOWN: dict[Hashable, tuple[dict[str, Any], L.Layer]] = {}
KNOWN_LIMIT = 4096
_PLAIN = (int, str, bool, float)


def known_key(raw: Any) -> Hashable | None:
    """A key for an entry of plain values (types included, since 1 and true read apart)."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, dict):
        return None
    items = []
    for k, v in raw.items():
        if isinstance(v, list):
            if not all(type(x) in _PLAIN for x in v):
                return None
            items.append((k, list, tuple((type(x), x) for x in v)))
        elif type(v) in _PLAIN:
            items.append((k, type(v), v))
        else:
            return None
    return tuple(items)


def remember(key: Hashable, entry: dict[str, Any], layer: L.Layer) -> None:
    if len(KNOWN) >= KNOWN_LIMIT:
        KNOWN.clear()
    KNOWN[key] = (entry, layer)


class _Built:
    """One entry read under one set of block arguments (see ``Reader.built``).

    It holds the entry list and the arguments it was read with, so their ``id`` values,
    which key the cache, cannot be reused by other objects while the reader lives.
    """

    __slots__ = ("items", "args_in", "path", "entry", "line", "layer", "args", "known")

    def __init__(
        self,
        items: list[Any],
        args_in: Mapping[str, Any],
        path: SourcePath,
        entry: dict[str, Any],
        line: int | None,
    ) -> None:
        self.items = items
        self.args_in = args_in
        self.path = path
        self.entry = entry
        self.line = line
        self.layer: L.Layer | None = None
        self.args: dict[str, Any] | None = None  # a block instance's arguments
        self.known: Hashable | None = None  # its key in KNOWN once its layer is built


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

    __slots__ = ("block", "copies", "args", "share", "prev", "index")

    def __init__(
        self,
        block: Block,
        copies: list[str],
        args: dict[str, Any],
        share: str | None,
        prev: str | None,
    ) -> None:
        self.block = block
        self.copies = copies
        self.args = args
        self.share = share
        self.prev = prev
        self.index = 0


# --------------------------------------------------------------------------- entry points


def unknown_network(name: str, names: Sequence[str], file: str) -> CnnCalcError:
    """The error for ``--net NAME`` when the file has no network of that name."""
    return CnnCalcError(
        f"no network '{name}'{suggest(name, names)}; the file has " + ", ".join(names),
        file=file,
        key="--net",
    )


def load_text(
    text: str,
    file: str = TEXT,
    max_layers: int = DEFAULT_MAX_LAYERS,
    only: str | None = None,
) -> list[Network]:
    """Read every network of TOML text; ``file`` is the name errors give for it.

    ``only`` reads just the network of that name (the others are not expanded or checked).
    """
    stem = Path(file).stem if file not in (STDIN, INLINE, TEXT) else "network"
    return Reader(file, text, max_layers).networks(stem, only)


def load(path: str, max_layers: int = DEFAULT_MAX_LAYERS, only: str | None = None) -> list[Network]:
    """Read every network of a TOML architecture file (``-`` for standard input)."""
    file, text = read_text(path)
    return load_text(text, file, max_layers, only)


def load_dict(
    doc: Mapping[str, Any],
    name: str = "network",
    max_layers: int = DEFAULT_MAX_LAYERS,
    only: str | None = None,
) -> list[Network]:
    """Read every network of a document built in Python, laid out as the TOML file is.

    ``doc`` holds what ``tomllib`` would return for the file (tuples may stand for lists);
    ``name`` names a network whose keys sit at the top level and have no ``name`` key.
    Errors carry no line numbers, since there is no text to point into.
    """
    if not isinstance(doc, Mapping):
        raise CnnCalcError(f"expected a table (a dict), got {show(doc)}", file=DICT)
    return Reader.from_doc(DICT, plain(doc), max_layers).networks(name, only)


def plain(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a document with tuples as lists and mappings as dicts, as TOML gives them.

    Iterative, so no nesting depth reaches the recursion limit; a document that refers to
    itself would never end, so the copy stops after a bound on its size.
    """
    root: dict[str, Any] = {}
    stack: list[tuple[Any, Any]] = [(doc, root)]
    budget = 4 * 2**20  # values: far more than any network needs
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        for k, v in items:
            budget -= 1
            if isinstance(v, Mapping):
                copy: Any = {}
            elif isinstance(v, list | tuple):
                copy = [None] * len(v)
            else:
                target[k] = v
                continue
            if budget < 0:
                raise CnnCalcError(
                    "the document is too large, or contains itself; expected tables, "
                    "lists and values as a TOML file holds them",
                    file=DICT,
                )
            target[k] = copy
            stack.append((v, copy))
    return root


def inline_network(layers: str, input_shape: str | None) -> Network:
    """A network given on the command line: ``--layers "conv 6 kernel=5; maxpool 2"``."""
    entries = [part.strip() for part in layers.split(";") if part.strip()]
    if not entries:
        raise CnnCalcError("expected at least one layer", file=INLINE, line=1, key="--layers")
    if input_shape is None:
        raise CnnCalcError(
            "--layers needs --input, e.g. --input 28x28x1", file=INLINE, line=1, key="--input"
        )
    doc = {"input": parse_dims(input_shape), "layers": entries}
    return Reader.from_doc(INLINE, doc).network("network", doc, ())


def parse_dims(text: str, what: str = "--input") -> list[int | str]:
    """``224x224x3`` → [224, 224, 3]; a part that is not a number stays a symbol name."""
    parts = re.split("[xX×]", text) if text else []  # symbols keep their case: HxWx3
    if not parts or any(not p for p in parts):
        raise CnnCalcError(f"cannot read '{text}'; expected sizes like 224x224x3", key=what)
    out: list[int | str] = []
    for p in parts:
        if p.isdigit():
            value = int(p)
            if value < 1 or value > MAX_INT:
                raise CnnCalcError(f"size {p} in '{text}' must be between 1 and 2**64", key=what)
            out.append(value)
        else:
            out.append(p)
    return out
