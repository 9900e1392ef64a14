"""Tests for cnncalc.files: files are replaced whole, through links, keeping their mode, and
never over a command's input; `check --update` and every ``-o`` write this way."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cnncalc.check import update
from cnncalc.errors import CnnCalcError
from cnncalc.files import write_atomically

Cli = Callable[..., tuple[int, str, str]]
NET = 'input = [8, 8, 3]\nlayers = ["conv 4 kernel=3"]\n'


def test_a_link_is_written_through_and_the_mode_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "real.py"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    write_atomically(str(link), "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.py", "real.py"]


def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        write_atomically(str(tmp_path / "new.svg"), "<svg/>\n")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.svg").stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.html"
    path.write_text("old\n")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CnnCalcError) as caught:
        write_atomically(str(path), "new\n")
    assert str(caught.value) == f"{path}: cannot write the file: No space left on device"
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.html"]


def big_network_file(path: Path) -> str:
    """A stale network followed by 200 kB of comments, as a long documented file may be."""
    text = NET + "".join(f"# note {i:06d}: a comment line that is kept\n" for i in range(5000))
    path.write_text(text)
    return text


def limited(limit: int) -> Callable[[], None]:
    def run() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return run


def test_update_under_a_file_size_limit_keeps_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "net.toml"
    text = big_network_file(path)
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", "check", "--update", str(path)],
        capture_output=True,
        text=True,
        preexec_fn=limited(len(text) // 2),
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert done.returncode == 2
    assert done.stderr == f"{path}: cannot write the file: File too large\n"
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["net.toml"]


def test_update_refuses_when_the_file_changed_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "net.toml"
    path.write_text(NET)
    apply = update.apply_changes

    def edited_meanwhile(*args: object) -> str:
        path.write_text(NET + "# saved in the editor\n")
        return apply(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(update, "apply_changes", edited_meanwhile)
    with pytest.raises(CnnCalcError) as caught:
        update.update_file(str(path))
    assert str(caught.value) == (
        f"{path}: the file changed while cnncalc worked on it, so it was left as it is; "
        "expected no other edits meanwhile (run the command again)"
    )
    assert path.read_text() == NET + "# saved in the editor\n"


def test_update_keeps_a_byte_order_mark_and_a_link(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "real.toml"
    target.write_bytes(b"\xef\xbb\xbf" + NET.encode())
    link = tmp_path / "net.toml"
    link.symlink_to(target)
    assert cli("check", "--update", str(link))[0] == 0
    assert link.is_symlink()
    assert target.read_bytes().startswith(b"\xef\xbb\xbf" + NET.encode() + b"\n[expect]\n")


@pytest.mark.parametrize(
    "command",
    [
        ["export", "{net}"],
        ["diagram", "{net}"],
        ["report", "{net}"],
        ["check", "{net}", "--format", "junit"],
    ],
)
@pytest.mark.parametrize("through_link", [False, True])
def test_an_output_never_replaces_the_input(
    command: list[str], through_link: bool, tmp_path: Path, cli: Cli
) -> None:
    net = tmp_path / "net.toml"
    net.write_text(NET)
    output = net
    if through_link:
        output = tmp_path / "out.toml"
        output.symlink_to(net)
    code, out, err = cli(*[c.format(net=net) for c in command], "-o", str(output))
    assert code == 2
    assert err.splitlines()[-1] == (
        f"{output}: --output: {net} is the input; expected another file to write to"
    )
    assert net.read_text() == NET
