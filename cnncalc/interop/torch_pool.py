"""How a pooling layer becomes torch: its own padding, or an F.pad that reads the same windows."""

from __future__ import annotations

from cnncalc.engine.walk import LayerResult
from cnncalc.layers.pool import PoolPlan, torch_plan

__all__ = ["PoolPlan", "pool_plan"]


def pool_plan(r: LayerResult, avg3d: bool = False) -> PoolPlan:
    """The plan of a pooling layer's result (see ``torch_plan``)."""
    w = r.effect.window
    assert w is not None
    return torch_plan(w, bool(getattr(r.node.layer, "ceil", False)), avg3d)
