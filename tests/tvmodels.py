"""torchvision's model code, for the tests that compare examples with torchvision's models.

torchvision 0.28.0, the release for torch 2.13, is on PyPI only as a CUDA build whose
compiled operators do not load against the CPU torch; its models are plain Python, and
``conftest.skip_torchvision_operators`` lets the package import without the operators.
Install it without its pinned torch:

    pip install --no-deps torchvision==0.28.0

(``.ci/run`` does). Without it the tests that call :func:`load` are skipped.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from conftest import skip_torchvision_operators

INSTALL = "pip install --no-deps torchvision==0.28.0"


def load() -> Any:
    """``torchvision.models``, or skip the calling test saying how to install torchvision."""
    pytest.importorskip("torch")
    if importlib.util.find_spec("torchvision") is None:
        pytest.skip(f"torchvision is not installed ({INSTALL})")
    skip_torchvision_operators()
    import torchvision.models

    return torchvision.models
