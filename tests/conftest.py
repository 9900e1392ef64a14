"""Shared helpers: build a network from shorthand, run the CLI in-process, compare goldens."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from cnncalc import analyze
from cnncalc.engine.walk import Analysis
from cnncalc.spec.load import load_text

DATA = Path(__file__).parent / "data"

# The cache of parsed files (cnncalc/spec/parsecache.py) lives in a directory of this test
# run, so that the tests neither read nor fill the user's, and every CLI run of the suite
# after the first one reads a large file through it.
if "CNNCALC_CACHE_DIR" not in os.environ:
    os.environ["CNNCALC_CACHE_DIR"] = tempfile.mkdtemp(prefix="cnncalc-test-cache-")
    atexit.register(shutil.rmtree, os.environ["CNNCALC_CACHE_DIR"], ignore_errors=True)
REGENERATE = os.environ.get("CNNCALC_REGENERATE_GOLDENS") == "1"

# Property tests are deterministic by default, in CI and in a fresh clone alike: each test
# draws the same examples on every run (derandomize seeds from the test itself), and no
# example database carries state from one run to the next. CNNCALC_EXPLORE=N explores
# instead: fresh random examples on every run, N times as many, failures replayed from
# the database. A failure found that way becomes an explicit @example.
EXPLORE = int(os.environ.get("CNNCALC_EXPLORE", "0") or 0)
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile(
    "explore", derandomize=False, print_blob=True, max_examples=100 * max(EXPLORE, 1)
)
settings.load_profile("explore" if EXPLORE else "ci")


def examples(n: int) -> int:
    """A property test's number of examples: ``n``, or CNNCALC_EXPLORE times as many."""
    return n * max(EXPLORE, 1)


def skip_torchvision_operators() -> None:
    """Let ``import torchvision`` succeed where its compiled operators cannot load.

    torchvision 0.28, the release for torch 2.13, is published as a CUDA build whose
    operator library does not load against the CPU torch; importing it then fails in the
    modules that register those operators (``torchvision::nms does not exist``). The model
    definitions the tests use are plain Python, so those two modules are skipped. Peer tools
    that import torchvision when it is installed (ptflops) need this too. Install it with
    ``pip install --no-deps torchvision==0.28.0``.
    """
    import importlib.util
    import sys
    import types

    if "torchvision" in sys.modules or importlib.util.find_spec("torchvision") is None:
        return
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules.setdefault(name, types.ModuleType(name))


skip_torchvision_operators()


def network_files() -> list[Path]:
    """Every valid architecture file of the tests (and examples.toml): not the broken cases."""

    def broken(path: Path) -> bool:  # the cases that are meant to fail
        parts = path.relative_to(DATA).parts[:-1]
        return any(p.startswith("invalid") or p == "check" for p in parts)

    files = [f for f in sorted(DATA.rglob("*.toml")) if not broken(f)]
    examples = DATA.parent.parent / "examples.toml"
    return files + ([examples] if examples.exists() else [])


def net(input_shape: list[int | str], *layers: str, blocks: str = "") -> Analysis:
    """Analyse a network given as an input shape and shorthand layer strings."""
    body = ",\n".join(f'  "{layer}"' for layer in layers)
    text = f"input = {input_shape!r}\nlayers = [\n{body}\n]\n".replace("'", '"') + blocks
    (network,) = load_text(text, "test.toml")
    return analyze(network)


# Layer kinds the PyTorch export does not write yet: the differential tests skip the
# networks that use them, saying so (each kind leaves this set with its export).
NOT_EXPORTED: frozenset[str] = frozenset()


def skip_unexported(a: Analysis) -> None:
    kinds = sorted({r.node.layer.kind for r in a.layers} & NOT_EXPORTED)
    if kinds:
        pytest.skip(f"the PyTorch export does not write {', '.join(kinds)} yet")


def by_name(a: Analysis) -> dict[str, object]:
    return {r.name: r for r in a.layers}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``cnncalc ARGS`` in-process: (exit code, stdout, stderr)."""
    from cnncalc.cli.app import main

    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            import io
            import sys

            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def golden(name: str, actual: str) -> None:
    """Compare with tests/data/golden/NAME; CNNCALC_REGENERATE_GOLDENS=1 rewrites it."""
    path = DATA / "golden" / name
    if REGENERATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        if not REGENERATE:
            pytest.fail(f"golden file {path.name} was missing and has been written; re-run")
    assert actual == path.read_text()
