"""Tests for cnncalc.check (expect, discover, run): every kind of expectation, budgets, lines,
exit codes, file discovery.

Each case is a file in tests/data/check/cases/ whose first comment lines hold the exit code
(``# exit: N``, and ``# strict: N`` when --strict changes it) and every expected report
line (``# FILE:LINE: ...``), in order.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnncalc.check.discover import expand_paths
from cnncalc.check.expect import check_network
from cnncalc.check.results import ERROR, FAILURE, CheckReport
from cnncalc.check.run import run_check
from cnncalc.check.values import BUDGET_KEYS, EXACT_KEYS, si_value
from cnncalc.spec.load import load_text

ROOT = Path(__file__).parent.parent
CASES_DIR = Path("tests/data/check/cases")  # relative: reports show the path as given
CASES = sorted((ROOT / CASES_DIR).glob("*.toml"))
LENET = str(CASES_DIR / "pass_lenet5.toml")

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The shared in-process runner, from the repository root (reports show relative paths)."""
    monkeypatch.chdir(ROOT)
    return cli


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def header(path: Path) -> tuple[dict[str, int], list[str]]:
    """The exit codes and expected lines a case file states about itself."""
    codes: dict[str, int] = {}
    lines: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("# FILE"):
            lines.append(line.removeprefix("# ").replace("FILE", str(CASES_DIR / path.name), 1))
        elif line.startswith(("# exit: ", "# strict: ")):
            key, _, value = line.removeprefix("# ").partition(": ")
            codes[key] = int(value)
    assert "exit" in codes, f"{path.name} must state '# exit: N'"
    return codes, lines


def report_lines(report: CheckReport) -> list[str]:
    return [str(f) for f in report.findings()]


def matches(actual: list[str], expected: list[str]) -> bool:
    """Line by line; an expected line ending in … gives only the start of the line."""
    return len(actual) == len(expected) and all(
        a.startswith(e[:-1]) if e.endswith("…") else a == e
        for a, e in zip(actual, expected, strict=True)
    )


# --------------------------------------------------------------------------- the cases


@pytest.mark.usefixtures("at_root")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    codes, expected = header(path)
    report = run_check([str(CASES_DIR / path.name)])
    assert matches(report_lines(report), expected), report_lines(report)
    assert report.exit_code == codes["exit"]
    strict = run_check([str(CASES_DIR / path.name)], strict=True)
    assert matches(report_lines(strict), expected)
    assert strict.exit_code == codes.get("strict", codes["exit"])


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_on_the_command_line(path: Path, cli: Cli) -> None:
    """Errors go to standard error, failures and warnings to standard output, then the summary."""
    codes, expected = header(path)
    code, out, err = cli("check", str(CASES_DIR / path.name))
    report = run_check([str(CASES_DIR / path.name)])
    errors = [str(f) for f in report.findings() if f.level == ERROR]
    assert code == codes["exit"]
    assert err.splitlines() == errors
    assert matches(
        out.splitlines(), [line for line in expected if line not in errors] + [report.summary()]
    )


def test_every_expectation_kind_passes_and_fails(at_root: None) -> None:
    """The cases fail each kind of expectation at least once, and pass each at least once."""
    failed: set[str] = set()
    for path in CASES:
        for finding in run_check([str(CASES_DIR / path.name)]).findings():
            if finding.level == FAILURE and finding.expectation:
                parts = finding.expectation.split(".")
                failed.add(parts[0] if parts[0] != "layers" else f"layers.{parts[-1]}")
    kinds = {*EXACT_KEYS, "output", *BUDGET_KEYS, "layers.output", "layers.receptive_field"}
    assert failed == kinds
    (lenet,) = run_check([LENET]).networks
    assert (lenet.findings, lenet.checked) == ([], 11)  # every kind, all passing


def test_findings_carry_expected_actual_and_difference(at_root: None) -> None:
    report = run_check([str(CASES_DIR / "several_failures.toml")])
    found = [(f.expectation, f.expected, f.actual, f.difference) for f in report.findings()]
    assert found == [
        ("params", 61000, 61706, 706),
        ("max_macs", 400000, 416520, 16520),
        ("layers.conv1.receptive_field", 3, 5, 2),
        ("layers.conv2.output", [10, 10, 6], [10, 10, 16], None),
    ]
    assert [f.location.line for f in report.findings()] == [21, 22, 26, 29]


