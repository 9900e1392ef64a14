"""The layer kinds: one frozen dataclass per kind, registered by its type name.

A family module is imported when one of its kinds is first needed: when ``REGISTRY``
(or ``lookup``) is asked for one of its type names, or when one of its classes is read
from this package (``from cnncalc.layers import Conv``). Adding a kind is one class in
its family's module and its type names in ``KIND_MODULES`` (base.py).
"""

from typing import Any

from cnncalc.layers.base import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    AXIS_NAMES,
    AXIS_UNITS,
    FUSED_PARAMS,
    KIND_MODULES,
    REGISTRY,
    Effect,
    Field,
    Layer,
    MismatchError,
    Shape,
    WindowAxis,
    Windowed,
    fmt_axes,
    fmt_shape,
    lookup,
)

# The classes of the kinds, by the family module that defines them.
FAMILIES = {
    "activation": ("Elementwise", "PReLU"),
    "attention": ("Attention", "PatchMerging"),
    "channels": (
        "ChannelShuffle",
        "Crop",
        "DropPath",
        "Identity",
        "Pad",
        "PixelShuffle",
        "PixelUnshuffle",
        "Slice",
    ),
    "conv": ("Conv", "ConvTranspose"),
    "dense": ("Dense",),
    "merge": ("Add", "Concat", "Merge", "Multiply"),
    "norm": ("BatchNorm", "GroupNorm", "InstanceNorm", "LayerNorm", "Scale", "Standardize"),
    "pool": ("AdaptivePool", "GlobalPool", "Pool"),
    "resample": ("Upsample",),
    "shape": ("Flatten", "Reshape"),
    "tokens": ("Grid", "Param", "Tokens"),
}
_FAMILY_OF = {cls: family for family, classes in FAMILIES.items() for cls in classes}


def __getattr__(name: str) -> Any:
    """A kind's class, its family imported now."""
    family = _FAMILY_OF.get(name)
    if family is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"cnncalc.layers.{family}"), name)


__all__ = [
    "Attention",
    "Grid",
    "Param",
    "PatchMerging",
    "Tokens",
    "Slice",
    "PixelUnshuffle",
    "PixelShuffle",
    "Pad",
    "Identity",
    "DropPath",
    "Crop",
    "ChannelShuffle",
    "AdaptivePool",
    "ACTIVATION_ALIASES",
    "ACTIVATIONS",
    "FUSED_PARAMS",
    "AXIS_NAMES",
    "AXIS_UNITS",
    "REGISTRY",
    "KIND_MODULES",
    "Add",
    "BatchNorm",
    "Concat",
    "Conv",
    "ConvTranspose",
    "Dense",
    "Effect",
    "Elementwise",
    "Field",
    "Flatten",
    "GroupNorm",
    "InstanceNorm",
    "GlobalPool",
    "Layer",
    "LayerNorm",
    "Merge",
    "MismatchError",
    "Multiply",
    "PReLU",
    "Pool",
    "Reshape",
    "Scale",
    "Standardize",
    "Shape",
    "Upsample",
    "WindowAxis",
    "Windowed",
    "fmt_axes",
    "fmt_shape",
    "lookup",
]
