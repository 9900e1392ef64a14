"""Which block instances the export writes as submodules, and what each module's forward runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from cnncalc.engine.walk import Analysis, LayerResult


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
