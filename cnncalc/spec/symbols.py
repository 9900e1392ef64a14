"""Symbolic sizes: names in ``input`` become positive-integer symbols (cnncalc.symbolic.formula)."""

from __future__ import annotations

import re
from typing import Any

from cnncalc.errors import CnnCalcError
from cnncalc.layers.values import MAX_INT

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_DIGITS = re.compile(r"[0-9]{1,40}")
RESERVED = frozenset({"floor", "ceiling", "Min", "Max", "Mod"})  # functions in formula text


def symbol(name: str) -> Any:
    """A positive integer symbol; only plain identifiers, never parsed as an expression."""
    if not _IDENTIFIER.fullmatch(name):
        raise CnnCalcError(
            f"'{name}' is not a valid size symbol; expected a number or a name such as \"H\" "
            "(letters, digits and _, starting with a letter, at most 32 characters)"
        )
    if name in RESERVED:
        raise CnnCalcError(
            f"'{name}' is the name of a function in formulas; expected another symbol name"
        )
    # Formulas take their order from bounds and their text from text (which bounds imports):
    # loading them here, where symbols are made, gives every formula both.
    import cnncalc.symbolic.bounds  # noqa: F401
    from cnncalc.symbolic.formula import Formula

    return Formula.symbol(name)


def substitute_inputs(net: Any, assignments: Any) -> None:
    """``--set H=224``: give symbols in the network's input a value, then compute exactly."""
    values: dict[str, int] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if (
            not sep
            or not _IDENTIFIER.fullmatch(name)
            or not _DIGITS.fullmatch(value)
            or not 1 <= int(value) <= MAX_INT
        ):
            raise CnnCalcError(
                f"cannot read '{item}'; expected SYMBOL=VALUE with a positive "
                "integer value up to 2**64, e.g. H=224",
                key="--set",
            )
        values[name] = int(value)
    used = {str(s) for shape in net.inputs.values() for s in shape if not isinstance(s, int)}
    for name in values:
        if name not in used:
            known = ", ".join(sorted(used)) or "none"
            raise CnnCalcError(
                f"the network has no size symbol '{name}'; its symbols: {known}",
                network=net.name,
                key="--set",
            )
    for key, shape in net.inputs.items():
        net.inputs[key] = tuple(s if isinstance(s, int) else values.get(str(s), s) for s in shape)
