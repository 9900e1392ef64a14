"""The Keras layer table: one function per layer class, from its config to cnncalc layers.

Each returns ``(keys, suffix)`` pairs: most layers are one cnncalc layer named as the
Keras layer; a SeparableConv2D is a depthwise then a pointwise conv, and a global
pooling without ``keepdims`` a global_pool then a flatten. The last carries the Keras
name, so its output is the Keras layer's output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cnncalc.interop.imported import Refused, SameAtEnd, need, need_fc_on_positions

Made = list[tuple[dict[str, Any], str]]
LAYERS: dict[str, Callable[[Call], Made]] = {}
ACTIVATIONS = {
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",
    "leaky_relu": "leaky_relu",
    "silu": "silu",
    "swish": "silu",
    "hard_sigmoid": "hardsigmoid",
    "hard_silu": "hardswish",
    "hard_swish": "hardswish",
    "relu6": "relu6",
    "mish": "mish",
    "softplus": "softplus",
}


@dataclass
class Call:
    """One call of a layer: its config, its input refs and the inputs' Keras shapes."""

    kind: str  # the Keras class
    cfg: dict[str, Any]
    ins: list[str]
    shapes: list[Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.cfg.get(key, default)

    def rank(self) -> int:
        """Spatial axes of the first input (from its Keras shape: batch, …, channels)."""
        shape = self.shapes[0] if self.shapes else None
        if not isinstance(shape, list):
            raise Refused("the config gives no input shape (save the model with Keras 3)")
        return len(shape) - 2

    def channels(self) -> int:
        shape = self.shapes[0] if self.shapes else None
        if not isinstance(shape, list) or not isinstance(shape[-1], int):
            raise Refused("the config gives no input channel count (save it with Keras 3)")
        return int(shape[-1])


def layer(*names: str) -> Callable[[Callable[[Call], Made]], Callable[[Call], Made]]:
    def put(fn: Callable[[Call], Made]) -> Callable[[Call], Made]:
        for name in names:
            LAYERS[name] = fn
        return fn

    return put


def tup(v: Any, n: int) -> list[int]:
    if isinstance(v, list | tuple):
        return [int(x) for x in v]
    return [int(v)] * n


def one(v: list[Any]) -> Any:
    return v[0] if len(set(map(str, v))) == 1 else list(v)


def activation(name: Any) -> str | None:
    if name in (None, "linear"):
        return None
    if isinstance(name, dict):  # a serialised activation function
        name = (name.get("config") or {}).get("name") or name.get("class_name")
    kind = ACTIVATIONS.get(str(name))
    if kind is None:
        raise Refused(f"activation '{name}' has no cnncalc layer")
    need(kind)
    return kind


def fused(keys: dict[str, Any], call: Call) -> dict[str, Any]:
    kind = activation(call.get("activation"))
    if kind is not None:
        keys["activation"] = kind
    return keys


def channels_last(call: Call) -> None:
    if call.get("data_format", "channels_last") != "channels_last":
        raise Refused("data_format channels_first (cnncalc's shapes are channels-last)")


def window(keys: dict[str, Any], call: Call, n: int, kernel: list[int], stride: list[int]) -> None:
    dilation = tup(call.get("dilation_rate", 1), n)
    if any(s != 1 for s in stride):
        keys["stride"] = one(stride)
    if any(d != 1 for d in dilation):
        keys["dilation"] = one(dilation)
    padding = str(call.get("padding", "valid")).lower()
    if padding == "same":  # Keras puts the odd pixel at the end
        keys["padding"] = SameAtEnd(tuple(kernel), tuple(stride), tuple(dilation))
    elif padding == "causal":
        keys["padding"] = [[dilation[0] * (kernel[0] - 1), 0]]
    elif padding != "valid":
        raise Refused(f"padding '{padding}'")


@layer("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D")
def conv(call: Call) -> Made:
    channels_last(call)
    n = call.rank()
    kernel = tup(call.get("kernel_size"), n)
    stride = tup(call.get("strides", 1), n)
    depthwise = "Depthwise" in call.kind or "Separable" in call.kind
    keys: dict[str, Any] = {"type": "conv"}
    if depthwise:
        c = call.channels()
        keys["filters"] = c * int(call.get("depth_multiplier", 1))
    else:
        keys["filters"] = int(call.get("filters"))
    keys["kernel"] = one(kernel)
    window(keys, call, n, kernel, stride)
    groups = call.channels() if depthwise else int(call.get("groups", 1))
    if groups != 1:
        keys["groups"] = groups
    if not call.get("use_bias", True):
        keys["bias"] = False
    if "Separable" in call.kind:  # depthwise, then pointwise: depthwise, then pointwise
        keys["bias"] = False
        point: dict[str, Any] = {"type": "conv", "filters": int(call.get("filters")), "kernel": 1}
        if not call.get("use_bias", True):
            point["bias"] = False
        return [(keys, "_depthwise"), (fused(point, call), "")]
    return [(fused(keys, call), "")]


LAYERS["SeparableConv2D"] = LAYERS["DepthwiseConv3D"] = conv


@layer("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
def conv_transpose(call: Call) -> Made:
    channels_last(call)
    n = call.rank()
    kernel = tup(call.get("kernel_size"), n)
    keys: dict[str, Any] = {"type": "conv_transpose", "filters": int(call.get("filters"))}
    keys["kernel"] = one(kernel)
    stride = tup(call.get("strides", 1), n)
    dilation = tup(call.get("dilation_rate", 1), n)
    if any(s != 1 for s in stride):
        keys["stride"] = one(stride)
    if any(d != 1 for d in dilation):
        keys["dilation"] = one(dilation)
    padding = str(call.get("padding", "valid")).lower()
    if call.get("output_padding") is not None:
        raise Refused("output_padding (cnncalc follows torch's rule for it, not Keras's)")
    if padding == "same":
        keys["padding"] = "same"
    if not call.get("use_bias", True):
        keys["bias"] = False
    return [(fused(keys, call), "")]


@layer("Dense")
def dense(call: Call) -> Made:
    if call.shapes and isinstance(call.shapes[0], list) and len(call.shapes[0]) > 2:
        need_fc_on_positions()
    keys: dict[str, Any] = {"type": "fc", "units": int(call.get("units"))}
    if not call.get("use_bias", True):
        keys["bias"] = False
    return [(fused(keys, call), "")]


@layer("BatchNormalization")
def batchnorm(call: Call) -> Made:
    axis = call.get("axis", -1)
    if axis not in (-1, [-1]) and axis != call.rank() + 1 and axis != [call.rank() + 1]:
        raise Refused(f"normalisation over axis {axis}, not the channels")
    learned = int(bool(call.get("center", True))) + int(bool(call.get("scale", True)))
    if learned == 2:
        return [({"type": "batchnorm"}, "")]
    # the running statistics alone, then the one learned vector (InceptionV3's scale=False)
    need("instancenorm", "track_running_stats")
    stats = {"type": "instancenorm", "track_running_stats": True}
    if learned == 0:
        return [(stats, "")]
    need("scale")
    return [(stats, "_stats"), ({"type": "scale"}, "")]


@layer("LayerNormalization")
def layernorm(call: Call) -> Made:
    need("layernorm")
    axis = call.get("axis", -1)
    if axis not in (-1, [-1]):
        raise Refused(f"layer normalisation over axis {axis}, not the channels")
    if not call.get("center", True) or not call.get("scale", True) or call.get("rms_scaling"):
        raise Refused("center or scale off (cnncalc's layernorm learns both)")
    return [({"type": "layernorm"}, "")]


@layer("GroupNormalization")
def groupnorm(call: Call) -> Made:
    need("groupnorm")
    if not call.get("center", True) or not call.get("scale", True):
        raise Refused("center or scale off (cnncalc's groupnorm learns both)")
    return [({"type": "groupnorm", "groups": int(call.get("groups", 32))}, "")]


@layer("MaxPooling1D", "MaxPooling2D", "MaxPooling3D")
@layer("AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
def pool(call: Call) -> Made:
    channels_last(call)
    n = call.rank()
    kernel = tup(call.get("pool_size"), n)
    stride = tup(call.get("strides") or kernel, n)
    keys: dict[str, Any] = {"type": "maxpool" if "Max" in call.kind else "avgpool"}
    keys["kernel"] = one(kernel)
    window(keys, call, n, kernel, stride)
    keys["stride"] = one(stride)
    return [(keys, "")]


@layer("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D")
@layer("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D")
def global_pool(call: Call) -> Made:
    channels_last(call)
    keys = {"type": "global_pool", "mode": "max" if "Max" in call.kind else "avg"}
    if call.get("keepdims", False):
        return [(keys, "")]
    return [(keys, "_pool"), ({"type": "flatten"}, "")]


@layer("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def zero_padding(call: Call) -> Made:
    n = call.rank()
    padding = call.get("padding", 1)
    if isinstance(padding, int):
        pairs = [[padding, padding]] * n
    else:
        pairs = [tup(p, 2) if isinstance(p, list | tuple) else [int(p)] * 2 for p in padding]
    return [({"type": "pad", "padding": pairs}, "")]  # folded into its reader where it can be


@layer("Cropping1D", "Cropping2D", "Cropping3D")
def cropping(call: Call) -> Made:
    need("crop", "crop")
    n = call.rank()
    c = call.get("cropping", 0)
    pairs = [[c, c]] * n if isinstance(c, int) else [tup(p, 2) for p in c]
    return [({"type": "crop", "crop": pairs}, "")]


@layer("UpSampling1D", "UpSampling2D", "UpSampling3D")
def upsampling(call: Call) -> Made:
    n = call.rank()
    keys: dict[str, Any] = {"type": "upsample", "scale": one(tup(call.get("size", 2), n))}
    mode = str(call.get("interpolation", "nearest"))
    if mode != "nearest":
        need("upsample", "mode")
        keys["mode"] = {"bilinear": "bilinear", "bicubic": "bicubic"}.get(mode, mode)
    return [(keys, "")]


@layer("Add", "Multiply", "Concatenate", "Subtract")
def merge(call: Call) -> Made:
    kind = call.kind
    if kind == "Concatenate":
        rank = len(call.shapes[0]) if call.shapes and isinstance(call.shapes[0], list) else None
        if call.get("axis", -1) not in (-1, (rank or 0) - 1):
            raise Refused("concatenation along an axis other than the channels")
        return [({"type": "concat"}, "")]
    kind = "multiply" if kind == "Multiply" else "add"
    need(kind)
    return [({"type": kind}, "")]


@layer("Flatten")
def flatten(call: Call) -> Made:
    return [({"type": "flatten"}, "")]


@layer("Reshape")
def reshape(call: Call) -> Made:
    return [({"type": "reshape", "shape": [int(d) for d in call.get("target_shape")]}, "")]


@layer("Permute")
def permute(call: Call) -> Made:
    """A reshape to the permuted shape: the same values, counted the same."""
    shape = call.shapes[0] if call.shapes else None
    dims = [int(d) for d in call.get("dims")]
    if not isinstance(shape, list) or any(not isinstance(d, int) for d in shape[1:]):
        raise Refused("Permute of an input whose sizes the config does not give")
    if dims == list(range(1, len(dims) + 1)):
        return []
    return [({"type": "reshape", "shape": [shape[d] for d in dims]}, "")]


@layer("Activation")
def activation_layer(call: Call) -> Made:
    kind = activation(call.get("activation"))
    return [({"type": kind}, "")] if kind else []


@layer("ReLU")
def relu(call: Call) -> Made:
    top, slope = call.get("max_value"), call.get("negative_slope", 0) or 0
    if call.get("threshold", 0):
        raise Refused("a ReLU with a threshold")
    if top is None:
        return [({"type": "leaky_relu" if slope else "relu"}, "")]
    if float(top) == 6.0 and not slope:
        need("relu6")
        return [({"type": "relu6"}, "")]
    raise Refused(f"ReLU with max_value {top} (only 6 is a cnncalc layer, relu6)")


@layer("Softmax", "LeakyReLU", "ELU")
def named_activation(call: Call) -> Made:
    kind = {"Softmax": "softmax", "LeakyReLU": "leaky_relu", "ELU": "elu"}[call.kind]
    return [({"type": kind}, "")]


@layer("PReLU")
def prelu(call: Call) -> Made:
    need("prelu", "per_channel")
    shared = call.get("shared_axes") or []
    rank = call.rank() if call.shapes and isinstance(call.shapes[0], list) else 0
    if sorted(shared) == list(range(1, rank + 1)):
        return [({"type": "prelu", "per_channel": True}, "")]
    raise Refused("PReLU with a slope per position (shared_axes must be the spatial axes)")


@layer("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout")
def dropout(call: Call) -> Made:
    return [({"type": "dropout"}, "")]


@layer("Rescaling", "Identity")
def parameter_free(call: Call) -> Made:
    """No weights, no change of shape: kept as an identity, so the layer keeps its name."""
    return [({"type": "identity"}, "")]


@layer("Normalization")
def normalization(call: Call) -> Made:
    if call.get("mean") is not None and call.get("variance") is not None:
        return parameter_free(call)  # statistics given in the config are constants
    axis = call.get("axis", -1)
    if axis not in (-1, [-1]) and axis != call.rank() + 1 and axis != [call.rank() + 1]:
        raise Refused(f"statistics over axis {axis}, not per channel")
    if call.get("invert"):
        raise Refused("invert = true (it undoes a normalisation), not a cnncalc kind")
    # adapted to data: a mean and a variance per channel and a sample count, non-trainable
    need("standardize", "count")
    return [({"type": "standardize", "count": True}, "")]


@layer("LayerScale")
def layer_scale(call: Call) -> Made:
    need("scale")
    return [({"type": "scale"}, "")]
