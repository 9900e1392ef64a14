"""Folding repeated submodules into blocks, so an imported ResNet reads as its stages.

Every layer knows the module paths it ran in. A module instance whose layers are one run
of the file, read from outside only through its last layer and fed by one input, is a
candidate; instances of one class with the same structure (layer kinds, keys and wiring)
become one block, the whole numbers that differ between them its arguments. Runs of
instances with the same arguments, each reading the one before, become ``repeat``. The
shallowest module level that repeats wins; what does not repeat stays inline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from cnncalc.interop.import_toml import Layer, entries, value
from cnncalc.layers import REGISTRY

CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}  # their children are what repeats


@dataclass
class Segment:
    path: str
    cls: str
    layers: list[Layer]
    source: str  # the one input from outside
    skeleton: tuple[Any, ...] = ()
    values: dict[tuple[str, str], int] = field(default_factory=dict)

    def wire(self, name: str) -> str:
        """A name the instance reads, as its block writes it: its input, or a local name."""
        return "input" if name == self.source else local(name, self.path)

    def local_keys(self, layer: Layer) -> dict[str, Any]:
        """The layer's keys as its block writes them: a layer its read key names, wired."""
        key = read_key(layer)
        return layer.keys if key is None else {**layer.keys, key: self.wire(layer.keys[key])}


@dataclass
class Block:
    name: str
    args: dict[str, int]
    layers: list[Layer]
    where: dict[str, tuple[str, str]]  # argument → (layer, key) it stands for


@dataclass
class Folded:
    layers: list[Layer]
    outputs: list[str]
    blocks: list[Block]

    def block_text(self) -> list[str]:
        out = []
        for b in self.blocks:
            out += ["", f"[blocks.{b.name}]"]
            if b.args:
                out.append(f"args = {value(b.args)}")
            out.append("layers = [")
            out += entries(b.layers, "input")
            out.append("]")
        return out


def local(name: str, path: str) -> str:
    prefix = path.replace(".", "_") + "_"
    return name[len(prefix) :] if name.startswith(prefix) and len(name) > len(prefix) else name


def read_key(layer: Layer) -> str | None:
    """The key by which the layer names another it reads (upsample's and crop's ``to``,
    attention's ``kv``), when it has one."""
    found = REGISTRY.get(layer.keys.get("type", ""))
    key = getattr(found[0], "reads", None) if found else None
    return key if key is not None and isinstance(layer.keys.get(key), str) else None


def reads(layer: Layer) -> list[str]:
    """Every layer this one reads: its inputs, and the one its read key names."""
    key = read_key(layer)
    return [*layer.inputs, *([layer.keys[key]] if key else [])]


def segments(layers: list[Layer], depth: int) -> list[tuple[str | None, list[Layer]]]:
    """Consecutive layers grouped by their module path at ``depth`` (None: outside any)."""
    out: list[tuple[str | None, list[Layer]]] = []
    for layer in layers:
        key = layer.path[depth] if len(layer.path) > depth else None
        if out and out[-1][0] == key and key is not None:
            out[-1][1].append(layer)
        else:
            out.append((key, [layer]))
    return out


def candidate(path: str, layers: list[Layer], readers: dict[str, set[str]]) -> Segment | None:
    """The run as a block instance, if it is one: one input, read only at its end."""
    names = {layer.name for layer in layers}
    outside = {i for layer in layers for i in reads(layer) if i not in names}
    if (
        len(outside) != 1
        or len(layers) < 2
        or any("share" in x.keys or "kv" in x.keys for x in layers)
    ):
        return None
    depth = layers[0].path.index(path)
    if layers[0].classes[depth] in CONTAINERS:
        return None
    for layer in layers[:-1]:
        if readers.get(layer.name, set()) - names:
            return None
    if "<share>" in readers.get(layers[-1].name, set()):
        return None
    (source,) = outside
    seg = Segment(path, layers[0].classes[depth], layers, source)
    skeleton: list[Any] = []
    for layer in layers:
        mine = local(layer.name, path)
        wiring = tuple(seg.wire(i) for i in layer.inputs)
        keys: list[tuple[str, str | None]] = []
        for k, v in seg.local_keys(layer).items():
            if isinstance(v, int) and not isinstance(v, bool) and k not in ("type", "repeat"):
                seg.values[(mine, k)] = v
                keys.append((k, None))
            else:
                keys.append((k, repr(v)))
        skeleton.append((mine, tuple(keys), wiring))
    seg.skeleton = (seg.cls, tuple(skeleton))
    return seg


