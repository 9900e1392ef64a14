"""PyTorch export: analysed networks → the source of a self-contained ``torch.nn.Module`` file.

One class per network, and one per block type: a block instance becomes a submodule
whose constructor takes the block's arguments (and its input channels), written with
the block's own arithmetic (``width * 4``). An instance that cannot be a submodule (it
reads more than its one input, or a layer outside reads inside it) is written inline.

Tensors are NCHW inside (batch, channels, spatial axes); cnncalc's shapes are
spatial-first and channels-last, so ``flatten`` and ``reshape`` permute to that order
first, to keep cnncalc's element order. Padding is always the padding cnncalc
computed: the layer's own ``padding`` argument when it is the same on both sides, an
explicit ``F.pad`` otherwise. This module never imports torch.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cnncalc import layers as L
from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.errors import CnnCalcError
from cnncalc.interop.torch_code import (
    MARK,
    MODULE_ATTRIBUTES,
    RESERVED,
    TORCH_DEFAULTS,
    Names,
    Writer,
    Written,
    class_name,
    dims,
    literal,
    render_slot,
    torch_shape,
)
from cnncalc.spec.expr import evaluate
from cnncalc.symbolic.arith import is_int

__all__ = ["MODULE_ATTRIBUTES", "Export", "NetworkInfo", "export_pytorch"]


@dataclass
class NetworkInfo:
    """Where each cnncalc layer lives in the generated module, for tests and tools."""

    class_name: str
    inputs: dict[str, str]  # network input name → forward argument
    modules: dict[str, str] = field(default_factory=dict)  # layer → module path (shared: owner's)
    activations: dict[str, str] = field(default_factory=dict)  # layer → its activation module
    # layer → (module path of the forward that computes it, which call of it, local variable)
    variables: dict[str, tuple[str, int, str]] = field(default_factory=dict)


@dataclass
class Export:
    code: str
    networks: dict[str, NetworkInfo]


# --------------------------------------------------------------------------- scopes


@dataclass
class Call:
    """A block instance in its parent's forward: ``out = self.<module>(input)``."""

    instance: str
    target: str  # the instance whose module runs: itself, or the one whose weights it shares
    input: str
    output: str


Item = LayerResult | Call


@dataclass
class Scope:
    """A network, or a block instance written as a module: what its forward runs."""

    name: str  # the block instance; "" for the network
    items: list[Item] = field(default_factory=list)
    input: str | None = None
    output: str | None = None
    local: dict[str, str] = field(default_factory=dict)  # layer or instance → identifier
    with_module: set[str] = field(default_factory=set)  # layers that call a module


