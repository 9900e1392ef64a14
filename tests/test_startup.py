"""The modules a command imports: the numeric path stays lean (no rich, sympy, tomlkit, torch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = str(ROOT / "benchmarks" / "networks.toml")
HEAVY = {"rich", "sympy", "mpmath", "tomlkit", "torch", "numpy", "pydantic", "pydantic_core"}
HEAVY |= {"markdown_it", "pygments", "asyncio", "email", "ssl"}
# typer and what typer itself needs to start; the rest must be cnncalc or the standard library.
ALLOWED = {"cnncalc", "typer", "click", "shellingham", "annotated_doc", "typing_extensions"}
PROGRAM = """
import contextlib, io, json, sys
from cnncalc.cli.app import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules), "out": out.getvalue()[:200]}))
"""


def modules_after(*args: str) -> tuple[set[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # (pytest sets it)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["code"] == 0, done.stderr
    return {m.split(".")[0] for m in result["modules"]}, result["out"]


def interpreter_modules() -> set[str]:
    """What every process here loads before cnncalc runs (site hooks differ between setups)."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {m.split(".")[0] for m in json.loads(done.stdout)}


def unexpected(found: set[str]) -> set[str]:
    known = set(sys.stdlib_module_names) | set(sys.builtin_module_names) | ALLOWED
    return found - known - interpreter_modules()


def test_summary_json_on_a_numeric_network_imports_only_what_it_needs() -> None:
    found, out = modules_after("summary", NETWORKS, "--net", "vgg16", "--format", "json")
    assert out.startswith('{\n  "networks": [')
    assert not found & HEAVY
    assert not unexpected(found)
    assert {"cnncalc", "typer", "tomllib", "fractions"} <= found


def test_a_piped_table_imports_no_rich_either() -> None:
    found, out = modules_after("summary", NETWORKS, "--net", "resnet50")
    assert out.startswith("resnet50: 224x224x3 → 1000")
    assert not found & HEAVY
    assert not unexpected(found)


def test_help_imports_no_rich() -> None:
    found, out = modules_after("--help")
    assert out.startswith("Usage: cnncalc [OPTIONS] COMMAND [ARGS]...")
    assert not found & HEAVY
