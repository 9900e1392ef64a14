"""The files a check's arguments name: files, and the network TOML under directories and globs."""

from __future__ import annotations

import glob
import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from cnncalc.check.results import ERROR, FileCheck, Finding
from cnncalc.errors import Location
from cnncalc.spec.source import MAX_FILE_BYTES

_GLOB_CHARS = frozenset("*?[")
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})
_LAYERS_KEY = re.compile(
    r"^[ \t]*(?:\[\[?[^\]\n]*\blayers[ \t]*\]|(?:[\w\"'-]+\.)*layers[ \t]*=)", re.M
)


def holds_network(path: str) -> bool:
    """Whether a TOML file found under a directory or by a glob is an architecture file.

    A file that is not valid TOML counts when it mentions ``layers``, so that a broken
    architecture file still fails the check instead of being skipped.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
        doc = tomllib.loads(text)
    except OSError:
        return True  # named, but unreadable: checking it reports why
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return _LAYERS_KEY.search(data.decode("utf-8", "replace")) is not None
    if "layers" in doc:
        return True
    return any(isinstance(v, dict) and "layers" in v for k, v in doc.items() if k != "blocks")


def toml_files(directory: str) -> list[str]:
    """Every ``*.toml`` under a directory, sorted, skipping hidden and tool directories."""
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found.extend(
            os.path.normpath(os.path.join(root, f)) for f in sorted(files) if f.endswith(".toml")
        )
    return found


def expand_paths(
    args: Sequence[str], skip_other: bool = False
) -> tuple[list[str], list[FileCheck]]:
    """FILE arguments → the files to check, and a FileCheck for each that names nothing.

    A directory stands for every ``*.toml`` under it that holds a network, a glob
    (quoted, for shells that do not expand it) for the files it matches; a file
    named directly is always checked unless ``skip_other`` and it holds no network.
    """
    paths: list[str] = []
    problems: list[FileCheck] = []
    for arg in args:
        if arg == "-":
            paths.append(arg)
        elif os.path.isdir(arg):
            found = [p for p in toml_files(arg) if holds_network(p)]
            if not found:
                problems.append(nothing_found(arg, "no TOML file holding a network under it"))
            paths.extend(found)
        elif os.path.exists(arg) or not _GLOB_CHARS & set(arg):
            if not (skip_other and os.path.isfile(arg) and not holds_network(arg)):
                paths.append(arg)
        else:
            matches = []
            for match in glob_files(arg):
                if os.path.isdir(match):
                    matches.extend(toml_files(match))
                else:
                    matches.append(os.path.normpath(match))
            found = [p for p in matches if p.endswith(".toml") and holds_network(p)]
            if not found:
                problems.append(nothing_found(arg, "no TOML file holding a network matches"))
            paths.extend(found)
    unique: dict[str, str] = {}
    for p in paths:  # a file reached by two names (a link) is checked once
        unique.setdefault(p if p == "-" else os.path.realpath(p), p)
    return list(unique.values()), problems


def glob_files(pattern: str) -> list[str]:
    """The paths a glob matches, sorted; ``**`` never follows a link to a directory.

    ``glob.glob`` follows such links, so a link back up the tree (``models/loop -> ..``)
    repeated every file under it 40 times, and two such links double the walk at every
    level. pathlib's ``**`` walks real directories only. As in the shell, hidden names
    match only a pattern that names one (with a part that starts with a dot).
    """
    parts = Path(pattern).parts
    fixed = 0
    while fixed < len(parts) and not glob.has_magic(parts[fixed]):
        fixed += 1
    base = Path(*parts[:fixed]) if fixed else Path()
    rest = parts[fixed:]
    hidden = any(r.startswith(".") for r in rest)
    found = set()
    for match in base.glob(str(Path(*rest))):
        if hidden or not any(p.startswith(".") for p in match.relative_to(base).parts):
            found.add(os.path.normpath(match))
    return sorted(found)


def nothing_found(arg: str, message: str) -> FileCheck:
    return FileCheck(arg, error=Finding(ERROR, message, Location(file=arg)))
