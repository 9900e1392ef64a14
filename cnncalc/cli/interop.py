"""The framework commands: export to PyTorch code, import a PyTorch module.

No ``from __future__ import annotations`` here: typer reads every command's annotations
when the program starts, and string annotations cost it several milliseconds to evaluate.
"""

import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from cnncalc.cli.networks import load_networks
from cnncalc.cli.options import (
    MAX_LAYERS,
    FileArg,
    InputOpt,
    LayersOpt,
    MaxLayersOpt,
    NetOpt,
    OutputOpt,
    SetOpt,
)
from cnncalc.cli.output import write_output
from cnncalc.cli.progress import Progress
from cnncalc.errors import CnnCalcError, printable

if TYPE_CHECKING:
    from cnncalc.interop.imported import Imported


class Target(StrEnum):
    pytorch = "pytorch"


def export(
    file: FileArg = None,
    to: Annotated[
        Target,
        typer.Option("--to", "-t", help="Framework to write code for.", case_sensitive=False),
    ] = Target.pytorch,
    output: OutputOpt = None,
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
    max_layers: MaxLayersOpt = MAX_LAYERS,
) -> None:
    """Write runnable model code: one PyTorch nn.Module class per network, needing only torch.

    Layer names become attribute names, padding is exactly the padding cnncalc
    computed, and flatten and reshape keep cnncalc's channels-last order.

    Example: `cnncalc export examples.toml --net lenet5 --to pytorch -o lenet5.py`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.interop.torch_export import export_pytorch

    networks = load_networks(file, net, input_shape, sets, layers, max_layers)
    source = "--layers" if layers is not None else os.path.basename(file or "")
    analyses = [analyze(n) for n in networks]
    code = export_pytorch(analyses, source, activation_modules=activation_modules).code
    write_output(code, output, [file or "-"])
    if output is None:
        return
    names = ", ".join(n.name for n in networks)
    print(printable(f"wrote {output}: {names}"), file=sys.stderr)


def import_(
    target: Annotated[
        str,
        typer.Argument(
            help="The model: an ONNX file (`model.onnx`), a Keras model (`model.keras`, or the "
            "JSON of `model.to_json()`), or a PyTorch module (`FILE.py:ClassName`, built with "
            "no arguments).",
            metavar="MODEL",
            show_default=False,
        ),
    ],
    input_shapes: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            metavar="HxWxC",
            help="Input shape in cnncalc's order, e.g. `224x224x3` (or `NAME=96x96x3` for "
            "each of several inputs). Needed for PyTorch; for ONNX and Keras it replaces "
            "the file's sizes, dynamic ones included.",
        ),
    ] = None,
    output: OutputOpt = None,
    max_layers: MaxLayersOpt = MAX_LAYERS,
) -> None:
    """Write the cnncalc TOML of a model made elsewhere: ONNX, Keras or PyTorch.

    ONNX files are read with the `onnx` package alone (`pip install 'cnncalc[onnx]'`);
    Keras models from their `config.json`, with neither Keras nor TensorFlow; PyTorch
    modules are traced with torch.fx (needs torch, and runs the file); attention
    (`nn.MultiheadAttention`, `F.scaled_dot_product_attention` with its projections,
    torchvision's ViT, Swin and MaxViT blocks) becomes `attention` layers. An operator
    or layer without a cnncalc equivalent is an error that names it.

    Examples: `cnncalc import model.onnx -o model.toml`;
    `cnncalc import model.py:ResNet --input 224x224x3 -o resnet.toml`
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.interop.imported import resolve_same
    from cnncalc.spec.load import load_text
    from cnncalc.spec.reader import DEFAULT_MAX_LAYERS

    shapes = read_shapes(input_shapes or [])
    limit = max_layers or DEFAULT_MAX_LAYERS
    kind = model_kind(target)
    progress = Progress()
    try:
        imported = read_model(target, kind, shapes, limit, progress)
        source = output or "<import>"
        resolve_same(imported, source)
        text = imported.toml()
        progress("checking the result")
        for network in load_text(text, source, max_layers=limit):
            analyze(network)  # what cnncalc writes, cnncalc reads
    finally:
        progress.done()
    for warning in imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    model_file = target.rpartition(":")[0] if kind == "torch" else target
    write_output(text, output, [model_file])
    if output is not None:
        print(printable(f"wrote {output}: {imported.name}"), file=sys.stderr)


def read_model(
    target: str, kind: str, shapes: dict[str, list[int]], limit: int, progress: Progress
) -> "Imported":
    """The imported model, read by the importer of its format (each imports its own needs)."""
    progress(f"reading {target}")
    if kind == "onnx":
        try:
            import onnx  # noqa: F401
        except ImportError:
            raise CnnCalcError(
                "reading ONNX needs the onnx package: pip install 'cnncalc[onnx]'", file=target
            ) from None
        from cnncalc.interop.onnx_import import import_onnx

        return import_onnx(target, shapes, limit)
    if kind == "keras":
        from cnncalc.interop.keras_import import import_keras

        return import_keras(target, shapes, limit)
    if not shapes:
        raise CnnCalcError(
            "a PyTorch module needs its input shape, e.g. --input 224x224x3", key="--input"
        )
    progress("importing torch")
    try:
        import torch  # noqa: F401
    except ImportError:
        raise CnnCalcError("cnncalc import needs PyTorch: pip install torch") from None
    from cnncalc.interop.torch_import import import_torch

    return import_torch(target, shapes, progress)


def read_shapes(texts: list[str]) -> dict[str, list[int]]:
    from cnncalc.spec.shorthand import parse_dims

    shapes: dict[str, list[int]] = {}
    for text in texts:
        name, _, dims = text.rpartition("=")
        sizes = parse_dims(dims)
        if any(not isinstance(s, int) for s in sizes):
            raise CnnCalcError(
                f"cannot read '{dims}'; expected sizes like 224x224x3", key="--input"
            )
        shapes[name or "input"] = [int(s) for s in sizes]
    return shapes


def model_kind(target: str) -> str:
    """ONNX, Keras or PyTorch, from the name and, failing that, the file's first bytes."""
    lower = target.lower()
    if lower.endswith(".onnx"):
        return "onnx"
    if lower.endswith((".keras", ".json")):
        return "keras"
    if ".py:" in lower or lower.endswith(".py") or not os.path.isfile(target):
        return "torch"
    with open(target, "rb") as f:
        head = f.read(64).lstrip()
    return "keras" if head.startswith((b"PK", b"{")) else "onnx"
