"""The network an import builds: layers with the module path each came from, and its TOML.

The TOML is what users read back, so it is written to be read: layer names follow the
module paths, repeated submodules become blocks (``import_blocks``), and a comment says
where the network came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cnncalc.interop import imported
from cnncalc.interop.import_blocks import fold
from cnncalc.interop.import_toml import entries, value


@dataclass
class Imported(imported.Imported):
    """A traced PyTorch network: its layers know their modules, so repeats fold to blocks."""

    def toml(self, blocks: bool = True) -> str:
        """The network as a cnncalc architecture file; ``blocks`` folds repeated submodules."""
        head = [f"# Imported by cnncalc from {self.origin or 'the PyTorch module ' + self.name}."]
        folded = fold(self) if blocks else None
        layers = folded.layers if folded is not None else self.layers
        out = [*head, ""]
        out.append(f"name = {json.dumps(self.name)}")
        if list(self.inputs) == ["input"]:
            out.append(f"input = {value(self.inputs['input'])}")
        else:
            items = ", ".join(f"{imported.bare(k)} = {value(v)}" for k, v in self.inputs.items())
            out.append(f"input = {{ {items} }}")
        outputs = folded.outputs if folded is not None else self.outputs
        last = layers[-1].name if layers else None
        if outputs != [last]:
            out.append(f"outputs = {value(outputs)}")
        out.append("layers = [")
        out += entries(layers, next(iter(self.inputs)) if len(self.inputs) == 1 else None)
        out.append("]")
        if folded is not None:
            out += folded.block_text()
        return "\n".join(out) + "\n"
