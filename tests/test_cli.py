"""What users see: every report in every format (goldens), help texts, stdin and --layers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DATA, golden

SMALL = str(DATA / "nets" / "small.toml")
REPORTS = ["shapes", "params", "receptive-field", "macs", "summary"]
EXT = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md"}


@pytest.mark.parametrize("fmt", list(EXT))
@pytest.mark.parametrize("report", REPORTS)
def test_golden_output(report: str, fmt: str, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(report, SMALL, "--format", fmt)
    assert (code, err) == (0, "")
    golden(f"small-{report}.{EXT[fmt]}", out.replace(str(DATA), "DATA"))


@pytest.mark.parametrize("report", REPORTS)
def test_json_is_one_document_in_the_contract_schema(report: str, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(report, SMALL, "-f", "json")
    doc = json.loads(out)
    (network,) = doc["networks"]
    assert network["name"] == "small"
    assert network["input"] == [16, 16, 3] and network["output"] == [10]
    for layer in network["layers"]:
        assert {"name", "type", "inputs", "output", "warnings"} <= set(layer)
    if report == "summary":
        assert set(network["totals"]) >= {"params", "trainable_params", "macs", "activations"}
        first = network["layers"][0]
        assert first["receptive_field"] == {
            "size": [3, 3],
            "stride": [2, 2],
            "start": [1, 1],
            "global": False,
            "effective_padding": [0, 0],
        }
        assert first["padding"] == [[0, 0], [0, 0]]


def test_rows_add_up_to_the_totals(cli) -> None:  # type: ignore[no-untyped-def]
    network = json.loads(cli("summary", SMALL, "-f", "json")[1])["networks"][0]
    for key in ("params", "trainable_params", "macs", "activations"):
        assert sum(layer[key] for layer in network["layers"]) == network["totals"][key]


def test_standard_input(cli) -> None:  # type: ignore[no-untyped-def]
    text = (DATA / "nets" / "small.toml").read_text()
    code, out, _ = cli("params", "-", "-f", "csv", stdin=text)
    assert code == 0
    assert out.splitlines()[-1] == "small,Total,,,1002,986,16,1.000000,"


def test_stdin_errors_name_stdin(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("shapes", "-", stdin='input = [4, 4, 1]\nlayers = ["conv 1 kernel=5"]\n')
    assert (code, out) == (2, "")
    assert err.startswith("<stdin>:2: network, conv1, kernel: output size 0 on axis H is below 1")


def test_inline_layers_reproduce_the_notes_example(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "macs",
        "--input",
        "28x28x192",
        "--layers",
        "conv 16 kernel=1; conv 32 kernel=5 padding=same",
        "-f",
        "json",
    )
    assert code == 0
    assert json.loads(out)["networks"][0]["totals"]["macs"] == 12_443_648


def test_input_override_and_net_selection(cli) -> None:  # type: ignore[no-untyped-def]
    path = str(DATA / "nets" / "vgg16.toml")
    out = cli("shapes", path, "--net", "vgg16", "--input", "32x32x3", "-f", "json")[1]
    layers = {layer["name"]: layer for layer in json.loads(out)["networks"][0]["layers"]}
    assert layers["pool5"]["output"] == [1, 1, 512]


def test_dtype_changes_memory(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("params", SMALL, "-f", "json", "--dtype", "int8")[1]
    assert json.loads(out)["networks"][0]["totals"]["params_bytes"] == 1002


def test_help_of_every_command_has_an_example(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("--help")
    assert code == 0
    for report in REPORTS:
        assert report in out
        code, text, _ = cli(report, "--help")
        assert code == 0 and "Example:" in text and f"cnncalc {report}" in text
        assert "--format" in text and "--layers" in text


def test_help_fits_and_names_its_placeholders(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cnncalc.cli.app import COMMANDS

    monkeypatch.setenv("COLUMNS", "80")
    out = cli("--help")[1]
    assert "..." not in out.split("Commands:")[1]  # no summary cut off
    for command in COMMANDS:
        text = cli(command, "--help")[1]
        for python_type in ("<str>", "<int", "list[", "range>"):
            assert python_type not in text, (command, python_type)
    summary = " ".join(cli("summary", "--help")[1].split())
    for placeholder in ("[FILE]", "--net NAME", "--input HxWxC", "--set NAME=VALUE", "--depth N"):
        assert placeholder in summary
    assert "Default: 2 for the table" in summary
    diagram = " ".join(cli("diagram", "--help")[1].split())
    assert "one box each" in diagram and "the table" not in diagram
    assert "layer table" in " ".join(cli("report", "--help")[1].split())
    assert "Default: every layer" in " ".join(cli("shapes", "--help")[1].split())


def test_version(cli) -> None:  # type: ignore[no-untyped-def]
    from cnncalc import __version__

    assert cli("--version")[1] == f"cnncalc {__version__}\n"


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cnncalc", "params", SMALL, "-f", "csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "small,Total,,,1002,986,16,1.000000," in done.stdout


def test_no_color_and_pipes_get_plain_text(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_COLOR", "1")
    out = cli("summary", SMALL)[1]
    assert "\x1b[" not in out


def test_narrow_terminal_folds_names_but_never_numbers(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "60")
    out = cli("params", str(DATA / "nets" / "vgg16.toml"))[1]
    assert "138,357,544" in out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 60


def test_names_with_markup_and_escape_codes_print_literally(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "hostile.toml"
    path.write_text(
        'input = [4, 4, 1]\nlayers = [{ type = "relu", name = "[bold red]x[/]" },\n'
        '  { type = "relu", name = "\\u001b[31mred" }]\n'
    )
    code, out, _ = cli("shapes", str(path))
    assert code == 0
    assert "[bold red]x[/]" in out and "\\x1b[31mred" in out and "\x1b" not in out
    md = cli("shapes", str(path), "-f", "markdown")[1]
    assert "\x1b" not in md


def test_error_messages_stay_on_one_line(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "newline.toml"
    path.write_text('input = [4, 4, 1]\nlayers = [{ type = "relu\\nsecond line\\u001b[2J" }]\n')
    code, out, err = cli("shapes", str(path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "\x1b" not in err
    assert "unknown layer type 'relu second line\\x1b[2J'" in err


def test_input_applies_to_the_networks_it_fits_and_names_the_others(cli) -> None:  # type: ignore[no-untyped-def]
    examples = str(DATA.parent.parent / "examples.toml")
    code, out, err = cli("summary", examples, "--input", "64x64x3", "--format", "json")
    assert code == 0
    names = [n["name"] for n in json.loads(out)["networks"]]
    assert "lenet5" in names and "resnet50" in names and "deeplabv3_resnet50" in names
    assert not {"alexnet", "yolo", "dcgan", "siamese_triplet"} & set(names)
    assert all(n["input"] == [64, 64, 3] for n in json.loads(out)["networks"])
    assert err == (
        f"{examples}: --input: warning: 64x64x3 does not fit, left out: alexnet (pool5: output "
        "size 0 on axis H is below 1); yolo (reorg: cannot reshape [4, 4, 64] (1024 values) to "
        "[19, 19, 256] (92416 values)); dcgan (an input of 1 size); siamese_triplet (several "
        "inputs: give --input NAME=SIZES); unet_original (enc4.conv2: output size 0 on axis H "
        "is below 1); vit_b_16 (pos_embedding: a param of shape [197, 768] cannot be added to "
        "[17, 768]); maxvit_t (stage1.first.grid_attn.attn: a grid partition of 7 needs sizes "
        "that are multiples of 7, got 16 on axis H)\n"
    )
    code, out, err = cli("summary", examples, "--net", "siamese_triplet", "--input", "64x64x3")
    assert (code, out) == (2, "")
    assert err == (
        f"{examples}: siamese_triplet, --input: the network has several inputs; expected "
        "--input NAME=SIZES with NAME one of anchor, positive, negative\n"
    )
    code, out, err = cli("shapes", examples, "--input", "64x64")
    assert code == 2 and err.startswith(f"{examples}: --input: 64x64 fits none of the networks:")
    code, out, _ = cli("shapes", examples, "--input", "anchor=64x64x3", "-f", "json")
    assert [n["name"] for n in json.loads(out)["networks"]] == ["siamese_triplet"]