class Plan:
    """Which block instances become submodules, and what each scope's forward runs."""

    def __init__(self, a: Analysis, linear: bool) -> None:
        self.a = a
        net = a.network
        self.results = {r.name: r for r in a.layers}
        self.position = {r.name: i for i, r in enumerate(a.layers)}
        self.members: dict[str, set[str]] = {x: set() for x in net.blocks}
        for r in a.layers:
            for x in self.chain(r.node.block):
                self.members[x].add(r.name)
        self.readers: dict[str, list[str]] = {}
        for r in a.layers:
            for n in r.inputs:
                self.readers.setdefault(n, []).append(r.name)
        self.copy_of: dict[str, str] = {}
        self.inputs: dict[str, str] = {}
        self.outputs = {x: self.resolve(x) for x in net.blocks}
        modules = set() if linear else {x for x in net.blocks if self.members[x]}
        modules = {x for x in modules if self.fits(x)}
        while True:  # a shared copy runs its original's module, which it must be able to reach
            drop = {
                x
                for x in modules & set(self.copy_of)
                if self.copy_of[x] not in modules
                or self.copy_of[x] in self.copy_of
                or not self.within(self.copy_of[x], self.parent(x, modules))
            }
            if not drop:
                break
            modules -= drop
        copies = modules & set(self.copy_of)
        # instances inside a shared copy run as part of its original's module
        modules = {x for x in modules if not copies & set(self.chain(self.parent_instance(x)))}
        self.modules = modules
        self.scopes = {"": Scope("")} | {
            x: Scope(x, input=self.inputs[x], output=self.outputs[x])
            for x in sorted(modules, key=self.first)
            if x not in copies
        }
        hidden = {m for x in copies for m in self.members[x]}
        for r in a.layers:
            if r.name not in hidden:
                self.scopes[self.scope_of(r.node.block)].items.append(r)
        for x in sorted(modules, key=self.first):
            call = Call(x, self.copy_of.get(x, x), self.inputs[x], self.outputs[x])
            self.scopes[self.parent(x, modules)].items.append(call)
        for scope in self.scopes.values():
            scope.items = self.order(scope)

    # ----- the instance tree

    def first(self, x: str) -> int:
        """Where an instance starts in the file."""
        return min(self.position[m] for m in self.members[x])

    def parent_instance(self, x: str | None) -> str | None:
        if x is None or "." not in x:
            return None
        up = x.rsplit(".", 1)[0]
        return up if up in self.a.network.blocks else self.parent_instance(up)

    def chain(self, x: str | None) -> list[str]:
        """The instance and the instances it sits in, innermost first."""
        out = []
        while x is not None:
            out.append(x)
            x = self.parent_instance(x)
        return out

    def parent(self, x: str, modules: set[str]) -> str:
        return next((y for y in self.chain(self.parent_instance(x)) if y in modules), "")

    def scope_of(self, block: str | None) -> str:
        return next((y for y in self.chain(block) if y in self.modules), "")

    def within(self, x: str, scope: str) -> bool:
        return scope == "" or scope in self.chain(x)

    def resolve(self, name: str) -> str:
        aliases = self.a.network.aliases
        seen = 0
        while name in aliases and name not in self.results and seen <= len(aliases):
            name = aliases[name]
            seen += 1
        return name

    # ----- can an instance be a module?

    def fits(self, x: str) -> bool:
        """One input, only its output read from outside, weights shared only inside (or all)."""
        inside = self.members[x]
        reads = {n for m in inside for n in self.results[m].inputs if n not in inside}
        if len(reads) != 1 or self.outputs[x] not in inside:
            return False
        self.inputs[x] = reads.pop()
        for m in inside - {self.outputs[x]}:
            if m in self.a.outputs or any(r not in inside for r in self.readers.get(m, ())):
                return False
        foreign = [m for m in inside if (self.results[m].shared_from or m) not in inside]
        if not foreign:
            return True
        m = min(inside)
        share, rel = self.results[m].node.share, m[len(x) :]
        if share is None or not share.endswith(rel):
            return False
        z = share[: len(share) - len(rel)]
        blocks = self.a.network.blocks
        if z not in blocks or blocks[z] != blocks[x] or z == x:
            return False
        if {m[len(x) :] for m in inside} != {m[len(z) :] for m in self.members[z]}:
            return False
        if any(self.results[m].node.share != z + m[len(x) :] for m in inside):
            return False
        self.copy_of[x] = z
        return True

    def order(self, s: Scope) -> list[Item]:
        """Each item after the items it reads, file order where free."""

        def made(i: Item) -> str:
            return i.output if isinstance(i, Call) else i.name

        def reads(i: Item) -> list[str]:
            return [i.input] if isinstance(i, Call) else list(i.inputs)

        def first(i: Item) -> int:
            return self.first(i.instance) if isinstance(i, Call) else self.position[i.name]

        pending = sorted(s.items, key=first)
        producers = {made(i) for i in pending}
        done: set[str] = set()
        out: list[Item] = []
        while pending:
            for k, i in enumerate(pending):
                if all(n in done or n not in producers for n in reads(i)):
                    out.append(pending.pop(k))
                    done.add(made(i))
                    break
            else:  # pragma: no cover - the engine has already refused cycles
                raise AssertionError("cycle")
        return out


# --------------------------------------------------------------------------- classes


@dataclass
class ClassCode:
    name: str
    doc: list[str]
    params: str  # the constructor's parameters after self
    signature: str  # forward's parameters
    returns: str
    init: list[str]
    forward: list[str]

    def text(self) -> str:
        lines = [f"class {self.name}(nn.Module):"]
        doc = [out for d in self.doc for out in (textwrap.wrap(d, WIDTH - 10) or [""])]
        if len(doc) == 1:
            lines.append(f'    """{doc[0]}"""')
        else:
            lines += ['    """' + doc[0], *[("    " + d).rstrip() for d in doc[1:]], '    """']
        lines += ["", *wrap(f"def __init__({self.params}) -> None:", "    ")]
        lines.append("        super().__init__()")
        lines += [out for line in self.init for out in wrap(line, "        ")]
        lines += ["", *wrap(f"def forward({self.signature}) -> {self.returns}:", "    ")]
        lines += [out for line in self.forward for out in wrap(line, "        ")]
        return "\n".join(lines) + "\n"


WIDTH = 100


