"""The networks a command works on: FILE or --layers, then --net, --input and --set."""

import sys
from collections.abc import Sequence

from cnncalc.errors import CnnCalcError
from cnncalc.spec.network import Network


def load_networks(
    file: str | None,
    net: str | None,
    input_shape: str | None,
    sets: Sequence[str] | None,
    layers: str | None,
    max_layers: int,
) -> list[Network]:
    """The networks a command works on, after --net, --input, --layers and --set."""
    from cnncalc.spec.load import inline_network, load
    from cnncalc.spec.reader import unknown_network

    if layers is not None:
        if file is not None:
            raise CnnCalcError("give either FILE or --layers, not both", key="--layers")
        networks = [inline_network(layers, input_shape)]
    elif file is None:
        raise CnnCalcError("missing FILE; expected an architecture file, `-`, or --layers")
    else:
        networks = load(file, max_layers, only=net)
    if net is not None:
        chosen = [n for n in networks if n.name == net]
        if not chosen:
            names = [n.name for n in networks]
            raise unknown_network(net, names, networks[0].file)
        networks = chosen
    if input_shape is not None and layers is None:
        networks = apply_input(networks, input_shape)
    if sets:
        from cnncalc.spec.symbols import substitute_inputs

        for n in networks:
            substitute_inputs(n, sets)
    return networks


def apply_input(networks: list[Network], text: str) -> list[Network]:
    """``--input`` on every network it fits; the others are left out, and named on stderr.

    With one network, a misfit is an error. With several (a file without --net), a
    network that has no such input, another rank, or no valid shapes at that size is left
    out with a warning, and only when none fits is it an error.
    """
    from cnncalc.engine.walk import analyze
    from cnncalc.spec.reader import Reader
    from cnncalc.spec.shorthand import parse_dims

    name, _, dims = text.rpartition("=")
    reader = Reader.from_doc("--input", {})  # errors name the option, with no line
    rank = len(reader.read_shape(parse_dims(dims), (), networks[0].name, "--input"))
    file = networks[0].file
    if len(networks) == 1:  # (another rank is for the layers to refuse, naming the layer)
        problem = misfit(networks[0], name, None)
        if problem is not None:
            raise CnnCalcError(problem, file=file, network=networks[0].name, key="--input")
        override_input(networks[0], text)
        return networks
    kept: list[Network] = []
    skipped: dict[str, list[str]] = {}  # why → the networks left out for it
    for n in networks:
        problem = misfit(n, name, rank, short=True)
        if problem is None:
            saved = dict(n.inputs)
            override_input(n, text)
            try:
                analyze(n)
                kept.append(n)
                continue
            except CnnCalcError as error:
                n.inputs.clear()
                n.inputs.update(saved)
                first = error.message.split(":")[0].split(";")[0]
                problem = f"{error.location.layer}: {first}"
        skipped.setdefault(problem, []).append(n.name)
    if not skipped:
        return kept
    why = "; ".join(f"{', '.join(names)} ({problem})" for problem, names in skipped.items())
    if not kept:
        raise CnnCalcError(f"{text} fits none of the networks: {why}", file=file, key="--input")
    print(f"{file}: --input: warning: {text} does not fit, left out: {why}", file=sys.stderr)
    return kept


def misfit(net: Network, name: str, rank: int | None, short: bool = False) -> str | None:
    """Why ``--input [NAME=]SIZES`` does not fit ``net``, or None when it does."""
    if not name and len(net.inputs) != 1:
        if short:
            return "several inputs: give --input NAME=SIZES"
        return (
            "the network has several inputs; expected --input NAME=SIZES with NAME one of "
            + ", ".join(net.inputs)
        )
    if name and name not in net.inputs:
        if short:
            return f"no input '{name}'"
        return f"the network has no input '{name}'; its inputs are " + ", ".join(net.inputs)
    shape = net.inputs[name or next(iter(net.inputs))]
    if rank is not None and len(shape) != rank:
        sizes = f"{len(shape)} size{'' if len(shape) == 1 else 's'}"
        return f"an input of {sizes}"
    return None


def override_input(net: Network, text: str) -> None:
    from cnncalc.engine.walk import replace_input
    from cnncalc.spec.reader import Reader
    from cnncalc.spec.shorthand import parse_dims

    name, _, dims = text.rpartition("=")
    if not name:
        if len(net.inputs) != 1:
            raise CnnCalcError(
                "the network has several inputs; expected --input NAME=SIZES with NAME one of "
                + ", ".join(net.inputs),
                network=net.name,
                key="--input",
            )
        name = next(iter(net.inputs))
    reader = Reader.from_doc("--input", {})  # errors name the option, with no line
    shape = reader.read_shape(parse_dims(dims), (), net.name, "--input")
    replace_input(net, {name: shape})
