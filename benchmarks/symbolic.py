"""Whole-process timings of the symbolic path on ResNet-50 with input ["H", "W", 3].

Run from the repository root: ``python benchmarks/symbolic.py [--repeat N]``. Each
command runs as a fresh process (what a user waits for), N times; the table shows
the median and the ratio to the same report on numbers (``--set H=224 --set W=224``).
The target: the symbolic reports in under a second on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESNET50 = "tests/data/resnet50.toml"
NUMERIC = ["--set", "H=224", "--set", "W=224"]

CASES = [
    ("import cnncalc.cli.app (baseline)", [sys.executable, "-c", "import cnncalc.cli.app"], None),
    ("summary, numbers", ["summary", RESNET50, *NUMERIC], None),
    ("summary, symbols", ["summary", RESNET50], "summary, numbers"),
    ("summary --format json, numbers", ["summary", RESNET50, "-f", "json", *NUMERIC], None),
    (
        "summary --format json, symbols",
        ["summary", RESNET50, "-f", "json"],
        "summary --format json, numbers",
    ),
    ("solve", ["solve", RESNET50], "summary, numbers"),
]


def seconds(command: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    found: dict[str, float] = {}
    print(f"{'command':40} {'median':>9} {'ratio':>7}")
    for name, args, base in CASES:
        command = args if args[0] == sys.executable else [sys.executable, "-m", "cnncalc", *args]
        found[name] = seconds(command, repeat)
        ratio = f"{found[name] / found[base]:.2f}x" if base else ""
        print(f"{name:40} {found[name]:8.3f}s {ratio:>7}")


if __name__ == "__main__":
    main()