def wrap(line: str, indent: str) -> list[str]:
    """A line longer than 100 columns, with its outermost call's arguments one per line."""
    if len(indent + line) <= WIDTH:
        return [indent + line]
    code, hash_, comment = line.partition("  # ")
    open_at = code.find("(")
    depth, parts, start = 0, [], open_at + 1
    for i in range(open_at, len(code)):
        ch = code[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                parts.append(code[start:i].strip())
                tail = code[i:]
                break
        elif ch == "," and depth == 1:
            parts.append(code[start:i].strip())
            start = i + 1
    else:
        return [indent + line]
    if tail.rstrip() not in (")", "):") and not tail.startswith(") ->"):
        return [indent + line]  # not one call: leave it long rather than wrap it badly
    head = code[: open_at + 1]
    note = f"  # {comment}" if hash_ else ""
    return [indent + head + note] + [f"{indent}    {p}," for p in parts if p] + [indent + tail]


@dataclass
class Instance:
    """One block instance written with markers, waiting to be merged into its class."""

    k: int  # which network
    scope: Scope
    written: Written
    params: list[str]  # in_channels, then the block's arguments, as parameter names
    args: dict[str, str]  # parameter → the block argument it stands for ("" for in_channels)
    env: dict[str, Any]  # parameter → this instance's value (whole-number arguments)

    @property
    def skeleton(self) -> str:
        w = self.written
        return MARK.sub("{}", "\n".join(w.init + ["--"] + w.forward))


def value_of(expr: str, env: dict[str, Any]) -> Any:
    tree = ast.parse(expr, mode="eval").body
    if isinstance(tree, ast.Tuple):
        return tuple(evaluate(ast.unparse(e), env) for e in tree.elts)
    return evaluate(expr, env)


def same(a: Any, b: Any) -> bool:
    """Equal as torch reads them: 3 and (3, 3) give the same kernel."""
    if isinstance(a, tuple) != isinstance(b, tuple):
        t, v = (a, b) if isinstance(a, tuple) else (b, a)
        return all(x == v for x in t)
    return bool(a == b)


def computes(expr: str | None, values: list[Any], envs: list[dict[str, Any]]) -> bool:
    """Does the expression give every instance's value? (Checked, never assumed.)"""
    if expr is None:
        return False
    try:
        return all(same(value_of(expr, e), v) for e, v in zip(envs, values, strict=True))
    except CnnCalcError:
        return False


def names_in(expr: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}


@dataclass
class Merged:
    params: list[str]  # the constructor's parameters, in order
    types: dict[str, str]
    values: dict[str, list[Any]]  # parameter → each instance's value
    init: list[str]
    forward: list[str]


def merge(group: list[Instance]) -> Merged:
    """The group's shared code: a literal where every instance agrees, else the block's own
    expression when it gives every instance's value, else a constructor parameter."""
    first = group[0]
    envs = [i.env for i in group]
    names = Names(RESERVED | {"x"} | set(first.params))
    texts: list[str] = []
    extra: dict[str, list[Any]] = {}
    used: set[str] = set()
    for j, slot in enumerate(first.written.slots):
        seen = [i.written.slots[j].value for i in group]
        if all(v == seen[0] for v in seen):
            text = seen[0] if slot.kind == "note" else literal(seen[0])
            texts.append(render_slot(slot, text, seen[0] == TORCH_DEFAULTS.get(slot.key)))
        elif slot.kind == "note":
            texts.append("")
        elif computes(slot.expr, seen, envs):
            assert slot.expr is not None
            used |= names_in(slot.expr)
            texts.append(render_slot(slot, slot.expr, False))
        else:
            name = names.claim(slot.name)
            extra[name] = seen
            texts.append(render_slot(slot, name, False))

    def fill(line: str) -> str:
        return MARK.sub(lambda m: texts[int(m.group(1))], line)

    params = [p for p in first.params if p in used] + list(extra)
    values = {p: extra[p] if p in extra else [i.env[p] for i in group] for p in params}
    types = {
        p: "tuple[int, ...]" if any(isinstance(v, tuple) for v in values[p]) else "int"
        for p in params
    }
    init = [fill(line) for line in first.written.init]
    forward = [fill(line) for line in first.written.forward]
    return Merged(params, types, values, init, forward)


# --------------------------------------------------------------------------- writing


class FileWriter:
    """Writes every network of a file, block classes first."""

    def __init__(
        self, analyses: Sequence[Analysis], linear: bool, activation_modules: bool = False
    ) -> None:
        self.analyses = analyses
        self.linear = linear
        self.activation_modules = activation_modules
        self.plans = [Plan(a, linear) for a in analyses]
        self.class_names = Names(RESERVED)
        self.made: dict[tuple[int, str], tuple[str, list[tuple[str, Any, str | None]]]] = {}
        self.classes: list[ClassCode] = []

    # ----- one scope

    def locals_of(self, s: Scope, reserved: frozenset[str]) -> None:
        names = Names(RESERVED | reserved)
        prefix = s.name + "." if s.name else ""
        for i in s.items:
            key = i.instance if isinstance(i, Call) else i.name
            s.local[key] = names.claim(key[len(prefix) :].replace(".", "_"))

    def writer(
        self, k: int, s: Scope, var: dict[str, str], marking: bool, argnames: dict[str, str]
    ) -> Writer:
        plan = self.plans[k]
        net = plan.a.network
        for i in s.items:
            var[i.output if isinstance(i, Call) else i.name] = s.local[
                i.instance if isinstance(i, Call) else i.name
            ]

        def module_of(r: LayerResult) -> tuple[str, bool]:
            if r.shared_from is None:
                return f"self.{s.local[r.name]}", True
            return "self." + self.path_from(plan, s, r.shared_from), False

        def expr_of(name: str, key: str) -> str | None:
            if not marking:
                return None
            return expression(net.written.get(name), key, argnames, main_key(plan, name))

        return Writer(var, module_of, expr_of, marking, self.linear, self.activation_modules)

    def path_from(self, plan: Plan, s: Scope, target: str) -> str:
        """``a.b.conv1``: the attribute path from scope ``s`` to the module of layer ``target``."""
        here = plan.scope_of(plan.results[target].node.block)
        return ".".join([*self.steps(plan, s.name, here), plan.scopes[here].local[target]])

    def steps(self, plan: Plan, top: str, here: str) -> list[str]:
        """Attribute names from module ``top`` down to the module of instance ``here``."""
        parts = []
        while here != top:
            assert here, f"{top} does not contain the module it calls"
            parent = plan.parent(here, plan.modules)
            parts.append(plan.scopes[parent].local[here])
            here = parent
        return list(reversed(parts))

    def write_scope(self, k: int, s: Scope, w: Writer) -> None:
        net = self.plans[k].a.network
        for i in s.items:
            try:
                if isinstance(i, Call):
                    self.call(k, s, i, w)
                else:
                    w.layer(i)
            except CnnCalcError as error:
                raise error.within(file=net.file, network=net.name) from None
        s.with_module = w.with_module

    def call(self, k: int, s: Scope, c: Call, w: Writer) -> None:
        plan = self.plans[k]
        var = s.local[c.instance]
        if c.target == c.instance:
            cls, args = self.made[(k, c.instance)]
            w.current = var
            parts = []
            for p, v, arg in args:
                if arg == "":
                    expr = w.channels.get(c.input)
                elif arg is not None:
                    expr = w.expr_of(c.instance, arg)
                else:
                    expr = None
                parts.append(f"{p}={w.num(v, p, expr)}")
            w.out.init.append(f"self.{var} = {cls}({', '.join(parts)})")
            module = f"self.{var}"
        else:
            module = "self." + ".".join(self.steps(plan, s.name, c.target))
        w.emit(f"{var} = {module}({w.var[c.input]})", plan.results[c.output].shape)
        w.channels[c.output] = None

    # ----- block classes

    def blocks(self) -> None:
        """Write every block instance, then merge each block type's instances into classes."""
        types: dict[str, list[tuple[int, str]]] = {}
        needs: dict[str, set[str]] = {}
        for k, plan in enumerate(self.plans):
            blocks = plan.a.network.blocks
            for x, s in plan.scopes.items():
                if x:
                    types.setdefault(blocks[x], []).append((k, x))
                    needs.setdefault(blocks[x], set()).update(
                        blocks[i.instance] for i in s.items if isinstance(i, Call)
                    )
        done: set[str] = set()
        while len(done) < len(types):  # a block type after the types it contains
            for t in types:
                if t not in done and needs[t] <= done:
                    done.add(t)
                    groups: dict[str, list[Instance]] = {}
                    for k, x in types[t]:
                        i = self.instance(k, x)
                        groups.setdefault(i.skeleton, []).append(i)
                    for group in groups.values():
                        self.make_class(t, group)

    def instance(self, k: int, x: str) -> Instance:
        plan = self.plans[k]
        s = plan.scopes[x]
        block_args = plan.a.network.block_args.get(x, {})
        names = Names(RESERVED | {"x"})
        argnames = {"": names.claim("in_channels")}
        argnames |= {a: names.claim(a) for a in block_args}
        self.locals_of(s, frozenset({"x"}))
        assert s.input is not None and s.output is not None
        w = self.writer(k, s, {s.input: "x"}, True, {a: p for a, p in argnames.items() if a})
        w.channels[s.input] = argnames[""]
        self.write_scope(k, s, w)
        w.out.forward.append(f"return {w.var[s.output]}")
        env: dict[str, Any] = {argnames[""]: channels_in(plan, s)}
        for a, v in block_args.items():
            if is_int(v) and not isinstance(v, bool):
                env[argnames[a]] = v
        params = list(argnames.values())
        return Instance(k, s, w.out, params, {p: a for a, p in argnames.items()}, env)

    def make_class(self, block: str, group: list[Instance]) -> None:
        name = self.class_names.claim(class_name(block), sep="")
        m = merge(group)
        uses = ", ".join(i.scope.name for i in group[:3]) + (", …" if len(group) > 3 else ".")
        signature = ", ".join(["self", *(f"{p}: {m.types[p]}" for p in m.params)])
        self.classes.append(
            ClassCode(
                name,
                [f'The block "{block}", as in {uses}'],
                signature,
                "self, x: Tensor",
                "Tensor",
                m.init,
                m.forward,
            )
        )
        for n, i in enumerate(group):
            calls = [(p, m.values[p][n], i.args.get(p)) for p in m.params]
            self.made[(i.k, i.scope.name)] = (name, calls)

    # ----- networks

    def network(self, k: int) -> tuple[ClassCode, NetworkInfo]:
        plan = self.plans[k]
        a = plan.a
        net = a.network
        symbols = sorted({str(s) for shape in net.inputs.values() for s in shape if not is_int(s)})
        if symbols:
            raise CnnCalcError(
                "cannot export to PyTorch with symbolic sizes ("
                + ", ".join(symbols)
                + f"); give them values, e.g. --set {symbols[0]}=224",
                file=net.file,
                network=net.name,
                key="input",
            )
        root = plan.scopes[""]
        inputs = Names(RESERVED)
        args = {
            n: inputs.claim("x" if n == "input" and len(net.inputs) == 1 else n) for n in net.inputs
        }
        self.locals_of(root, frozenset(args.values()))
        w = self.writer(k, root, dict(args), False, {})
        self.write_scope(k, root, w)
        outs = [w.var[name] for name in a.outputs]
        w.out.forward.append("return " + ", ".join(outs))
        totals = a.totals
        ins = ", ".join(f"{arg} of shape {torch_shape(net.inputs[n])}" for n, arg in args.items())
        doc = [
            f"{net.name}: {', '.join(dims(s) for s in net.inputs.values())} → "
            f"{', '.join(dims(s) for s in a.outputs.values())}, "
            f"{totals.params:,} parameters, {totals.macs:,} MACs.",
            "",
            f"Call it with {ins}.",
        ]
        code = ClassCode(
            self.class_names.claim(class_name(net.name), sep=""),
            doc,
            "self",
            "self, " + ", ".join(f"{v}: Tensor" for v in args.values()),
            "Tensor" if len(outs) == 1 else f"tuple[{', '.join(['Tensor'] * len(outs))}]",
            w.out.init,
            w.out.forward,
        )
        return code, self.info(k, code.name, args)

    def info(self, k: int, cls: str, args: dict[str, str]) -> NetworkInfo:
        """Module paths and forward frames of every layer, by walking the calls in order."""
        plan = self.plans[k]
        info = NetworkInfo(cls, args)
        calls: dict[str, int] = {}

        def walk(s: Scope, path: str, named: str, as_: str) -> None:
            """Run scope ``s`` as module ``path``; its instance ``named`` reports as ``as_``."""
            index = calls.get(path, 0)
            calls[path] = index + 1

            def join(*parts: str) -> str:
                return ".".join(p for p in parts if p)

            for i in s.items:
                if isinstance(i, Call):
                    if i.target == i.instance:
                        sub, scope = join(path, s.local[i.instance]), plan.scopes[i.instance]
                    else:
                        sub = join(path, *self.steps(plan, s.name, i.target))
                        scope = plan.scopes[i.target]
                    walk(scope, sub, scope.name, rename(i.instance, named, as_))
                else:
                    name = rename(i.name, named, as_)
                    info.variables[name] = (path, index, s.local[i.name])
                    if i.name in s.with_module:
                        owner = i.shared_from or i.name
                        info.modules[name] = join(path, self.path_from(plan, s, owner))
                    act = plan.results[i.name].node.activation
                    if act and self.activation_modules and not self.linear:
                        info.activations[name] = join(path, f"{s.local[i.name]}_{act}")

        walk(plan.scopes[""], "", "", "")
        return info

    def write(self) -> tuple[list[ClassCode], dict[str, NetworkInfo]]:
        self.blocks()
        infos = {}
        networks = []
        for k, a in enumerate(self.analyses):
            code, info = self.network(k)
            networks.append(code)
            infos[a.network.name] = info
        return self.classes + networks, infos


def rename(name: str, old: str, new: str) -> str:
    """A layer of the module's own instance ``old``, named as the instance ``new`` that runs it."""
    if old and old != new and (name == old or name.startswith(old + ".")):
        return new + name[len(old) :]
    return name


def main_key(plan: Plan, name: str) -> str | None:
    r = plan.results.get(name)
    found = L.lookup(r.node.layer.kind) if r is not None else None
    return found[0].main_key() if found else None


def channels_in(plan: Plan, s: Scope) -> Any:
    assert s.input is not None
    if s.input in plan.results:
        return plan.results[s.input].shape[-1]
    return plan.a.network.inputs[s.input][-1]


def expression(written: Any, key: str, argnames: dict[str, str], main: str | None) -> str | None:
    """The Python expression a block layer's key was written with, over the block's arguments."""
    if written is None:
        return None
    if isinstance(written, str):
        from cnncalc.spec.shorthand import parse_shorthand

        try:
            entry = parse_shorthand(written)
        except CnnCalcError:
            return None
        if "" in entry and main is not None:
            entry[main] = entry.pop("")
    elif isinstance(written, dict):
        entry = written
    else:
        return None
    if key not in entry:
        return None
    value = entry[key]
    if key == "padding" and value == "same" and "kernel" in entry:
        # odd kernels, stride 1: (F_eff - 1) / 2 on each side; checked against every instance
        k = one_expression(entry["kernel"], argnames)
        d = one_expression(entry.get("dilation", 1), argnames)
        if k is None or d is None:
            return None
        return f"({k} - 1) // 2" if d == "1" else f"{d} * ({k} - 1) // 2"
    if isinstance(value, list):
        items = [one_expression(v, argnames) for v in value]
        if any(i is None for i in items):
            return None
        return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"  # type: ignore[arg-type]
    return one_expression(value, argnames)


def one_expression(value: Any, argnames: dict[str, str]) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    if value in argnames:
        return argnames[value]
    try:
        tree = ast.parse(value, mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in argnames:
                return None
            node.id = argnames[node.id]
        elif not isinstance(
            node,
            (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Constant,
                ast.operator,
                ast.unaryop,
                ast.Load,
            ),
        ):
            return None
    return ast.unparse(tree)


HEADER = '''"""{title}

Generated by cnncalc {version}. Needs only PyTorch. Tensors are (N, C, spatial…)
inside; cnncalc writes shapes spatial-first, channels-last (the comments show them
that way), so flatten and reshape permute to that order first.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn
'''


def export_pytorch(
    analyses: Sequence[Analysis],
    source: str = "",
    linear: bool = False,
    activation_modules: bool = False,
) -> Export:
    """The source of one Python file with one nn.Module class per network and block type.

    ``activation_modules`` writes activations as modules (``nn.ReLU()``) rather than
    functions, so that tools that count by module (torchinfo, ptflops, thop) see them.

    ``linear`` writes the linearised copy the tests measure receptive fields on: no
    activations or normalisation, average instead of max pooling, and one channel per
    tensor (every channel of a conv with positive weights reads the same pixels, so one
    channel that sums them all has the field of them all); blocks are written inline.
    It takes (N, 1, spatial…).
    """
    from cnncalc import __version__

    classes, infos = FileWriter(analyses, linear, activation_modules).write()
    what = ", ".join(a.network.name for a in analyses)
    title = f"PyTorch models of {what}" + (f", from {source}" if source else "") + "."
    title = "\n".join(textwrap.wrap(title, WIDTH - 4))
    parts = [HEADER.format(title=title, version=__version__)]
    parts += ["\n" + c.text() for c in classes]
    return Export("\n".join(parts), infos)