def fold(net: Any) -> Folded | None:
    """The network with its repeated submodules as blocks, or None when nothing repeats."""
    readers: dict[str, set[str]] = {}
    for layer in net.layers:
        for i in reads(layer):
            readers.setdefault(i, set()).add(layer.name)
    for o in net.outputs:
        readers.setdefault(o, set()).add("<output>")
    for layer in net.layers:  # a layer whose weights another shares keeps its name
        if "share" in layer.keys:
            readers.setdefault(layer.keys["share"], set()).update({"<share>", layer.name})
    folder = Folder(net, readers)
    folder.collect(net.layers, 0)
    folder.reserve()
    layers = folder.walk(net.layers, 0)
    if not folder.blocks:
        return None
    rename = folder.rename
    layers = [renamed(x, rename) for x in layers]
    outputs = [rename.get(o, o) for o in net.outputs]
    return Folded(layers, outputs, list(folder.blocks.values()))


def renamed(layer: Layer, rename: dict[str, str]) -> Layer:
    """The layer reading a folded instance by its name (not its last layer's)."""
    key, keys = read_key(layer), layer.keys
    if key is not None:
        keys = {**keys, key: rename.get(keys[key], keys[key])}
    return replace(layer, inputs=[rename.get(i, i) for i in layer.inputs], keys=keys)


