"""torchvision's model code without its compiled operators, for the tests that need it.

torchvision 0.28.0, the release for torch 2.13, is on PyPI only as a CUDA build: on the
CPU build of torch its ``import`` fails while it registers fake kernels for its C++
operators (``RuntimeError: operator torchvision::nms does not exist``). Its models are
plain Python that never call those operators, so standing empty modules in for the two
registration modules lets the package import. Install it without its pinned torch:

    pip install --no-deps torchvision==0.28.0

(``.ci/run`` does). Without it the tests that call :func:`load` are skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

import pytest

INSTALL = "pip install --no-deps torchvision==0.28.0"
REGISTRATIONS = ("torchvision._meta_registrations", "torchvision._autograd_registrations")


def load() -> Any:
    """``torchvision.models``, or skip the calling test saying how to install torchvision."""
    pytest.importorskip("torch")
    if importlib.util.find_spec("torchvision") is None:
        pytest.skip(f"torchvision is not installed ({INSTALL})")
    for name in REGISTRATIONS:
        sys.modules.setdefault(name, types.ModuleType(name))
    try:
        return importlib.import_module("torchvision.models")
    except RuntimeError:
        # An earlier import without the stand-ins (another package's) failed half-way and
        # left part of the package behind: forget it and import again.
        for name in [m for m in sys.modules if m.split(".")[0] == "torchvision"]:
            if name not in REGISTRATIONS:
                del sys.modules[name]
        return importlib.import_module("torchvision.models")
