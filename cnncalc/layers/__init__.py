"""The layer kinds: one frozen dataclass per kind, registered by its type name.

Importing this package imports every family module, so the registry that
`lookup` reads is complete. Adding a kind is one class in its family's module.
"""

from cnncalc.layers.activation import Elementwise, PReLU
from cnncalc.layers.attention import Attention, PatchMerging
from cnncalc.layers.base import (
    ACTIVATION_ALIASES,
    ACTIVATIONS,
    AXIS_NAMES,
    AXIS_UNITS,
    FUSED_PARAMS,
    REGISTRY,
    Effect,
    Field,
    Layer,
    Shape,
    WindowAxis,
    Windowed,
    fmt_axes,
    fmt_shape,
    lookup,
)
from cnncalc.layers.channels import (
    ChannelShuffle,
    Crop,
    DropPath,
    Identity,
    Pad,
    PixelShuffle,
    PixelUnshuffle,
    Slice,
)
from cnncalc.layers.conv import Conv, ConvTranspose
from cnncalc.layers.dense import Dense
from cnncalc.layers.merge import Add, Concat, Merge, MismatchError, Multiply
from cnncalc.layers.norm import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, Scale
from cnncalc.layers.pool import AdaptivePool, GlobalPool, Pool
from cnncalc.layers.resample import Upsample
from cnncalc.layers.shape import Flatten, Reshape
from cnncalc.layers.tokens import Grid, Param, Tokens

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
    "Shape",
    "Upsample",
    "WindowAxis",
    "Windowed",
    "fmt_axes",
    "fmt_shape",
    "lookup",
]
