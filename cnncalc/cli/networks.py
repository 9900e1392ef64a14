"""The networks a command works on: FILE or --layers, then --net, --input and --set."""

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
        for n in networks:
            override_input(n, input_shape)
    if sets:
        from cnncalc.spec.symbols import substitute_inputs

        for n in networks:
            substitute_inputs(n, sets)
    return networks


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
