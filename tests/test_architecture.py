"""The package layout: imports point one way, down the stages a network travels through.

Every import counts, including those inside functions that keep start-up lean: a lazy
import that points up a stage is still a dependency that points the wrong way. Only the
imports under ``if TYPE_CHECKING:`` are left out: they name a type for mypy and never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cnncalc"

# Lowest first: a module may import its own stage and the stages below it, never above.
STAGES = (
    ("cnncalc.errors", "cnncalc.files", "cnncalc.records"),
    ("cnncalc.symbolic",),
    ("cnncalc.layers",),
    ("cnncalc.spec",),
    ("cnncalc.engine",),
    ("cnncalc",),  # the public API (load, analyze …) sits on spec and engine
    ("cnncalc.reports",),
    ("cnncalc.render", "cnncalc.check", "cnncalc.interop"),
    ("cnncalc.cli", "cnncalc.__main__"),
)
LOOSE_MODULES = {"__init__.py", "__main__.py", "errors.py", "files.py", "records.py"}
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int:
    best, rank = -1, -1
    for i, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} belongs to no stage; add it to STAGES"
    return rank


def imports_in(source: str, name: str) -> set[str]:
    """The cnncalc modules a module imports, wherever in its source the import stands."""
    found: set[str] = set()
    tree = ast.parse(source)
    typing_only = {  # `if TYPE_CHECKING:` imports name types for mypy and never run
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "cnncalc")
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import; cnncalc imports are absolute"
            if node.module is None or node.module.split(".")[0] != "cnncalc":
                continue
            for alias in node.names:  # `from cnncalc.layers import fields` names a module
                sub = f"{node.module}.{alias.name}"
                where = PACKAGE.parent / Path(*sub.split("."))
                is_module = where.with_suffix(".py").exists() or (where / "__init__.py").exists()
                found.add(sub if is_module else node.module)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: imports_in(path.read_text(encoding="utf-8"), name) for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_stages(module: str) -> None:
    upward = [dep for dep in GRAPH[module] if stage_of(dep) > stage_of(module)]
    assert not upward, f"{module} (stage {stage_of(module)}) imports {upward}"


def test_no_import_cycles() -> None:
    """Depth-first search over the module graph: a back edge is a cycle, reported as a path."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for dep in sorted(GRAPH.get(module, ())):
            if dep == module or dep not in GRAPH:
                continue
            if state.get(dep) == 1:
                cycle = path[path.index(dep) :] + [dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_a_few_loose_modules_and_no_large_ones() -> None:
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose <= LOOSE_MODULES, f"modules outside a subpackage: {sorted(loose - LOOSE_MODULES)}"
    packages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    assert len(packages) >= 5
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in MODULES.items()}
    large = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not large, f"modules over {MAX_LINES} lines: {large}"


def test_the_reading_finds_lazy_and_module_imports() -> None:
    """The direction test is only as good as its reading of imports: an upward import inside
    a function is found, and `from PACKAGE import MODULE` names the module."""
    source = "from cnncalc.layers import fields\n\ndef f():\n    from cnncalc.cli.app import main\n"
    found = imports_in(source, "cnncalc.layers.probe")
    assert found == {"cnncalc.layers.fields", "cnncalc.cli.app"}
    assert stage_of("cnncalc.cli.app") > stage_of("cnncalc.layers.probe")
    assert stage_of("cnncalc.layers.fields") == stage_of("cnncalc.layers.probe")
    with pytest.raises(AssertionError, match="relative import"):
        imports_in("from . import fields\n", "cnncalc.layers.probe")
