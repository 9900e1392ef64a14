"""One layer entry: a table or a shorthand string → a checked entry and its Layer."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from cnncalc import layers as L
from cnncalc.errors import CnnCalcError, suggest
from cnncalc.layers.values import integer, show, spelled
from cnncalc.spec.blocks import Block, Scope, substitute
from cnncalc.spec.shorthand import parse_shorthand
from cnncalc.spec.sourcemap import Path as SourcePath
from cnncalc.spec.sourcemap import SourceLines

COMMON_KEYS = ("type", "name", "inputs", "repeat", "activation", "share", "when")


class EntryReader:
    """Reads the layer entries of one document; every error points into its source map.

    The base of :class:`cnncalc.spec.reader.Reader`, which sets these attributes.
    """

    file: str
    text: str
    lines: SourceLines
    blocks: dict[str, Block]

    # ----- locations

    def line(self, path: SourcePath) -> int | None:
        """Line of ``path`` or of its nearest enclosing entry; line 1 for the whole file."""
        return self.lines.line(path)

    def error(
        self, message: str, path: SourcePath, network: str | None = None, **where: Any
    ) -> CnnCalcError:
        return CnnCalcError(message, file=self.file, line=self.line(path), network=network, **where)

    # ----- one entry

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
            written, entry = entry, {}
            for k, v in written.items():
                try:  # (a when is a condition, read where the layer is expanded)
                    entry[k] = v if k == "when" else substitute(v, k, sc.args)
                except CnnCalcError as error:
                    raise error.within(
                        file=self.file, line=self.line(path + (k,)), network=net, layer=shown, key=k
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
                    entry[k] = integer(entry[k], 0, "a whole number, 0 or more")
                except CnnCalcError as error:
                    raise self.error(error.message, path + (k,), net, layer=full, key=k) from None
        if isinstance(entry.get("activation"), str):  # "ReLU", "LeakyReLU", "Swish" …
            a = entry["activation"]
            a = spelled(a, (*L.ACTIVATIONS, *L.ACTIVATION_ALIASES)) or a
            entry["activation"] = L.ACTIVATION_ALIASES.get(a, a)
        if "activation" in entry and entry["activation"] not in L.ACTIVATIONS:
            a = entry["activation"]
            close = suggest(a.lower(), L.ACTIVATIONS) if isinstance(a, str) else ""
            raise self.error(
                f"unknown activation {show(a)}{close}; expected one of " + ", ".join(L.ACTIVATIONS),
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
