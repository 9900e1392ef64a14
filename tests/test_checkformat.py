"""Tests for cnncalc.check.formats: each output format of `cnncalc check` against golden files.

CNNCALC_REGENERATE_GOLDENS=1 rewrites the goldens in tests/data/golden/.
"""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from cnncalc.check.formats import annotation, escape_data, escape_property, github_summary
from cnncalc.check.results import WARNING
from cnncalc.check.run import run_check
from cnncalc.cli.app import main
from cnncalc.render.formats import styled_lines

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
REGENERATE = os.environ.get("CNNCALC_REGENERATE_GOLDENS") == "1"
CASES = "tests/data/check/cases"
INVALID_LINES = (  # what stderr holds for the invalid files, in every format
    f"{CASES}/error_invalid_network.toml:7: broken, conv1, kernel: output size 0 on axis H "
    "is below 1: (4 - 5 + 0 + 0) // 1 + 1 = 0 (input 4, kernel 5, padding 0+0, stride 1); "
    "expected an input of at least 5 on this axis\n"
    f"{CASES}/error_invalid_toml.toml:6: invalid TOML: Unclosed array\n"
)
FILES = [
    f"{CASES}/{name}.toml"
    for name in (
        "pass_lenet5",
        "several_failures",
        "warning_unread",
        "multi_network",
        "error_invalid_network",
        "error_invalid_toml",
    )
]

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run ``cnncalc ARGS`` in-process from the repository root: (exit code, stdout, stderr)."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def golden(name: str, actual: str) -> None:
    """Compare with tests/data/golden/NAME, the core's wording of each warning left out."""
    for finding in run_check(FILES).findings():
        if finding.level == WARNING:
            actual = actual.replace(finding.message, "[the warning]")
    path = GOLDEN / name
    if REGENERATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        if not REGENERATE:
            pytest.fail(f"golden file {path.name} was missing and has been written; re-run")
    assert actual == path.read_text()


# --------------------------------------------------------------------------- goldens


def test_text(cli: Cli) -> None:
    code, out, err = cli("check", *FILES)
    assert code == 2
    golden("check.txt", out)
    golden("check-errors.txt", err)


