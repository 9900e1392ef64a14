"""Writing files safely: a new file is complete on disk before it takes the old one's place.

`check --update` and every ``-o`` write through here. The text goes to a temporary file
in the target's own directory, is flushed and synced, takes the target's mode, and
replaces the target with one atomic rename: a full disk, a size limit or a kill leaves
the old file or the new one, never part of either. A symbolic link is written through
to its target, so the link stays a link.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from cnncalc.errors import CnnCalcError


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file, through links (by name when either is missing)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(output: str, inputs: Sequence[str]) -> None:
    """An output may not replace a file the command reads: the input would be lost."""
    for path in inputs:
        if path != "-" and same_file(output, path):
            raise CnnCalcError(
                f"{path} is the input; expected another file to write to",
                file=output,
                key="--output",
            )


def write_atomically(path: str, text: str, unchanged: bytes | None = None) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one rename. With ``unchanged``, only while
    the file still holds exactly those bytes, so an edit saved meanwhile is never lost."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    temp: str | None = None
    try:
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~current_umask()
        fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        if unchanged is not None and read_bytes(target) != unchanged:
            raise CnnCalcError(
                "the file changed while cnncalc worked on it, so it was left as it is; "
                "expected no other edits meanwhile (run the command again)",
                file=path,
            )
        os.replace(temp, target)
        temp = None
        sync_folder(folder)
    except OSError as error:
        raise CnnCalcError(f"cannot write the file: {error.strerror}", file=path) from None
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass


def read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def sync_folder(folder: str) -> None:
    """Make the rename itself durable; some file systems cannot, which costs nothing there."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
