"""The framework commands: export to PyTorch code, import a PyTorch module.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

import os
import sys
from enum import StrEnum
from typing import Annotated

import typer

from cnncalc.cli.networks import load_networks
from cnncalc.cli.options import (
    FileArg,
    InputOpt,
    LayersOpt,
    MaxLayersOpt,
    NetOpt,
    SetOpt,
)
from cnncalc.cli.output import write_output
from cnncalc.errors import CnnCalcError


class Target(StrEnum):
    pytorch = "pytorch"


def export(
    file: FileArg = None,
    to: Annotated[
        Target,
        typer.Option("--to", "-t", help="Framework to write code for.", case_sensitive=False),
    ] = Target.pytorch,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
    net: NetOpt = None,
    input_shape: InputOpt = None,
    sets: SetOpt = None,
    layers: LayersOpt = None,
    activation_modules: Annotated[
        bool,
        typer.Option(
            "--activation-modules",
            help="Write activations as modules (`nn.ReLU()`), so that tools that count by "
            "module (torchinfo, ptflops, thop) see them.",
        ),
    ] = False,
    max_layers: MaxLayersOpt = 1_000_000,
) -> None:
    """Write runnable model code: one PyTorch nn.Module class per network, needing only torch.

    Layer names become attribute names, padding is exactly the padding cnncalc
    computed, and flatten and reshape keep cnncalc's channels-last order.

    Example: `cnncalc export examples.toml --net lenet5 --to pytorch -o lenet5.py`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.interop.torch_export import export_pytorch
    from cnncalc.spec.reader import DEFAULT_MAX_LAYERS

    networks = load_networks(file, net, input_shape, sets, layers, max_layers or DEFAULT_MAX_LAYERS)
    source = "--layers" if layers is not None else os.path.basename(file or "")
    analyses = [analyze(n) for n in networks]
    code = export_pytorch(analyses, source, activation_modules=activation_modules).code
    write_output(code, output)
    if output is None:
        return
    names = ", ".join(n.name for n in networks)
    print(f"wrote {output}: {names}", file=sys.stderr)


def import_(
    target: Annotated[
        str,
        typer.Argument(
            help="The PyTorch module, `FILE.py:ClassName`; built with no arguments.",
            show_default=False,
        ),
    ],
    input_shapes: Annotated[
        list[str],
        typer.Option(
            "--input",
            "-i",
            help="Input shape in cnncalc's order, e.g. `224x224x3` (or `NAME=96x96x3` for "
            "each of several inputs).",
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
) -> None:
    """Write the cnncalc TOML of a PyTorch nn.Module, traced with torch.fx, or torch.export
    where fx cannot follow the code (needs torch).

    Repeated submodules become blocks. An operation without a cnncalc equivalent is named
    in an error with its module; one with no parameters that keeps the shape is left out
    with a warning.

    Example: `cnncalc import model.py:ResNet --input 224x224x3 -o resnet.toml`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.spec.load import load_text
    from cnncalc.spec.shorthand import parse_dims

    shapes: dict[str, list[int]] = {}
    for text in input_shapes:
        name, _, dims = text.rpartition("=")
        sizes = parse_dims(dims)
        if any(not isinstance(s, int) for s in sizes):
            raise CnnCalcError(
                f"cannot read '{dims}'; expected sizes like 224x224x3", key="--input"
            )
        shapes[name or "input"] = [int(s) for s in sizes]
    try:
        import torch  # noqa: F401
    except ImportError:
        raise CnnCalcError("cnncalc import needs PyTorch: pip install torch") from None
    from cnncalc.interop.torch_import import import_torch

    imported = import_torch(target, shapes)
    text = imported.toml()
    for network in load_text(text, output or "<import>"):
        analyze(network)  # what cnncalc writes, cnncalc reads
    for warning in imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    write_output(text, output)
    if output is not None:
        print(f"wrote {output}: {imported.name}", file=sys.stderr)