# --------------------------------------------------------------------------- budgets


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("140M", 140_000_000),
        ("1.5G", 1_500_000_000),
        ("16G", 16_000_000_000),
        ("20M", 20_000_000),
        ("62k", 62_000),
        ("62K", 62_000),
        ("0.4M", 400_000),
        ("2T", 2_000_000_000_000),
        ("1_000", 1000),
        (" 3 M ", 3_000_000),
        ("1.2345k", None),  # 1234.5 is not a count
        ("14OM", None),
        ("1.5m", None),  # milli is not a count either
        ("-1k", None),
        ("", None),
        ("1e6", None),
        ("1,000", None),  # "1,5G" would be ambiguous
    ],
)
def test_si_value(text: str, value: int | None) -> None:
    assert si_value(text) == value


@given(st.integers(0, 10**15), st.sampled_from(["", "k", "M", "G", "T"]))
def test_si_value_of_whole_numbers(n: int, suffix: str) -> None:
    scale = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[suffix]
    assert si_value(f"{n}{suffix}") == n * scale


@given(st.integers(0, 10**6), st.integers(0, 999), st.sampled_from(["k", "M", "G", "T"]))
def test_si_value_of_decimals(whole: int, thousandths: int, suffix: str) -> None:
    scale = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[suffix]
    assert si_value(f"{whole}.{thousandths:03d}{suffix}") == whole * scale + thousandths * (
        scale // 1000
    )


def lenet_with(expect: str) -> list[str]:
    text = (ROOT / LENET).read_text()
    text = text[: text.index("[expect]")] + expect
    (net,) = load_text(text, "lenet.toml")
    return [str(f) for f in check_network(net).findings]


CONVS = 'input = [8, 8, 1]\nlayers = ["conv 2 kernel=3", "maxpool 2"]\n'  # 72 + 18 activations


@pytest.mark.parametrize(
    ("budget", "passes"),
    [
        ('max_params = "61.706k"', True),  # exactly the count
        ('max_params = "61.705k"', False),
        ("max_params = 61706", True),
        ("max_macs = 4.1652e5", True),  # a float that is a whole number
        ("max_macs = 4.1651e5", False),
        ('max_macs = "1G"', True),
        ("max_params = 0", False),
    ],
)
def test_budget_boundaries(budget: str, passes: bool) -> None:
    findings = lenet_with(f"[expect]\n{budget}\n")
    assert (findings == []) == passes, findings


@pytest.mark.parametrize(
    ("budget", "passes"), [("90", True), ("89", False), ('"0.09k"', True), ('"0.089k"', False)]
)
def test_activation_budget_boundaries(budget: str, passes: bool) -> None:
    (net,) = load_text(CONVS + f"[expect]\nmax_activations = {budget}\n", "convs.toml")
    assert (check_network(net).findings == []) == passes


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            "max_params = -5",
            'max_params: expected a non-negative integer or a string such as "140M" or "1.5G" '
            "(suffixes k, M, G, T), got -5",
        ),
        (
            "max_macs = true",
            'max_macs: expected a non-negative integer or a string such as "140M" or "1.5G" '
            "(suffixes k, M, G, T), got true",
        ),
        ("params = 61706.0", "params: expected an exact integer, got 61706.0"),
        ("params = true", "params: expected an exact integer, got true"),
        (
            'macs = "0.5M"',
            'macs: expected an exact integer, got "0.5M"; a string such as "0.5M" is a budget: '
            "use max_macs",
        ),
        (
            "layers = 3",
            "layers: expected [expect.layers.NAME] tables, got 3",
        ),
        (
            "layers = { conv1 = 5 }",
            "conv1: expected a table with output or receptive_field, got 5",
        ),
        (
            "output = [[10], 10]",
            "output: expected a list of sizes such as [1000] (for several outputs, a list of "
            "them), got [[10], 10]",
        ),
    ],
)
def test_invalid_expectation_values(expect: str, message: str) -> None:
    (line,) = lenet_with(f"[expect]\n{expect}\n")
    assert line.endswith(message), line


