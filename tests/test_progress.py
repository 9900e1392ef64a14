"""Tests for cnncalc.cli.progress: a line rewritten in place on a terminal, nothing elsewhere."""

from __future__ import annotations

import io
from pathlib import Path

from test_plaintable import Pipe

from cnncalc.check.run import run_check
from cnncalc.cli.app import main
from cnncalc.cli.progress import Progress

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples.toml")


def test_a_terminal_gets_one_line_rewritten_then_cleared() -> None:
    out = Pipe(tty=True)
    progress = Progress(out, delay=0)
    progress("checking file 1 of 2: a.toml")
    progress("checking file 2 of 2: b.toml")  # within 0.1 s of the first: not drawn
    progress.done()
    assert out.getvalue() == "\rchecking file 1 of 2: a.toml\x1b[K\r\x1b[K"


def test_a_pipe_or_a_quick_run_gets_nothing() -> None:
    for stream, delay in ((Pipe(tty=False), 0.0), (io.StringIO(), 0.0), (Pipe(tty=True), 60.0)):
        progress = Progress(stream, delay=delay)
        progress("checking file 1 of 2: a.toml")
        progress.done()
        assert stream.getvalue() == ""


def test_check_reports_each_file_it_starts(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.toml").write_text('input = [8, 8, 3]\nlayers = ["conv 4 kernel=3"]\n')
    seen: list[str] = []
    run_check([str(tmp_path)], progress=seen.append)
    assert seen == [
        f"checking file 1 of 2: {tmp_path / 'a.toml'}",
        f"checking file 2 of 2: {tmp_path / 'b.toml'}",
    ]


def test_check_through_a_pipe_writes_no_progress(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check", EXAMPLES]) == 0
    out, err = capsys.readouterr()
    assert "\r" not in out + err and "\x1b" not in out + err
