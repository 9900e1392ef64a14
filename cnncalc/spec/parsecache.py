"""Parsed architecture files kept between runs: parsing a large file is most of a run's work.

cnncalc runs on the same files many times a minute, and ``tomllib`` takes longer to read a
file of many networks (examples.toml) than cnncalc takes to analyse the one asked for.
The parsed document of a file of ``MIN_CHARS`` or more is kept in the user's cache
directory, named by a hash of the file's text: the same text gives the same document, so a
hit returns exactly what ``tomllib`` would, and an edited file is a new name. Only files
that parse are kept (errors always come from the parser itself). Entries are JSON, written
whole (a temporary file renamed), at most ``MAX_ENTRIES`` of them (the oldest go first), and a
directory that cannot be written to only means no cache.

The command line turns it on (``enable``); the Python API leaves it off, since a program
that parses many texts of its own would fill it with entries it never reads again.
``CNNCALC_NO_CACHE=1`` turns it off; ``CNNCALC_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

try:  # CPython's own BLAKE2: importing hashlib would load OpenSSL, which costs more than a parse
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

MIN_CHARS = 8 * 1024  # a smaller file parses in about a millisecond: not worth a file
MAX_CHARS = 2 * 2**20  # entries stay small; larger files are parsed every time
MAX_ENTRIES = 32
FORMAT = f"toml-py{sys.version_info[0]}.{sys.version_info[1]}-json"
_enabled = [False]


def enable(on: bool = True) -> None:
    """Use the cache from now on in this process (the command line does)."""
    _enabled[0] = on


def directory() -> str | None:
    """Where entries live, or None when the cache is off."""
    if not _enabled[0] or os.environ.get("CNNCALC_NO_CACHE"):
        return None
    base = os.environ.get("CNNCALC_CACHE_DIR")
    if not base:
        if sys.platform == "win32":
            base = os.path.join(os.environ.get("LOCALAPPDATA") or "~", "cnncalc", "Cache")
        elif sys.platform == "darwin":
            base = os.path.join("~", "Library", "Caches", "cnncalc")
        else:
            base = os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "cnncalc")
    return os.path.join(os.path.expanduser(base), FORMAT)


def entry(text: str) -> str | None:
    """The file an entry for ``text`` lives in, or None when such a text is not cached."""
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        return None
    where = directory()
    if where is None:
        return None
    key = blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
    return os.path.join(where, key)


def recall(path: str) -> dict[str, Any] | None:
    """The document kept at ``path``, or None (no entry, or one that cannot be read).

    Entries are JSON, which holds exactly what TOML does but dates: data, never code.
    """
    try:
        with open(path, "rb") as handle:
            doc = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return None
    return doc if type(doc) is dict else None


def keep(path: str, doc: dict[str, Any]) -> None:
    """Write an entry whole; any failure (a read-only home, a full disk) only skips it."""
    try:
        data = json.dumps(doc, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError):  # dates, which JSON lacks: parse such a file every time
        return
    folder = os.path.dirname(path)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
        prune(folder)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def prune(folder: str) -> None:
    """Keep the ``MAX_ENTRIES`` newest entries."""
    with os.scandir(folder) as found:
        entries = [e for e in found if e.is_file() and "." not in e.name]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        try:
            os.unlink(old.path)
        except OSError:
            pass
