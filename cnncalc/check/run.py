"""`cnncalc check`: files → networks → expectations → findings → exit code (never prints).

Every finding is collected rather than raised, so one run reports every failed
expectation, warning and invalid file, each with the line it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cnncalc.check.discover import expand_paths
from cnncalc.check.expect import check_network
from cnncalc.check.results import CheckReport, FileCheck, error_finding
from cnncalc.check.update import update_file
from cnncalc.errors import CnnCalcError
from cnncalc.spec.load import load
from cnncalc.spec.reader import DEFAULT_MAX_LAYERS


def check_file(path: str, max_layers: int = DEFAULT_MAX_LAYERS) -> FileCheck:
    """Read one file and check each of its networks; a file that cannot be read is one finding."""
    try:
        networks = load(path, max_layers)
    except CnnCalcError as error:
        return FileCheck(error.location.file or path, error=error_finding(error))
    return FileCheck(networks[0].file, [check_network(n) for n in networks])


def run_check(
    args: Sequence[str],
    strict: bool = False,
    max_layers: int = DEFAULT_MAX_LAYERS,
    skip_other: bool = False,
    update: bool = False,
    progress: Callable[[str], None] | None = None,
) -> CheckReport:
    """Check (after ``update``, rewrite then check) every file the arguments name.

    ``progress`` is told which file is next, for a progress line on a terminal.
    """
    paths, problems = expand_paths(args, skip_other)
    files: list[FileCheck] = list(problems)
    for n, path in enumerate(paths, 1):
        if progress is not None:
            progress(f"checking file {n} of {len(paths)}: {path}")
        updated: list[str] = []
        if update:
            try:
                updated = update_file(path, max_layers)
            except CnnCalcError as error:
                files.append(FileCheck(error.location.file or path, error=error_finding(error)))
                continue
        checked = check_file(path, max_layers)
        checked.updated = updated
        files.append(checked)
    return CheckReport(files, strict)
