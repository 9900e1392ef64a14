"""cnncalc's benchmarks: whole-process timings, reported as ratios to measured baselines.

    python benchmarks/run.py                 # every case, 15 runs each
    python benchmarks/run.py --runs 5 --quick   # fewer runs, no 100,000-layer case

Each case is a separate process started with ``subprocess`` and timed with
``time.perf_counter`` from start to exit, its standard output read through a pipe; the
cases take turns, run after run, so a busy machine slows them alike. The baselines are
processes that only import typer (and rich), measured in the same run, so the ratios
hold from one machine to another. Peak memory is the child's maximum resident set size.

Bytecode: a normal install has compiled ``.pyc`` files, so the children run with
``PYTHONDONTWRITEBYTECODE`` removed from their environment and a warm-up run first.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PY = sys.executable
# What the ``cnncalc`` console script runs (pip's generated script is these two lines). The
# children start in the repository, which puts the working tree first on sys.path; with
# --installed they start in an empty folder, so the copy installed for PY is measured.
CNNCALC = [PY, "-c", "import sys; from cnncalc.cli.app import run; sys.exit(run())"]
CWD = ROOT
BLOCK = """\
[blocks.unit]
layers = [
  "conv 16 kernel=3 padding=same bias=false",
  "batchnorm activation=relu",
  "conv 16 kernel=3 padding=same bias=false",
  { type = "batchnorm", name = "bn2" },
  { type = "add", inputs = ["input", "bn2"] },
  "relu",
  "conv 32 kernel=1",
  "dropout",
  "conv 16 kernel=1",
  "batchnorm",
]
"""
BLOCK_LAYERS = 10


@dataclass
class Case:
    name: str
    command: list[str]
    terminal: bool = False  # standard output a terminal (a pseudo-terminal, 160 columns)
    env: dict[str, str] = field(default_factory=dict)  # set for this case only
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the child's user + system time
    peak_kb: int = 0
    failed: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def child_env() -> dict[str, str]:
    """The children's environment: bytecode written, the width of no terminal, and a cache
    of parsed files of the benchmark's own (the warm-up run fills it, as a user's first run
    does), so that runs neither depend on nor change the user's."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("COLUMNS", None)
    env.pop("CNNCALC_NO_CACHE", None)
    env["CNNCALC_CACHE_DIR"] = tempfile.mkdtemp(prefix="cnncalc-bench-cache-")
    return env


def run_once(case: Case, env: dict[str, str]) -> None:
    """One timed run: start, read the whole output, reap the child with its rusage."""
    if case.terminal:
        reader, writer = pty.openpty()
        fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        stdout: int = writer
    else:
        reader, writer = os.pipe()
        stdout = writer
    start = time.perf_counter()
    child = subprocess.Popen(
        case.command, cwd=CWD, env=env | case.env, stdout=stdout, stderr=subprocess.PIPE
    )
    os.close(writer)
    assert child.stderr is not None
    while True:
        try:
            data = os.read(reader, 1 << 16)
        except OSError:  # a pseudo-terminal whose other end has closed
            break
        if not data:
            break
    os.close(reader)
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    if child.returncode != 0:
        case.failed = f"exit {child.returncode}: {errors.decode(errors='replace').strip()[:300]}"
        return
    case.times.append(elapsed)
    case.cpu.append(usage.ru_utime + usage.ru_stime)
    case.peak_kb = max(case.peak_kb, usage.ru_maxrss)


