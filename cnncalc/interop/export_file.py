"""Writes the networks of one file, and their block types, as nn.Module classes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cnncalc import layers as L
from cnncalc.engine.walk import Analysis, LayerResult
from cnncalc.errors import CnnCalcError
from cnncalc.interop.export_blocks import Instance, merge
from cnncalc.interop.export_class import ClassCode
from cnncalc.interop.export_expressions import expression
from cnncalc.interop.export_plan import Call, Plan, Scope
from cnncalc.interop.torch_layers import Writer
from cnncalc.interop.torch_names import RESERVED, Names, class_name
from cnncalc.interop.torch_shapes import dims, torch_shape
from cnncalc.symbolic.arith import is_int


@dataclass
class NetworkInfo:
    """Where each cnncalc layer lives in the generated module, for tests and tools."""

    class_name: str
    inputs: dict[str, str]  # network input name → forward argument
    modules: dict[str, str] = field(default_factory=dict)  # layer → module path (shared: owner's)
    activations: dict[str, str] = field(default_factory=dict)  # layer → its activation module
    # layer → (module path of the forward that computes it, which call of it, local variable)
    variables: dict[str, tuple[str, int, str]] = field(default_factory=dict)


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
                [f"The block '{block}', as in {uses}"],
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
                    if act and (self.activation_modules or act == "prelu") and not self.linear:
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
