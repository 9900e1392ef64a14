"""torchvision's model definitions without its compiled operators.

torchvision 0.28.0, the release for torch 2.13, is published as a CUDA build whose
compiled operators do not load against the CPU torch; the model code is plain Python.
Installed with ``pip install --no-deps torchvision==0.28.0``, its models load once the
package's ``__init__`` (which registers those operators) is skipped.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any


def torchvision_models() -> Any:
    """``torchvision.models``, or None when torchvision is not installed."""
    loaded = sys.modules.get("torchvision.models")
    if loaded is not None:
        return loaded
    if "torchvision" in sys.modules and sys.modules["torchvision"] is None:
        del sys.modules["torchvision"]  # left blocked by a test that hid it
    try:
        spec = importlib.util.find_spec("torchvision")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.submodule_search_locations is None:
        return None
    package = types.ModuleType("torchvision")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    sys.modules["torchvision"] = package
    try:
        import torchvision.models
        import torchvision.models.segmentation  # noqa: F401
    except Exception:  # a torchvision whose model code does not import either
        del sys.modules["torchvision"]
        return None
    return torchvision.models
