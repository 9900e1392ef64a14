"""Tests for cnncalc.cli.lean: typer's conversions and messages, without pydantic, one command
built."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import typer
from typer._coercion import build_runtime_param

from cnncalc.cli import app as cli
from cnncalc.cli.lean import UNSURE, LeanParam, convert, handles, make_lean

NETWORKS = str(Path(__file__).resolve().parent.parent / "benchmarks" / "networks.toml")
RAW = [
    None,
    "",
    "0",
    "1",
    "7",
    "007",
    "+5",
    "-5",
    " 5",
    "3.5",
    "1e3",
    "99999999999999999999999",
    "５",
    "abc",
    "json",
    "JSON",
    "Json",
    "table",
    "xml",
    "int8",
    "INT8",
    "H=224",
    ("a", "b"),
    (),
    ("H=1",),
    True,
    False,
]


def params() -> list[Any]:
    group = typer.main.get_command(cli.app)
    found = list(group.get_params(typer.Context(group)))
    for command in group.commands.values():  # type: ignore[attr-defined]
        found += command.get_params(typer.Context(command))
    return [p for p in found if hasattr(p, "type_descriptor")]


def outcome(runtime: Any, param: Any, value: Any) -> tuple[str, Any]:
    """What a converter makes of a value: its result, or the message it refuses it with."""
    ctx = typer.Context(typer.main.get_command(cli.app))
    try:
        return "value", runtime.coerce(value, param=param, ctx=ctx)
    except Exception as error:  # noqa: BLE001  (compared, not handled)
        return type(error).__name__, str(error)


def test_every_parameter_converts_as_typer_converts_it() -> None:
    checked = 0
    for param in params():
        d = param.type_descriptor
        if not handles(d.annotation, d.parameter_info):
            continue
        lean = LeanParam(d.parameter_info, d.annotation)
        typer_own = build_runtime_param(d)
        for raw in RAW:
            assert outcome(lean, param, raw) == outcome(typer_own, param, raw), (param.name, raw)
            checked += 1
    assert checked > 100


def test_plain_values_are_converted_here_and_odd_ones_left_to_typer() -> None:
    info = typer.models.OptionInfo(min=1)

    class Color(StrEnum):
        red = "red"

    assert convert(int, info, "12", None) == 12
    assert convert(int, info, 1_000_000, None) == 1_000_000
    for odd in ("0", "007", "+5", " 5", "3.5", "５", "x", 2.0):
        assert convert(int, info, odd, None) is UNSURE
    assert convert(str, info, "a b", None) == "a b"
    assert convert(bool, info, True, None) is True
    assert convert(bool, info, "true", None) is UNSURE
    assert convert(Color, info, "red", None) is Color.red
    assert convert(Color, info, "blue", None) is UNSURE
    assert convert(list[str], info, ("a", "b"), None) == ["a", "b"]
    assert convert(list[int], info, ("1", "x"), None) is UNSURE
    assert not handles(Path, info) and not handles(float, info)
    assert not handles(str, typer.models.OptionInfo(parser=str))


def test_parameters_of_other_types_keep_typer_s_converter() -> None:
    class Param:
        def __init__(self, annotation: Any) -> None:
            info = typer.models.OptionInfo()
            self.type_descriptor = type("D", (), {})()
            self.type_descriptor.annotation = annotation
            self.type_descriptor.parameter_info = info
            self.type_descriptor.file_annotation = None
            self._runtime_param = None

    path, text = Param(Path), Param(str)
    make_lean([path, text, object()])
    assert path._runtime_param is None
    assert isinstance(text._runtime_param, LeanParam)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "xml"],
            "cnncalc: error: Invalid value for '--format' / '-f': 'xml' is not one of "
            "'table', 'json', 'csv', 'markdown'.",
        ),
        (
            ["--max-layers", "0"],
            "cnncalc: error: Invalid value for '--max-layers': "
            "Input should be greater than or equal to 1",
        ),
        (
            ["--max-layers", "abc"],
            "cnncalc: error: Invalid value for '--max-layers': "
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            ["--dtype", "INT8"],
            "cnncalc: error: Invalid value for '--dtype': 'INT8' is not one of "
            "'float32', 'float16', 'bfloat16', 'int8'.",
        ),
    ],
)
def test_invalid_values_read_as_typer_words_them(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["summary", NETWORKS, "--net", "vgg16", *args]) == 2
    assert capsys.readouterr().err == message + "\n"


def test_valid_values_reach_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["params", NETWORKS, "-n", "vgg16", "-f", "JSON", "--max-layers", "25"]) == 0
    assert '"trainable_params": 138357544' in capsys.readouterr().out
    assert cli.main(["params", NETWORKS, "-n", "vgg16", "--max-layers", "24"]) == 2
    assert "expands to more than 24 layers" in capsys.readouterr().err


def test_only_the_named_command_is_built() -> None:
    lean = cli.app_for(["macs", "x.toml"])
    assert lean is not cli.app
    assert [i.name for i in lean.registered_commands] == ["macs"]
    assert lean.registered_callback is not None
    assert lean.registered_callback.callback is cli.app.registered_callback.callback
    for args in ([], ["--help"], ["--version"], ["sumary"], ["-n", "summary"]):
        assert cli.app_for(args) is cli.app
    assert [i.name for i in cli.app.registered_commands] == list(cli.COMMANDS)


def test_help_and_suggestions_still_see_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("shapes", "params", "receptive-field", "macs", "summary"))
    assert cli.main(["sumary"]) == 2
    assert capsys.readouterr().err == (
        "cnncalc: error: No such command 'sumary'. Did you mean 'summary'?\n"
    )
    assert cli.main([]) == 0
    assert capsys.readouterr().out.startswith("Usage: cnncalc [OPTIONS] COMMAND [ARGS]...")
    assert cli.main(["summary", "--help"]) == 0
    assert "Example: `cnncalc summary examples.toml" in capsys.readouterr().out
