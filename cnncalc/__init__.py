"""cnncalc: shapes, parameters, receptive fields and MACs of convolutional networks."""

from .engine import Analysis, LayerResult, Totals, analyze
from .errors import CnnCalcError, Diagnostic
from .network import Network, Node
from .spec import load, load_dict, load_text

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