def test_github(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps' summary\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = cli("check", "--format", "github", *FILES)
    assert code == 2
    assert err == INVALID_LINES
    golden("check-github.txt", out)
    text = summary.read_text()
    assert text.startswith("earlier steps' summary\n## cnncalc check\n")  # appended, as GitHub asks
    golden("check-github-summary.md", text.removeprefix("earlier steps' summary\n"))


def test_json(cli: Cli) -> None:
    code, out, err = cli("check", "--format", "json", *FILES)
    assert code == 2
    assert err == INVALID_LINES
    golden("check.json", out)
    doc = json.loads(out)
    assert doc["exit_code"] == 2
    assert doc["summary"]["text"] == (
        "7 networks in 6 files: 3 ok, 3 failed, 1 invalid, 2 warnings; 1 file invalid"
    )
    by_name = {n["name"]: n for f in doc["files"] for n in f["networks"]}
    failure = by_name["bigger"]["failures"][0]
    assert failure == {
        "line": 18,
        "layer": None,
        "message": 'max_params 50,000 ("50k") exceeded: 54,170 found (+4,170)',
        "text": f'{CASES}/multi_network.toml:18: bigger: max_params 50,000 ("50k") '
        "exceeded: 54,170 found (+4,170)",
        "expectation": "max_params",
        "expected": 50000,
        "actual": 54170,
        "difference": 4170,
    }
    (invalid,) = [f for f in doc["files"] if f["status"] == "invalid" and not f["networks"]]
    assert invalid["error"]["message"] == "invalid TOML: Unclosed array"


def test_junit(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    code, out, err = cli("check", "--format", "junit", "--output", str(target), *FILES)
    assert code == 2
    text_code, text_out, text_err = cli("check", *FILES)
    assert (out, err) == (text_out, text_err)  # the log still shows the text report
    xml = target.read_text()
    golden("check.xml", xml)
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == FILES
    cases = root.findall("testsuite/testcase")
    assert root.get("tests") == str(len(cases)) == "8"  # 7 networks and 1 unreadable file
    assert root.get("failures") == str(len(root.findall(".//failure"))) == "3"
    assert root.get("errors") == str(len(root.findall(".//error"))) == "2"
    for suite in suites:
        assert suite.get("tests") == str(len(suite.findall("testcase")))
    failure = root.find("testsuite/testcase[@name='lenet5']/failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == "lenet5: params 61,000 expected, 61,706 found (+706)"
    assert len(failure.text.splitlines()) == 4  # every failure of the network
    out_text = root.find("testsuite/testcase[@name='strided']/system-out")
    assert out_text is not None and "strided, conv1: warning: the last" in str(out_text.text)


def test_junit_under_strict_fails_on_warnings(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "report.xml"
    code, _, _ = cli(
        "check", "--strict", "-f", "junit", "-o", str(target), f"{CASES}/warning_unread.toml"
    )
    assert code == 1
    root = ET.fromstring(target.read_text())
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message", "").startswith("strided, conv1: warning: the last")
    assert root.find(".//system-out") is None


def test_json_and_junit_go_to_standard_output_without_output(cli: Cli) -> None:
    code, out, _ = cli("check", "-f", "junit", f"{CASES}/pass_lenet5.toml")
    assert code == 0
    assert ET.fromstring(out).get("tests") == "1"
    code, out, _ = cli("check", "-f", "json", f"{CASES}/pass_lenet5.toml")
    assert json.loads(out)["files"][0]["networks"][0]["expectations"] == 11


def test_text_output_to_a_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "check.txt"
    code, out, err = cli("check", "-o", str(target), f"{CASES}/fail_params.toml")
    assert (code, out, err) == (1, "", "")
    assert target.read_text() == (
        f"{CASES}/fail_params.toml:18: lenet5: params 61,707 expected, 61,706 found (-1)\n"
        "1 network in 1 file: 0 ok, 1 failed\n"
    )


def test_unwritable_output(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "report.xml"
    code, out, err = cli("check", "-f", "junit", "-o", str(target), f"{CASES}/pass_lenet5.toml")
    assert (code, out) == (2, "")
    assert err == f"{target}: cannot write the file: No such file or directory\n"


# --------------------------------------------------------------------------- GitHub details


def test_github_escapes_workflow_command_values() -> None:
    assert escape_data("50% of a\r\nb") == "50%25 of a%0D%0Ab"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_github_warnings_become_errors_under_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    path = f"{CASES}/warning_unread.toml"
    finding = next(run_check([path]).findings())
    message = f"strided, conv1: warning: {finding.message}"
    title = "title=cnncalc%3A strided"
    assert annotation(finding, strict=False) == f"::warning file={path},line=9,{title}::{message}"
    assert annotation(finding, strict=True) == f"::error file={path},line=9,{title}::{message}"


def test_no_job_summary_without_the_variable(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli("check", "-f", "github", f"{CASES}/pass_lenet5.toml")
    assert (code, out) == (0, "1 network in 1 file: 1 ok, 0 failed\n")
    assert list(tmp_path.iterdir()) == []


def test_job_summary_escapes_markdown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "a|b.toml"
    path.write_text('["x|y"]\ninput = [8]\nlayers = ["fc 4"]\n')
    text = github_summary(run_check([str(path)]))
    assert f"| {tmp_path}/a\\|b.toml | x\\|y | ✅ ok | 0 |" in text


def test_job_summary_writes_names_as_text_not_html(tmp_path: Path) -> None:
    """As --format markdown: a name can neither open a tag nor close a code span."""
    path = tmp_path / "`<b>.toml"
    name = "<img src=x onerror=alert(1)>`\\u001b[31m"  # ESC, escaped for TOML
    path.write_text(f'["{name}"]\ninput = [8]\nlayers = ["fc 4"]\n')
    text = github_summary(run_check([str(path)]))
    row = (
        f"| {tmp_path}/`&lt;b&gt;.toml | &lt;img src=x onerror=alert(1)&gt;`\\\\x1b[31m "
        "| ✅ ok | 0 |"
    )
    assert row in text
    assert "<img" not in text and "\x1b" not in text


# --------------------------------------------------------------------------- colour


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    lines = [("red", "a.toml:1: net: params 1 expected, 2 found (+1)"), ("bold green", "ok")]
    terminal = Terminal()
    styled_lines(lines, terminal)
    assert "\x1b[31ma.toml:1: net: params 1 expected, 2 found (+1)\x1b[0m" in terminal.getvalue()
    plain = io.StringIO()
    styled_lines(lines, plain)
    assert plain.getvalue() == "a.toml:1: net: params 1 expected, 2 found (+1)\nok\n"
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = Terminal()
    styled_lines(lines, terminal)
    assert terminal.getvalue() == plain.getvalue()


def test_the_text_report_is_plain_when_piped(cli: Cli) -> None:
    assert "\x1b[" not in cli("check", *FILES)[1]


def test_names_from_pull_requests_cannot_forge_lines(tmp_path: Path, cli: Cli) -> None:
    """A network name with a newline or an escape code stays on its line, in every format."""
    path = tmp_path / "evil.toml"
    path.write_text(
        '["x\\n0 networks: all ok\\u001b[2J"]\ninput = [8]\nlayers = ["fc 4"]\n'
        '["x\\n0 networks: all ok\\u001b[2J".expect]\nparams = 1\n'
    )
    line = f"{path}:5: x\\x0a0 networks: all ok\\x1b[2J: params 1 expected, 36 found (+35)"
    code, out, _ = cli("check", str(path))
    assert (code, out) == (1, f"{line}\n1 network in 1 file: 0 ok, 1 failed\n")
    code, out, _ = cli("check", "-f", "github", str(path))
    assert out.splitlines()[0].endswith(
        "::x\\x0a0 networks: all ok\\x1b[2J: params 1 expected, 36 found (+35)"
    )
    assert len(out.splitlines()) == 2
    code, out, _ = cli("check", "-f", "junit", str(path))
    case = ET.fromstring(out).find("testsuite/testcase")
    assert case is not None and case.get("name") == "x\\x0a0 networks: all ok\\x1b[2J"
    code, out, _ = cli("check", "-f", "json", str(path))
    assert json.loads(out)["files"][0]["networks"][0]["name"] == "x\n0 networks: all ok\x1b[2J"
