"""typer, started lean: what it does before a command runs, without what cnncalc does not need.

Two costs dominate typer's start-up, and both would be paid on every run:

* typer converts every parameter value (defaults included) through a pydantic ``TypeAdapter``;
  importing pydantic and building the adapters takes longer than everything else a cnncalc
  command does. cnncalc's parameters are plain: text, a choice from an enum, a bounded
  integer, a flag, a list of text. :class:`LeanGroup` gives each such parameter a converter
  written here before the command line is parsed. A value it is not sure about (an invalid
  choice, ``--max-layers 0``, ``+5``) goes to typer's own converter, so errors read exactly as
  typer words them, and a parameter of any other type keeps typer's converter altogether.
* typer builds every command (reading each function's signature) before it looks at the
  command line. ``cnncalc.cli.app.app_for`` gives it just the command named on the command
  line, and imports only that command's module.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, get_args, get_origin

import typer
from typer import _click
from typer.core import TyperArgument, TyperGroup

try:  # typer's internals; another typer version simply keeps its own conversion
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice
except ImportError:  # pragma: no cover - depends on the installed typer
    RuntimeParam = None  # type: ignore[assignment,misc]

UNSURE: Any = object()  # "leave this value to typer"
MAX_DIGITS = 4300  # int() refuses longer text; typer gets every number up to here


def convert(annotation: Any, info: Any, value: Any, ctx: _click.Context | None) -> Any:
    """The value typer would produce, or ``UNSURE`` when only typer's converter should say."""
    if annotation is str:
        return value if type(value) is str else UNSURE
    if annotation is bool:
        return value if type(value) is bool else UNSURE
    if annotation is int:
        if type(value) is str and value.isascii() and value.isdigit() and value[:1] != "0":
            if len(value) > MAX_DIGITS:  # else a traceback from int() itself
                raise typer.BadParameter(
                    f"a number of {len(value):,} digits; expected at most {MAX_DIGITS:,} digits"
                )
            value = int(value)
        if type(value) is not int or info.clamp:
            return UNSURE
        if (info.min is not None and value < info.min) or (
            info.max is not None and value > info.max
        ):
            return UNSURE
        return value
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(
                value, choices=tuple(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            return UNSURE
    if get_origin(annotation) is list and isinstance(value, list | tuple):
        (item,) = get_args(annotation)
        items = [convert(item, info, v, ctx) for v in value]
        return UNSURE if any(v is UNSURE for v in items) else items
    return UNSURE


def handles(annotation: Any, info: Any) -> bool:
    """Whether :func:`convert` knows the parameter's type (else typer keeps the parameter)."""
    if getattr(info, "parser", None) is not None:
        return False
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return len(args) == 1 and handles(args[0], info)
    if annotation in (str, bool, int):
        return True
    return isinstance(annotation, type) and issubclass(annotation, Enum)


if RuntimeParam is not None:

    class LeanParam(RuntimeParam):
        """typer's per-parameter converter, without pydantic for the values cnncalc takes."""

        def _coerce_value(self, value: Any, param: Any, ctx: _click.Context) -> Any:
            result = convert(self.annotation, self.parameter_info, value, ctx)
            if result is UNSURE:
                typer_param = build_runtime_param(param.type_descriptor)
                return typer_param._coerce_value(value, param=param, ctx=ctx)
            return result


def make_lean(params: Sequence[Any]) -> None:
    """Give every parameter whose type :func:`convert` knows the pydantic-free converter."""
    if RuntimeParam is None:  # pragma: no cover - depends on the installed typer
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", UNSURE) is not None:
            continue  # not a typer parameter, or its converter is already chosen
        if descriptor.file_annotation is None and handles(
            descriptor.annotation, descriptor.parameter_info
        ):
            param._runtime_param = LeanParam(descriptor.parameter_info, descriptor.annotation)


def plain_metavars(params: Sequence[Any]) -> None:
    """An argument with a placeholder (``FILE``) shows it alone, not as ``FILE <str>``."""
    for param in params:
        if isinstance(param, TyperArgument) and param.metavar is not None:
            param.display_type_rich = no_type  # type: ignore[method-assign]


def no_type(ctx: Any = None) -> None:
    return None


class LeanGroup(TyperGroup):
    """The command group: its own options and each command's get the lean converters."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        make_lean(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            make_lean(command.get_params(ctx))
            plain_metavars(command.get_params(ctx))
        return name, command, rest
