"""Every invalid file gives exactly one line on stderr, the line it names, and exit code 2.

Each case is a file in tests/data/invalid/ whose first line holds the expected message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import DATA

CASES = sorted((DATA / "invalid").glob("*.toml"))


def expected_message(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# error: "), f"{path.name} must start with '# error: '"
    return first.removeprefix("# error: ").replace("FILE", str(path))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_invalid_file(path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("summary", str(path))
    assert code == 2
    assert out == ""
    assert err == expected_message(path) + "\n"


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_json_mode_writes_nothing_to_stdout_on_error(fmt: str, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("summary", str(DATA / "invalid" / "cycle.toml"), "--format", fmt)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary", "missing.toml"], "missing.toml: no such file"),
        (["summary", str(DATA)], f"{DATA}: is a directory; expected a TOML file"),
        (["summary"], "missing FILE; expected an architecture file, `-`, or --layers"),
        (
            ["summary", "--layers", "conv 4 kernel=3"],
            "<layers>:1: --input: --layers needs --input, e.g. --input 28x28x1",
        ),
        (
            ["summary", "--input", "8xx3", "--layers", "relu"],
            "--input: cannot read '8xx3'; expected sizes like 224x224x3",
        ),
        (
            ["summary", str(DATA / "nets" / "small.toml"), "--input", "1x2x3x4x5"],
            "--input: small, --input: expected a list of 1 to 4 positive sizes, spatial axes "
            "first, channels last, got [1, 2, 3, 4, 5]",
        ),
        (
            ["summary", str(DATA / "nets" / "small.toml"), "--input", "2Hx8x3"],
            "--input: small, --input: '2H' is not a valid size symbol; expected a number or a "
            'name such as "H" (letters, digits and _, starting with a letter, at most 32 '
            "characters)",
        ),
        (
            ["summary", "--format", "xml", "x.toml"],
            "cnncalc: error: Invalid value for '--format' / '-f': 'xml' is not one of 'table', "
            "'json', 'csv', 'markdown'.",
        ),
        (
            ["summary", "--set", "H", "--layers", "relu", "--input", "8x8x3"],
            "--set: cannot read 'H'; expected SYMBOL=VALUE with a positive integer value up "
            "to 2**64, e.g. H=224",
        ),
    ],
)
def test_command_line_errors(args: list[str], message: str, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(*args)
    assert (code, out, err) == (2, "", message + "\n")


HUGE = "9" * 5000  # int() refuses more than 4,300 digits


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["shapes", "--max-layers", HUGE, "--layers", "relu", "--input", "8x8"],
            "cnncalc: error: Invalid value for '--max-layers': a number of 5,000 digits; "
            "expected at most 20 digits",
        ),
        (
            ["summary", "--depth", HUGE, "--layers", "relu", "--input", "8x8"],
            "cnncalc: error: Invalid value for '--depth' / '-d': a number of 5,000 digits; "
            "expected at most 20 digits",
        ),
        (
            ["shapes", "--layers", "relu", "--input", HUGE + "x8"],
            "--input: a size of 5,000 digits in --input; expected sizes between 1 and 2**64",
        ),
    ],
    ids=["max_layers", "depth", "input"],
)
def test_huge_numbers_on_the_command_line(args: list[str], message: str, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli(*args) == (2, "", message + "\n")


@pytest.mark.parametrize("command", [["shapes"], ["check"], ["summary", "-f", "json"]])
def test_a_full_disk_on_standard_output_is_one_line_and_exit_2(command: list[str]) -> None:
    import subprocess
    import sys

    net = DATA / "nets" / "vgg16.toml"
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "cnncalc", *command[:1], str(net), *command[1:]],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(DATA.parent.parent)},
        )
    assert (done.returncode, done.stderr) == (
        2,
        "cnncalc: error: cannot write the output: No space left on device\n",
    )


def test_a_byte_order_mark_is_accepted(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfinput = [8, 8, 3]\nlayers = ["conv 4 kernel=3"]\n')
    code, out, err = cli("shapes", str(path), "-f", "csv")
    assert (code, err) == (0, "") and "conv1" in out
    assert cli("shapes", "-", "-f", "csv", stdin=path.read_bytes().decode())[0] == 0


def test_net_not_found_suggests(cli) -> None:  # type: ignore[no-untyped-def]
    path = DATA / "nets" / "vgg16.toml"
    code, _, err = cli("shapes", str(path), "--net", "vgg19")
    assert code == 2
    assert err == f"{path}: --net: no network 'vgg19' — did you mean 'vgg16'?; the file has vgg16\n"


def test_not_utf8(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'input = [8, 8, 3]\nname = "caf\xe9"\n')
    assert cli("shapes", str(path))[1:] == ("", f"{path}:2: the file is not UTF-8 text\n")


def test_every_tested_message_is_in_the_error_table() -> None:
    """docs/errors.md lists each invalid case's exact message (so the docs keep up)."""
    table = (DATA.parent.parent / "docs" / "errors.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    for path in CASES + sorted((DATA / "invalid_symbols").glob("*.toml")):
        message = path.read_text().splitlines()[0].split(": ", 1)[1]
        message = message.split(": ", 1)[1] if message.startswith(("FILE:", "{file}:")) else message
        assert any(
            f"`{path.stem}`" in row and message.replace("|", "\\|") in row for row in rows
        ), path.name


def test_the_messages_of_tests_in_the_error_table_name_real_tests() -> None:
    """Rows whose case is a test (writing files, the command line, the API) name one that
    exists, so a renamed or deleted test does not leave its message documented."""
    docs = (DATA.parent.parent / "docs" / "errors.md").read_text()
    sources = "".join(p.read_text() for p in sorted(Path(__file__).parent.glob("test_*.py")))
    cases = {
        line.split("`")[1]
        for line in docs.splitlines()
        if line.startswith("| ") and "`test_" in line
    }
    assert len(cases) >= 7
    for case in cases:
        assert f"def {case}(" in sources, case