def measure(cases: list[Case], runs: int) -> None:
    env = child_env()
    for case in cases:  # warm-up: writes the bytecode caches, fills the disk cache
        run_once(case, env)
        case.times.clear()
        case.cpu.clear()
    for n in range(runs):
        for case in cases:
            if case.failed is None:
                run_once(case, env)
        print(f"  run {n + 1}/{runs}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)


# --------------------------------------------------------------------------- inputs


def architectures() -> Path:
    """examples.toml when it has vgg16 and resnet50, else this directory's networks.toml."""
    examples = ROOT / "examples.toml"
    if examples.exists():
        try:
            doc = tomllib.loads(examples.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            doc = {}
        if all(isinstance(doc.get(n), dict) for n in ("vgg16", "resnet50")):
            return examples
    return HERE / "networks.toml"


def generated(layers: int, folder: Path) -> Path:
    """A network of ``layers`` layers: one 10-layer residual block repeated."""
    path = folder / f"deep{layers}.toml"
    name = f"deep{layers}"
    text = (
        f"# {layers:,} layers: the block below, repeated\n{BLOCK}\n[{name}]\n"
        f'input = [32, 32, 16]\nlayers = [{{ type = "unit", repeat = {layers // BLOCK_LAYERS} }}]\n'
    )
    path.write_text(text, encoding="utf-8")
    return path


def has_command(*args: str) -> bool:
    done = subprocess.run(
        CNNCALC + list(args) + ["--help"], cwd=CWD, env=child_env(), capture_output=True
    )
    return done.returncode == 0


def has_option(command: str, option: str) -> bool:
    done = subprocess.run(
        CNNCALC + [command, "--help"], cwd=CWD, env=child_env(), capture_output=True, text=True
    )
    return option in done.stdout


def torch_ready() -> bool:
    done = subprocess.run([PY, "-c", "import torch, torchinfo"], capture_output=True)
    return done.returncode == 0


def params_agree(file: Path, net: str) -> str | None:
    """None when torchinfo's network has cnncalc's trainable parameter count, else why not."""
    import json

    ours = subprocess.run(
        CNNCALC + ["params", str(file), "--net", net, "--format", "json"],
        cwd=CWD,
        env=child_env(),
        capture_output=True,
        text=True,
    )
    theirs = subprocess.run(
        [PY, str(HERE / "torch_models.py"), net, "--params"], capture_output=True, text=True
    )
    if ours.returncode or theirs.returncode:
        return (ours.stderr or theirs.stderr).strip()[:200]
    count = json.loads(ours.stdout)["networks"][0]["totals"]["trainable_params"]
    if count != int(theirs.stdout):
        return f"cnncalc counts {count:,} trainable parameters, torch {int(theirs.stdout):,}"
    return None


# --------------------------------------------------------------------------- in-process API


ROUNDS = 100


def search_rate(networks: int, layers: int = 50) -> tuple[float, float, float, float]:
    """load_dict + analyze of ``networks`` candidates in ``ROUNDS`` rounds: (networks per
    second and ms per network in the fastest round, ms per network in the median round, CPU
    ms per network over all rounds).

    As ``timeit`` does, the fastest round is the figure: the other process on a shared
    machine only ever slow a round down, and the median round shows by how much.
    """
    if CWD == ROOT:
        sys.path.insert(0, str(ROOT))
    from cnncalc import analyze, load_dict

    rng = random.Random(230)

    def candidate() -> dict[str, object]:
        """Five stages of convolutions (some with batch norm), each ending in a pooling."""
        body = layers - 4 - 5
        cuts = sorted(rng.sample(range(1, body), 4))
        sizes = [b - a for a, b in zip([0] + cuts, cuts + [body], strict=True)]
        entries: list[object] = []
        for size in sizes:
            filters = rng.choice([16, 32, 48, 64, 96, 128])
            for _ in range(size):
                if entries and rng.random() < 0.25:
                    entries.append({"type": "batchnorm", "activation": "relu"})
                else:
                    kernel = rng.choice([1, 3, 5])
                    entries.append(f"conv {filters} kernel={kernel} padding=same")
            entries.append("maxpool 2" if rng.random() < 0.5 else "avgpool 3 stride=2 padding=1")
        entries += ["global_pool", "flatten", "dropout", "fc 10"]
        assert len(entries) == layers
        return {"input": [96, 96, 3], "layers": entries}

    docs = [candidate() for _ in range(networks)]
    for doc in docs[:100]:  # warm-up
        analyze(load_dict(doc)[0])
    size = max(1, networks // ROUNDS)
    rounds, cpu = [], time.process_time()
    for first in range(0, networks, size):
        batch = docs[first : first + size]
        start = time.perf_counter()
        for doc in batch:
            analyze(load_dict(doc)[0])
        rounds.append((time.perf_counter() - start) / len(batch))
    cpu = time.process_time() - cpu
    best, middle = min(rounds), statistics.median(rounds)
    return 1 / best, best * 1000, middle * 1000, cpu / networks * 1000


# --------------------------------------------------------------------------- report


LOADS: list[str] = []  # the load averages when the run started and before the API case


def note_load() -> None:
    LOADS.append(" / ".join(f"{v:.1f}" for v in os.getloadavg()))


def machine() -> str:
    """The processor and the number of cores, as far as the system says."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip() + ", "
                break
    except OSError:
        pass
    return f"{model}{os.cpu_count()} cores"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.1 else f"{seconds * 1000:,.1f}"


def report(
    cases: dict[str, Case],
    search: tuple[float, float, float, float] | None,
    file: Path,
    runs: tuple[int, int],
) -> str:
    lines = [
        f"cnncalc: {'installed' if CWD != ROOT else 'working tree'}; load average (1, 5, 15 "
        f"minutes) {LOADS[0]} at the start, {LOADS[-1]} before the API run",
        f"networks: {file.relative_to(ROOT)}; Python {sys.version.split()[0]}; "
        f"{machine()}; medians of {runs[0]} runs (start-up cases) and {runs[1]} "
        "(large networks, torchinfo)",
        "",
        "| case | median ms | min ms | max ms | CPU ms | peak MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in cases.values():
        if case.failed is not None:
            lines.append(f"| {case.name} | failed: {case.failed} | | | | |")
            continue
        lines.append(
            f"| {case.name} | {fmt_ms(case.median)} | {fmt_ms(min(case.times))} | "
            f"{fmt_ms(max(case.times))} | {fmt_ms(statistics.median(case.cpu))} | "
            f"{case.peak_kb / 1024:,.0f} |"
        )
    lines += ["", "| target | measured | goal | met |", "|---|---:|---:|:---:|"]

    def row(what: str, value: float | None, goal: float, unit: str, below: bool = True) -> None:
        if value is None:
            lines.append(f"| {what} | skipped | {unit.format(goal)} | |")
            return
        met = value <= goal if below else value >= goal
        lines.append(
            f"| {what} | {unit.format(value)} | {unit.format(goal)} | {'yes' if met else 'NO'} |"
        )

    def ratio(a: str, b: str) -> float | None:
        if a not in cases or b not in cases or cases[a].failed or cases[b].failed:
            return None
        return cases[a].median / cases[b].median

    def seconds(a: str) -> float | None:
        return None if a not in cases or cases[a].failed else cases[a].median

    x = "{:.2f}x"
    row("summary --net vgg16 (table) / import typer, rich", ratio("table", "typer+rich"), 1.3, x)
    row("summary --net vgg16 --format json / import typer", ratio("json", "typer"), 1.5, x)
    row(
        "the same, file not cached (CNNCALC_NO_CACHE=1) / import typer",
        ratio("json, no cache", "typer"),
        1.5,
        x,
    )
    row("--help / import typer, rich", ratio("help", "typer+rich"), 1.3, x)
    row("check / import typer, rich", ratio("check", "typer+rich"), 1.3, x)
    row("10,000 layers, json", seconds("10k json"), 1.0, "{:.2f} s")
    row("100,000 / 10,000 layers, json", ratio("100k json", "10k json"), 10.0, x)
    cpu = None
    if ratio("100k json", "10k json") is not None:
        cpu = statistics.median(cases["100k json"].cpu) / statistics.median(cases["10k json"].cpu)
    row("100,000 / 10,000 layers, json, CPU time", cpu, 10.0, x)
    peak = None if seconds("100k json") is None else cases["100k json"].peak_kb / 1024
    row("100,000 layers, json, peak memory", peak, 500, "{:,.0f} MB")
    row("10,000 layers, table (piped)", seconds("10k table"), 3.0, "{:.2f} s")
    row("10,000 layers, rich table on a terminal", seconds("10k table, terminal"), 3.0, "{:.2f} s")
    if "10k table --depth 1" in cases:
        row(
            "10,000 layers, folded table (--depth 1)",
            seconds("10k table --depth 1"),
            3.0,
            "{:.2f} s",
        )
    row("torchinfo / cnncalc, VGG-16", ratio("torchinfo vgg16", "table"), 20, x, below=False)
    row(
        "torchinfo / cnncalc, ResNet-50",
        ratio("torchinfo resnet50", "resnet50"),
        20,
        x,
        below=False,
    )
    if search is not None:
        rate, best, middle, cpu_per = search
        row(
            f"API: load_dict + analyze, 50 layers, ms per network (fastest of {ROUNDS} rounds)",
            best,
            1.0,
            "{:.3f} ms",
        )
        row("API: the same, median round", middle, 1.0, "{:.3f} ms")
        row("API: the same, CPU ms per network", cpu_per, 1.0, "{:.3f} ms")
        lines.append(
            f"\nAPI: {rate:,.0f} networks per second in the fastest round "
            "(50 layers each, in one process)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per case")
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-layer case")
    parser.add_argument("--no-torch", action="store_true", help="skip torchinfo")
    parser.add_argument("--networks", type=int, default=10_000, help="API search networks")
    parser.add_argument(
        "--installed",
        action="store_true",
        help="measure the cnncalc installed for this Python, not the working tree",
    )
    args = parser.parse_args(argv)
    if args.installed:
        global CWD
        CWD = Path(tempfile.mkdtemp(prefix="cnncalc-bench-cwd-"))

    note_load()
    file = architectures()
    folder = Path(tempfile.mkdtemp(prefix="cnncalc-bench-"))
    net = str(file)
    fast = [
        Case("typer", [PY, "-c", "import typer"]),
        Case("typer+rich", [PY, "-c", "import typer, rich.console, rich.table"]),
        Case("table", CNNCALC + ["summary", net, "--net", "vgg16"]),
        Case("json", CNNCALC + ["summary", net, "--net", "vgg16", "--format", "json"]),
        Case(
            "json, no cache",
            CNNCALC + ["summary", net, "--net", "vgg16", "--format", "json"],
            env={"CNNCALC_NO_CACHE": "1"},
        ),
        Case("resnet50", CNNCALC + ["summary", net, "--net", "resnet50"]),
        Case("help", CNNCALC + ["--help"]),
        Case("table, terminal", CNNCALC + ["summary", net, "--net", "vgg16"], terminal=True),
    ]
    if has_command("check"):
        fast.append(Case("check", CNNCALC + ["check", net]))
    deep10k, slow = generated(10_000, folder), []
    slow.append(Case("10k json", CNNCALC + ["summary", str(deep10k), "--format", "json"]))
    slow.append(Case("10k table", CNNCALC + ["summary", str(deep10k)]))
    slow.append(Case("10k table, terminal", CNNCALC + ["summary", str(deep10k)], terminal=True))
    if has_option("summary", "--depth"):
        slow.append(
            Case("10k table --depth 1", CNNCALC + ["summary", str(deep10k), "--depth", "1"])
        )
    if not args.quick:
        deep100k = generated(100_000, folder)
        slow.append(
            Case(
                "100k json",
                CNNCALC + ["summary", str(deep100k), "--format", "json", "--max-layers", "100000"],
            )
        )
    torch_cases = []
    if not args.no_torch and torch_ready():
        for name in ("vgg16", "resnet50"):
            problem = params_agree(file, name)
            if problem is not None:
                print(f"torchinfo {name} skipped: {problem}", file=sys.stderr)
                continue
            script = str(HERE / "torch_models.py")
            torch_cases.append(Case(f"torchinfo {name}", [PY, script, name]))

    print(f"start-up cases, {args.runs} runs", file=sys.stderr)
    measure(fast, args.runs)
    few = max(3, args.runs // 3)
    print("large networks", file=sys.stderr)
    measure(slow, few)
    if torch_cases:
        print("torchinfo", file=sys.stderr)
        measure(torch_cases, few)
    print(f"API, {args.networks:,} networks", file=sys.stderr)
    note_load()
    search = search_rate(args.networks)
    cases = {c.name: c for c in fast + slow + torch_cases}
    print(report(cases, search, file, (args.runs, few)))


if __name__ == "__main__":
    main()
