"""Tests for cnncalc.check.update: `check --update` writes exact values and keeps the rest of
the file.

CNNCALC_REGENERATE_GOLDENS=1 rewrites tests/data/check/update/*.expected.toml.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cnncalc.check import update
from cnncalc.check.expect import check_network
from cnncalc.engine.walk import analyze
from cnncalc.errors import CnnCalcError
from cnncalc.spec.load import load_text
from conftest import examples

ROOT = Path(__file__).parent.parent
UPDATE = ROOT / "tests" / "data" / "check" / "update"
REGENERATE = os.environ.get("CNNCALC_REGENERATE_GOLDENS") == "1"

Cli = Callable[..., tuple[int, str, str]]


# --------------------------------------------------------------------------- round trip


def test_round_trip_keeps_comments_and_layout(tmp_path: Path, cli: Cli) -> None:
    original = (UPDATE / "models.toml").read_text()
    path = tmp_path / "models.toml"
    path.write_text(original)
    code, out, err = cli("check", str(path))
    assert code == 1  # stale values
    code, out, err = cli("check", "--update", str(path))
    assert (code, err) == (0, "")
    assert out == (
        f"{path}: updated the expectations of tiny, lenet5\n"
        "2 networks in 1 file: 2 ok, 0 failed; 1 file updated\n"
    )
    updated = path.read_text()
    expected = UPDATE / "models.expected.toml"
    if REGENERATE:
        expected.write_text(updated)
    assert updated == expected.read_text()

    # Only the stale values changed, each keeping its comment; everything else is an insertion.
    old, new = original.splitlines(), updated.splitlines()
    changed = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        assert tag in ("equal", "insert", "replace"), (tag, old[i1:i2])
        if tag == "replace":
            changed += list(zip(old[i1:i2], new[j1:j2], strict=True))
    assert changed == [
        (
            "params   = 60_000       # stale: before fc 120 and fc 84 were removed",
            "params   = 18582       # stale: before fc 120 and fc 84 were removed",
        ),
        ("macs     = 416520       # stale as well", "macs     = 373600       # stale as well"),
        ("output = [10, 10, 6]            # stale", "output = [10, 10, 16]            # stale"),
    ]
    # 18,582 = (25+1)*6 + (150+1)*16 + (400+1)*10; 373,600 = 117,600 + 240,000 + 16,000
    assert tomllib.loads(updated)["lenet5"]["expect"] == {
        "params": 18582,
        "macs": 373600,
        "max_params": "70k",
        "output": [10],
        "trainable_params": 18582,
        "layers": {"conv2": {"output": [10, 10, 16], "receptive_field": [14, 14]}},
    }

    code, out, err = cli("check", str(path))
    assert (code, out, err) == (0, "2 networks in 1 file: 2 ok, 0 failed\n", "")
    code, out, err = cli("check", "--update", str(path))  # nothing left to change
    assert (code, out) == (0, "2 networks in 1 file: 2 ok, 0 failed\n")
    assert path.read_text() == updated


LAYOUTS = {
    "table_and_array_of_tables": (
        '[a]\ninput = [8, 8, 1]\n[[a.layers]]\ntype = "conv"\nfilters = 2\nkernel = 3\n'
        '[[a.layers]]\ntype = "flatten"\n\n# second network\n[b]\ninput = [4]\n'
        'layers = ["fc 3"]\n'
    ),
    "tables_defined_late": (
        '[[a.layers]]\ntype = "conv"\nfilters = 2\nkernel = 3\n[a]\ninput = [8, 8, 1]\n\n'
        '[[b.layers]]\ntype = "fc"\nunits = 3\n[b]\ninput = [4]\n'
    ),
    "inline_tables": (
        'a = { input = [8, 8, 1], layers = ["conv 2 kernel=3"] }\n'
        'b = { input = [4], layers = ["fc 3"] }\n'
    ),
    "dotted_keys": ('a.input = [4]\na.layers = ["fc 3"]\nb.input = [4]\nb.layers = ["fc 5"]\n'),
    "no_final_newline": 'input = [4]\nlayers = ["fc 3"]',
    "windows_newlines": 'input = [4]\r\nlayers = ["fc 3"]  # x\r\n',
    "windows_newlines_in_expect": (
        'input = [4]\r\nlayers = ["fc 3"]\r\n\r\n[expect]\r\nparams = 1  # wrong\r\n'
    ),
    "only_layer_expectations": (
        'input = [8, 8, 1]\nlayers = ["conv 2 kernel=3"]\n\n'
        "[expect.layers.conv1]\noutput = [6, 6, 3]   # wrong\n"
    ),
    "inline_expect": ('input = [8, 8, 1]\nlayers = ["conv 2 kernel=3"]\nexpect = { params = 1 }\n'),
    "quoted_names": (
        '["my net"]\ninput = [4]\nlayers = ["fc 3"]\n["v1.2"]\ninput = [4]\nlayers = ["fc 3"]\n'
    ),
    "multiline_array": (
        '[a]\ninput = [8, 8, 1]\nlayers = [\n  "conv 2 kernel=3",\n  # a comment\n]\n'
        '# belongs to b\n[b]\ninput = [4]\nlayers = ["fc 3"]\n'
    ),
    "blocks_after": (
        '[a]\ninput = [8, 8, 1]\nlayers = [{ type = "two" }]\n\n'
        '[blocks.two]\nlayers = ["conv 2 kernel=3", "relu"]\n'
    ),
}


def is_subsequence(items: list[str], within: list[str]) -> bool:
    """Every item appears in ``within``, in order (others may come in between)."""
    rest = iter(within)
    return all(any(item == other for other in rest) for item in items)


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=list(LAYOUTS))
def test_layouts(text: str, tmp_path: Path, cli: Cli) -> None:
    """Whatever the layout, the data changes in [expect] only and a second check passes."""
    path = tmp_path / "nets.toml"
    path.write_bytes(text.encode())
    code, out, err = cli("check", "--update", str(path))
    assert (code, err) == (0, "")
    updated = path.read_bytes().decode()
    before, after = tomllib.loads(text), tomllib.loads(updated)
    for data in (before, after):
        for table in [data, *data.values()]:
            if isinstance(table, dict):
                table.pop("expect", None)
    assert before == after
    if "{" not in text:  # an inline table is one line, necessarily rewritten
        kept = [line for line in text.splitlines() if "wrong" not in line]
        assert is_subsequence(kept, updated.splitlines())
    assert ("\r\n" in text) == ("\r\n" in updated) and updated.count("\r\n") in (
        0,
        updated.count("\n"),
    )
    code, out, err = cli("check", str(path))
    assert (code, err) == (0, "")


def test_new_tables_follow_their_network(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "nets.toml"
    path.write_text(LAYOUTS["table_and_array_of_tables"])
    cli("check", "--update", str(path))
    assert path.read_text() == (
        '[a]\ninput = [8, 8, 1]\n[[a.layers]]\ntype = "conv"\nfilters = 2\nkernel = 3\n'
        '[[a.layers]]\ntype = "flatten"\n\n'
        "[a.expect]\nparams = 20\ntrainable_params = 20\nmacs = 648\noutput = [72]\n\n"
        '# second network\n[b]\ninput = [4]\nlayers = ["fc 3"]\n\n'
        "[b.expect]\nparams = 15\ntrainable_params = 15\nmacs = 12\noutput = [3]\n"
    )


# --------------------------------------------------------------------------- what is written


def test_budgets_and_unknown_keys_stay_as_written(tmp_path: Path, cli: Cli) -> None:
    """A mistake in [expect] makes the network invalid, so --update leaves it alone."""
    path = tmp_path / "net.toml"
    text = (
        'input = [8]\nlayers = ["fc 4"]\n\n[expect]\nmax_params = "30"\nmax_prams = 1\n'
        "\n[expect.layers.fc9]\noutput = [4]\n"
    )
    path.write_text(text)
    code, out, err = cli("check", "--update", str(path))
    assert code == 2  # still invalid: cnncalc does not guess what a misspelt key meant
    assert err == (
        f"{path}:6: net: unknown expectation 'max_prams' — did you mean 'max_params'?; "
        "expected params, trainable_params, macs, output, max_params, max_macs, "
        "max_activations or [expect.layers.NAME] tables\n"
        f"{path}:8: net, fc9: unknown layer 'fc9' — did you mean 'fc1'?; expected a layer name "
        "as the reports show it (inside a block, <instance>.<name>)\n"
    )
    assert out.splitlines() == [
        f'{path}:5: net: max_params 30 ("30") exceeded: 36 found (+6)',
        "1 network in 1 file: 0 ok, 0 failed, 1 invalid",
    ]
    assert path.read_text() == text
    path.write_text(text.replace("max_prams = 1\n", "").replace("fc9", "fc1"))
    assert cli("check", "--update", str(path))[0] == 1  # the budget still fails: as written
    assert path.read_text() == (
        'input = [8]\nlayers = ["fc 4"]\n\n[expect]\nmax_params = "30"\n'
        "params = 36\ntrainable_params = 36\nmacs = 32\noutput = [4]\n"
        "\n[expect.layers.fc1]\noutput = [4]\n"
    )


def test_receptive_fields_keep_their_form(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "net.toml"
    path.write_text(
        'input = [16, 8, 1]\nlayers = ["conv 2 kernel=3", "conv 2 kernel=[5,3]"]\n'
        "[expect.layers.conv1]\nreceptive_field = 1\n"
        "[expect.layers.conv2]\nreceptive_field = [1, 1]\n"
    )
    cli("check", "--update", str(path))
    layers = tomllib.loads(path.read_text())["expect"]["layers"]
    assert layers == {"conv1": {"receptive_field": 3}, "conv2": {"receptive_field": [7, 5]}}


def test_symbolic_values_are_written_as_formulas(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "net.toml"
    path.write_text('input = ["H", "W", 3]\nlayers = ["conv 8 kernel=3 padding=same"]\n')
    code, _, _ = cli("check", "--update", str(path))
    assert code == 0
    assert tomllib.loads(path.read_text())["expect"] == {
        "params": 224,
        "trainable_params": 224,
        "macs": "216*H*W",
        "output": ["H", "W", 8],
    }


# --------------------------------------------------------------------------- what is refused


def test_standard_input_cannot_be_updated(cli: Cli) -> None:
    code, out, err = cli("check", "--update", "-", stdin='input = [4]\nlayers = ["fc 3"]\n')
    assert code == 2
    assert err == "<stdin>: --update cannot rewrite standard input; name the file\n"


def test_invalid_files_and_networks_are_left_alone(tmp_path: Path, cli: Cli) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('input = [4]\nlayers = ["fc 3"\n')
    mixed = tmp_path / "mixed.toml"
    mixed_text = (
        '[bad]\ninput = [4, 4, 1]\nlayers = ["conv 2 kernel=5"]\n\n'
        '[good]\ninput = [4]\nlayers = ["fc 3"]\n'
    )
    mixed.write_text(mixed_text)
    code, out, err = cli("check", "--update", str(broken), str(mixed))
    assert code == 2
    assert broken.read_text() == 'input = [4]\nlayers = ["fc 3"\n'
    assert mixed.read_text() == mixed_text + (
        "\n[good.expect]\nparams = 15\ntrainable_params = 15\nmacs = 12\noutput = [3]\n"
    )
    assert out.splitlines()[0] == f"{mixed}: updated the expectations of good"


def test_a_rewrite_that_would_change_other_values_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setattr(update, "edit_with_tomlkit", lambda *args: None)
    path = tmp_path / "inline.toml"
    text = 'a = { input = [4], layers = ["fc 3"] }\n'
    path.write_text(text)
    code, out, err = cli("check", "--update", str(path))
    assert code == 2
    assert err == (
        f"{path}:1: a: cannot write the expectations without changing the rest of the file; "
        "add an [expect] table by hand, then run --update again\n"
    )
    assert path.read_text() == text


def test_apply_changes_inserts_a_table() -> None:
    (net,) = load_text('input = [4]\nlayers = ["fc 3"]\n', "n.toml")
    text = update.apply_changes('input = [4]\nlayers = ["fc 3"]\n', net, [(("params",), 15)])
    assert text == 'input = [4]\nlayers = ["fc 3"]\n\n[expect]\nparams = 15\n'


# --------------------------------------------------------------------------- property


LAYER = st.sampled_from(
    [
        "conv 4 kernel=3",
        "conv 6 kernel=3 padding=same",
        "conv 8 kernel=1 stride=2",
        "maxpool 2",
        "avgpool 3 stride=1",
        "relu",
        "bn",
    ]
)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(LAYER, min_size=1, max_size=5), min_size=1, max_size=3),
    st.integers(16, 40),
    st.booleans(),
)
def test_update_then_check_passes(nets: list[list[str]], size: int, stale: bool) -> None:
    """For any networks, --update writes what check then accepts, and a second update is a no-op."""
    parts = []
    for i, layers in enumerate(nets):
        body = ", ".join(f'"{layer}"' for layer in layers) + ', "flatten", "fc 10"'
        parts.append(f"# network {i}\n[n{i}]\ninput = [{size}, {size}, 3]\nlayers = [{body}]\n")
        if stale:
            parts.append(f'[n{i}.expect]\nparams = 1  # stale\nmax_macs = "1T"\n')
    text = "\n".join(parts)
    for net in load_text(text, "nets.toml"):
        try:
            analysis = analyze(net)
        except CnnCalcError:
            assume(False)  # a stack that shrinks the input below one pixel
        text = update.apply_changes(text, net, update.planned_changes(net, analysis))
    for net in load_text(text, "nets.toml"):
        result = check_network(net)
        assert [f for f in result.findings if f.level != "warning"] == []
        assert update.planned_changes(net, analyze(net)) == []
    assert text.count("# network") == len(nets)


def test_update_file_writes_nothing_when_nothing_changes(tmp_path: Path) -> None:
    source = ROOT / "tests" / "data" / "check" / "cases" / "pass_lenet5.toml"
    path = tmp_path / "lenet.toml"
    shutil.copy(source, path)
    mtime = path.stat().st_mtime_ns
    assert update.update_file(str(path)) == []
    assert path.stat().st_mtime_ns == mtime


def test_an_invalid_expect_table_is_left_alone(tmp_path: Path, cli: Cli) -> None:
    """It was rewritten and reported as "1 file updated" while the check exited 2."""
    path = tmp_path / "net.toml"
    text = 'input = [4]\nlayers = ["fc 3"]\n[expect]\nparms = 3\n'
    path.write_text(text)
    code, out, err = cli("check", "--update", str(path))
    assert (code, out) == (2, "1 network in 1 file: 0 ok, 0 failed, 1 invalid\n")
    assert err.startswith(f"{path}:4: net: unknown expectation 'parms'")
    assert path.read_text() == text
