"""cnncalc: shapes, parameters, receptive fields and MACs of convolutional networks."""

from cnncalc.engine.walk import Analysis, LayerResult, Totals, analyze
from cnncalc.errors import CnnCalcError, Diagnostic
from cnncalc.spec.load import load, load_dict, load_text
from cnncalc.spec.network import Network, Node

__version__ = "0.1.0"
__all__ = [
    "Analysis",
    "CnnCalcError",
    "Diagnostic",
    "LayerResult",
    "Network",
    "Node",
    "Totals",
    "analyze",
    "load",
    "load_dict",
    "load_text",
]