class Folder:
    def __init__(self, net: Any, readers: dict[str, set[str]]) -> None:
        self.net = net
        self.readers = readers
        self.blocks: dict[tuple[Any, ...], Block] = {}
        self.rename: dict[str, str] = {}  # a folded instance's last layer → the instance
        self.found: dict[tuple[Any, ...], list[Segment]] = {}
        self.used = {layer.name for layer in net.layers} | set(net.inputs)

    def collect(self, layers: list[Layer], depth: int) -> None:
        """Every candidate instance at every level, by structure."""
        for path, run in segments(layers, depth):
            if path is None:
                continue
            seg = candidate(path, run, self.readers)
            if seg is not None:
                self.found.setdefault(seg.skeleton, []).append(seg)
            self.collect(run, depth + 1)

    def reserve(self) -> None:
        """Instance names are module paths: no repeated copy may take one."""
        for segs in self.found.values():
            self.used |= {s.path.replace(".", "_") for s in segs}

    def walk(self, layers: list[Layer], depth: int) -> list[Layer]:
        groups = segments(layers, depth)
        found = self.found
        repeated = {k for k, segs in found.items() if len(segs) > 1}
        out: list[Layer] = []
        pending: list[tuple[Segment, Block, dict[str, int]]] = []
        for path, run in groups:
            seg = candidate(path, run, self.readers) if path is not None else None
            if seg is not None and seg.skeleton in repeated:
                block = self.block(seg.skeleton, found[seg.skeleton])
                args = {a: seg.values[where] for a, where in block.where.items()}
                pending.append((seg, block, {k: v for k, v in args.items() if block.args[k] != v}))
                continue
            out += self.instances(pending)
            pending = []
            if path is None:
                out += run
            else:
                out += self.walk(run, depth + 1)
        return out + self.instances(pending)

    def block(self, skeleton: tuple[Any, ...], segs: list[Segment]) -> Block:
        if skeleton in self.blocks:
            return self.blocks[skeleton]
        first = segs[0]
        differ = [k for k, v in first.values.items() if any(s.values[k] != v for s in segs)]
        columns = {k: [s.values[k] for s in segs] for k in differ}
        # one argument per column of values; a column that is a whole multiple of an
        # argument's is written as that multiple (a bottleneck's "filters * 4")
        args: list[tuple[str, str]] = []
        derived: dict[tuple[str, str], tuple[tuple[str, str], int]] = {}
        for spot in differ:
            base = next((a for a in args if multiple(columns[a], columns[spot])), None)
            if base is None:
                args.append(spot)
            else:
                derived[spot] = (base, multiple(columns[base], columns[spot]) or 1)
        counts: dict[str, int] = {}
        for _, k in args:
            counts[k] = counts.get(k, 0) + 1
        where = {(k if counts[k] == 1 else f"{ident(at)}_{k}"): (at, k) for at, k in args}
        text: dict[tuple[str, str], str] = {w: a for a, w in where.items()}
        for spot, (base, ratio) in derived.items():
            text[spot] = text[base] if ratio == 1 else f"{text[base]} * {ratio}"
        names = {local(x.name, first.path): x for x in first.layers}
        inner = []
        for mine, _, wiring in skeleton[1]:
            layer = names[mine]
            kv = dict(first.local_keys(layer))
            for (at, k), expr in text.items():
                if at == mine:
                    kv[k] = expr
            inner.append(Layer(mine, kv, list(wiring)))
        name = self.block_name(first.cls)
        block = Block(name, {a: first.values[w] for a, w in where.items()}, inner, where)
        self.blocks[skeleton] = block
        return block

    def block_name(self, cls: str) -> str:
        base = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls).lower() or "block"
        base = ident(base)
        if base in REGISTRY:
            base += "_block"
        taken = {b.name for b in self.blocks.values()}
        name, k = base, 1
        while name in taken or name in self.used:
            k += 1
            name = f"{base}_{k}"
        return name

    def chained(self, before: Segment, after: Segment) -> bool:
        """``after`` reads ``before``, and nothing else does."""
        last = before.layers[-1].name
        inside = {x.name for x in after.layers}
        return after.source == last and self.readers.get(last, set()) <= inside

    def instances(self, pending: list[tuple[Segment, Block, dict[str, int]]]) -> list[Layer]:
        """One entry per instance; consecutive equal ones, each reading the last, repeat."""
        out: list[Layer] = []
        i = 0
        while i < len(pending):
            seg, block, args = pending[i]
            j = i + 1
            while (
                j < len(pending)
                and pending[j][1] is block
                and pending[j][2] == args
                and self.chained(pending[j - 1][0], pending[j][0])
            ):
                j += 1
            run = pending[i:j]
            if len(run) > 1:
                parent = seg.path.rpartition(".")[0].replace(".", "_") or seg.path.replace(".", "_")
                copies = {f"{parent}_{k}" for k in range(1, len(run) + 1)} | {parent}
                mine = {x.name for s, _, _ in run for x in s.layers}
                mine |= {s.path.replace(".", "_") for s, _, _ in run}
                if not (copies & (self.used - mine)):
                    self.used |= copies
                    keys: dict[str, Any] = {"type": block.name, **args, "repeat": len(run)}
                    out.append(Layer(parent, keys, [seg.source]))
                    self.rename[run[-1][0].layers[-1].name] = parent
                    i = j
                    continue
            name = seg.path.replace(".", "_")
            out.append(Layer(name, {"type": block.name, **args}, [seg.source]))
            self.rename[seg.layers[-1].name] = name
            i += 1
        return out


def multiple(base: list[int], col: list[int]) -> int | None:
    """k where ``col`` is k times ``base`` throughout, else None."""
    if not base[0] or col[0] % base[0]:
        return None
    k = col[0] // base[0]
    return k if all(c == k * b for b, c in zip(base, col, strict=True)) else None


def ident(name: str) -> str:
    """A name usable as a block argument: letters, digits and _, not starting with a digit."""
    name = re.sub(r"\W", "_", name)
    return f"l{name}" if name[:1].isdigit() else name