def test_a_flat_network_has_no_receptive_field() -> None:
    (net,) = load_text(
        'input = [8]\nlayers = ["fc 4"]\n[expect.layers.fc1]\nreceptive_field = 1\n', "flat.toml"
    )
    assert [str(f) for f in check_network(net).findings] == [
        "flat.toml:4: flat, fc1: receptive_field: the layer's input has no spatial axes, "
        "so it has no receptive field"
    ]


def test_an_empty_expect_table_checks_nothing() -> None:
    (net,) = load_text('input = [8]\nlayers = ["fc 4"]\n[expect]\n', "empty.toml")
    result = check_network(net)
    assert (result.findings, result.checked, result.status(strict=True)) == ([], 0, "ok")


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("names", "strict", "code", "summary"),
    [
        (["pass_lenet5"], False, 0, "1 network in 1 file: 1 ok, 0 failed"),
        (
            ["pass_lenet5", "fail_params"],
            False,
            1,
            "2 networks in 2 files: 1 ok, 1 failed",
        ),
        (
            ["pass_lenet5", "warning_unread"],
            False,
            0,
            "2 networks in 2 files: 2 ok, 0 failed, 2 warnings",
        ),
        (
            ["pass_lenet5", "warning_unread"],
            True,
            1,
            "2 networks in 2 files: 1 ok, 1 failed, 2 warnings",
        ),
        (
            ["pass_lenet5", "fail_params", "error_invalid_toml"],
            False,
            2,
            "2 networks in 3 files: 1 ok, 1 failed; 1 file invalid",
        ),
        (
            ["error_invalid_network", "pass_lenet5"],
            False,
            2,
            "3 networks in 2 files: 1 ok, 1 failed, 1 invalid",
        ),
    ],
)
def test_exit_codes_and_summary(
    names: list[str], strict: bool, code: int, summary: str, cli: Cli
) -> None:
    args = [str(CASES_DIR / f"{n}.toml") for n in names] + (["--strict"] if strict else [])
    exit_code, out, _ = cli("check", *args)
    assert (exit_code, out.splitlines()[-1]) == (code, summary)


def test_an_invalid_file_does_not_stop_the_others(cli: Cli) -> None:
    bad, failing = CASES_DIR / "error_invalid_toml.toml", CASES_DIR / "fail_params.toml"
    code, out, err = cli("check", str(bad), str(failing))
    assert code == 2
    assert err == f"{bad}:6: invalid TOML: Unclosed array\n"
    assert out == (
        f"{failing}:18: lenet5: params 61,707 expected, 61,706 found (-1)\n"
        "1 network in 2 files: 0 ok, 1 failed; 1 file invalid\n"
    )


def test_missing_file_and_standard_input(cli: Cli) -> None:
    code, out, err = cli("check", "missing.toml")
    assert (code, err) == (2, "missing.toml: no such file\n")
    assert out == "0 networks in 1 file: 0 ok, 0 failed; 1 file invalid\n"
    text = (ROOT / CASES_DIR / "fail_output.toml").read_text()
    code, out, err = cli("check", "-", stdin=text)
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == "<stdin>:18: lenet5: output [100] expected, [10] found"


def test_no_arguments_is_a_usage_error(cli: Cli) -> None:
    code, out, err = cli("check")
    assert (code, out) == (2, "")
    assert err == "cnncalc: error: Missing argument 'FILE...'.\n"


def test_help_text(cli: Cli) -> None:
    code, out, _ = cli("check", "--help")
    assert code == 0
    text = " ".join(out.replace("`", "").split())
    assert "Check every network's expectations, budgets and warnings, for CI." in text
    assert "Exit codes: 0 all pass; 1 an expectation failed" in text
    assert "Example: cnncalc check models/ --format github" in text
    for option in ("--strict", "--format", "--output", "--update", "--skip-non-networks"):
        assert option in text


# --------------------------------------------------------------------------- which files


NETWORK = 'input = [8]\nlayers = ["fc 4"]\n'


