"""The cache of parsed files returns what tomllib returns, and never stands in a user's way."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cnncalc import analyze, load
from cnncalc.errors import CnnCalcError
from cnncalc.spec import parsecache
from cnncalc.spec.source import parse_toml
from tests.conftest import network_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples.toml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of this test, holding texts of any length."""
    monkeypatch.setenv("CNNCALC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CNNCALC_NO_CACHE", raising=False)
    monkeypatch.setattr(parsecache, "MIN_CHARS", 0)
    monkeypatch.setattr(parsecache, "_enabled", [True])
    return tmp_path / parsecache.FORMAT


def entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_every_network_file_reads_back_as_tomllib_parses_it(cache: Path) -> None:
    """tomllib is the truth: a miss (which writes) and a hit (which reads) both equal it."""
    files = network_files()
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
        truth = tomllib.loads(text)
        assert parse_toml(text, str(path)) == truth, path
        assert parse_toml(text, str(path)) == truth, path  # from the cache
        kept = parsecache.recall(str(parsecache.entry(text)))
        assert kept == truth and kept is not truth
    assert len(entries(cache)) == min(len({p.read_bytes() for p in files}), parsecache.MAX_ENTRIES)


def test_a_hit_gives_the_same_analysis_and_a_fresh_document(cache: Path) -> None:
    first = [analyze(n).totals for n in load(str(EXAMPLES), only="vgg16")]
    assert len(entries(cache)) == 1
    second = [analyze(n).totals for n in load(str(EXAMPLES), only="vgg16")]
    assert first == second
    assert first[0].params == 138_357_544
    text = EXAMPLES.read_text(encoding="utf-8")
    one, two = parse_toml(text, "x"), parse_toml(text, "x")
    one["vgg16"]["layers"].clear()  # a reader may change its document: the next is whole
    assert two["vgg16"]["layers"] and parse_toml(text, "x") == tomllib.loads(text)


def test_an_edited_file_is_a_new_entry(cache: Path, tmp_path: Path) -> None:
    net = tmp_path / "net.toml"
    net.write_text('input = [8, 8, 3]\nlayers = ["conv 4 kernel=3"]\n')
    assert load(str(net))[0].nodes[0].layer.filters == 4  # type: ignore[attr-defined]
    net.write_text('input = [8, 8, 3]\nlayers = ["conv 5 kernel=3"]\n')
    assert load(str(net))[0].nodes[0].layer.filters == 5  # type: ignore[attr-defined]
    assert len(entries(cache)) == 2


def test_invalid_toml_is_never_kept_and_errs_alike(cache: Path) -> None:
    text = 'input = [8, 8, 3]\nlayers = ["conv 4"\n'
    messages = []
    for _ in range(2):
        with pytest.raises(CnnCalcError) as error:
            parse_toml(text, "bad.toml")
        messages.append(str(error.value))
    assert messages[0] == messages[1] and messages[0].startswith("bad.toml:")
    assert entries(cache) == []


def test_dates_which_json_lacks_are_parsed_every_time(cache: Path) -> None:
    text = "when = 1979-05-27T07:32:00Z\n"
    assert parse_toml(text, "t") == tomllib.loads(text)
    assert entries(cache) == []


def test_a_damaged_entry_is_a_miss_and_is_written_again(cache: Path) -> None:
    text = 'a = [1, 2, {b = "c"}]\n'
    parse_toml(text, "t")
    (entry,) = entries(cache)
    for damage in (b"", b"\x00garbage", entry.read_bytes()[:-3], b"\xe9" * 40, b"[" * 10**5):
        entry.write_bytes(damage)
        assert parse_toml(text, "t") == tomllib.loads(text)
        assert parsecache.recall(str(entry)) == tomllib.loads(text)
    entry.write_bytes(b"[1, 2]")  # not a table: not a document
    assert parse_toml(text, "t") == tomllib.loads(text)


def test_the_oldest_entries_go_first(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsecache, "MAX_ENTRIES", 3)
    for i in range(6):
        parse_toml(f"n = {i}\n", "t")
        path = Path(str(parsecache.entry(f"n = {i}\n")))
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # a second apart, whatever the clock
    kept = {parsecache.recall(str(p))["n"] for p in entries(cache)}  # type: ignore[index]
    assert kept == {3, 4, 5}


def test_switched_off_sizes_and_unwritable_places(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNCALC_NO_CACHE", "1")
    assert parse_toml("a = 1\n", "t") == {"a": 1} and entries(cache) == []
    monkeypatch.delenv("CNNCALC_NO_CACHE")
    monkeypatch.setattr(parsecache, "MIN_CHARS", 100)
    assert parse_toml("a = 1\n", "t") == {"a": 1} and entries(cache) == []  # too small to keep
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("CNNCALC_CACHE_DIR", str(blocked))  # a file where a folder must go
    monkeypatch.setattr(parsecache, "MIN_CHARS", 0)
    assert parse_toml("a = 2\n", "t") == {"a": 2}


def test_the_python_api_leaves_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CNNCALC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(parsecache, "_enabled", [False])
    assert parsecache.directory() is None
    load(str(EXAMPLES), only="lenet5")
    assert entries(tmp_path / parsecache.FORMAT) == []


def test_the_default_place_follows_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsecache, "_enabled", [True])
    monkeypatch.delenv("CNNCALC_CACHE_DIR", raising=False)
    monkeypatch.delenv("CNNCALC_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    monkeypatch.setattr(parsecache.sys, "platform", "linux")
    assert parsecache.directory() == f"/somewhere/cnncalc/{parsecache.FORMAT}"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert parsecache.directory() == os.path.expanduser(f"~/.cache/cnncalc/{parsecache.FORMAT}")
    monkeypatch.setattr(parsecache.sys, "platform", "darwin")
    assert parsecache.directory() == os.path.expanduser(
        f"~/Library/Caches/cnncalc/{parsecache.FORMAT}"
    )


def test_the_command_line_reads_a_large_file_through_the_cache(tmp_path: Path) -> None:
    env = {**os.environ, "CNNCALC_CACHE_DIR": str(tmp_path)}
    env.pop("CNNCALC_NO_CACHE", None)
    command = [sys.executable, "-m", "cnncalc", "summary", str(EXAMPLES), "--net", "lenet5"]
    runs = [subprocess.run(command, env=env, capture_output=True, text=True) for _ in range(2)]
    assert runs[0].returncode == runs[1].returncode == 0
    assert runs[0].stdout == runs[1].stdout and "61,706" in runs[0].stdout
    assert len(entries(tmp_path / parsecache.FORMAT)) == 1