def make_tree(root: Path) -> None:
    (root / "models" / "sub").mkdir(parents=True)
    (root / "models" / ".cache").mkdir()
    (root / "models" / "node_modules").mkdir()
    (root / "models" / "a.toml").write_text(NETWORK)
    (root / "models" / "sub" / "b.toml").write_text("[b]\n" + NETWORK)
    (root / "models" / "sub" / "broken.toml").write_text('layers = ["fc 4"\n')  # still checked
    (root / "models" / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no network
    (root / "models" / "notes.toml").write_text("this is = = not TOML\n")  # no network
    (root / "models" / "net.txt").write_text(NETWORK)  # not *.toml
    (root / "models" / ".cache" / "c.toml").write_text(NETWORK)  # hidden directory
    (root / "models" / "node_modules" / "d.toml").write_text(NETWORK)


def test_directories_hold_every_network_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path)
    paths, problems = expand_paths(["models"])
    assert paths == ["models/a.toml", "models/sub/b.toml", "models/sub/broken.toml"]
    assert problems == []
    paths, _ = expand_paths(["."])  # shown relative to the repository, as annotations need
    assert paths == ["models/a.toml", "models/sub/b.toml", "models/sub/broken.toml"]


def test_globs_match_like_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path)
    paths, _ = expand_paths(["models/**/*.toml"])  # a glob means what it says: no skipping
    assert paths == [
        "models/a.toml",
        "models/node_modules/d.toml",
        "models/sub/b.toml",
        "models/sub/broken.toml",
    ]
    paths, _ = expand_paths(["models/sub/b*.toml", "models/sub/b.toml", "models/a.toml"])
    assert paths == ["models/sub/b.toml", "models/sub/broken.toml", "models/a.toml"]


def test_globs_do_not_follow_links_in_circles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """glob.glob followed models/sub/loop -> .. and counted one file 41 times."""
    monkeypatch.chdir(tmp_path)
    make_tree(tmp_path)
    (tmp_path / "models" / "sub" / "loop").symlink_to("..")
    (tmp_path / "models" / "self").symlink_to(".")  # two loops: a walk that doubles per level
    (tmp_path / "models" / "again.toml").symlink_to("a.toml")
    (tmp_path / "models" / ".hidden.toml").write_text((tmp_path / "models" / "a.toml").read_text())
    paths, _ = expand_paths(["models/**/*.toml"])
    assert paths == [
        "models/a.toml",
        "models/node_modules/d.toml",
        "models/sub/b.toml",
        "models/sub/broken.toml",
    ]
    assert expand_paths(["models/.*.toml"])[0] == ["models/.hidden.toml"]


def test_a_named_file_is_always_checked_unless_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    make_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("check", "models/pyproject.toml", "models/a.toml")
    assert code == 2
    assert err.startswith("models/pyproject.toml:1: 'project' is not a network")
    code, out, err = cli("check", "--skip-non-networks", "models/pyproject.toml", "models/a.toml")
    assert (code, out, err) == (0, "1 network in 1 file: 1 ok, 0 failed\n", "")
    code, out, err = cli("check", "--skip-non-networks", "models/pyproject.toml")
    assert (code, out, err) == (0, "0 networks in 0 files: 0 ok, 0 failed\n", "")


def test_a_directory_or_glob_without_networks_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    code, out, err = cli("check", "empty", "nothing/*.toml")
    assert code == 2
    assert err == (
        "empty: no TOML file holding a network under it\n"
        "nothing/*.toml: no TOML file holding a network matches\n"
    )


def test_whole_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    make_tree(tmp_path)
    shutil.copy(ROOT / CASES_DIR / "fail_params.toml", tmp_path / "models" / "sub")
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("check", "models")
    assert code == 2
    assert err == "models/sub/broken.toml:2: invalid TOML: Unclosed array\n"
    assert out == (
        "models/sub/fail_params.toml:18: lenet5: params 61,707 expected, 61,706 found (-1)\n"
        "3 networks in 4 files: 2 ok, 1 failed; 1 file invalid\n"
    )


def test_pre_commit_hook_skips_other_toml_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    """pre-commit passes every staged *.toml to the hook's entry: only networks are checked."""
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    entry = re.search(r"^  entry: (.+)$", hooks, re.M)
    assert entry is not None and re.search(r"^  types: \[toml\]$", hooks, re.M)
    command = entry[1].split()
    assert command[:2] == ["cnncalc", "check"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    shutil.copy(ROOT / CASES_DIR / "fail_params.toml", tmp_path)
    code, out, err = cli(*command[1:], "pyproject.toml", "fail_params.toml")
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == "1 network in 1 file: 0 ok, 1 failed"
