"""PyTorch code for the kinds of today's CNNs: normalisation, layer scale, resampling and
channel surgery. One function per kind, called by ``Writer.layer`` with the writer."""

from __future__ import annotations

from typing import Any

from cnncalc.engine.walk import LayerResult
from cnncalc.interop import torch_attention
from cnncalc.interop.torch_shapes import collapse, pad_arg
from cnncalc.layers.base import per_axis

Writer = Any  # torch_layers.Writer, which calls these functions (and imports this module)


def layernorm(w: Writer, r: LayerResult, x: list[str]) -> None:
    """Over the channels: torch normalises the last axes, so channels go last and back."""
    layer: Any = r.node.layer
    if w.linear:
        per_value = layer.over == "channels" or len(r.shape) == 1
        w.finish(r, x[0] if per_value else w.everything(x[0], r.shape))
        return
    affine = "" if layer.affine else ", elementwise_affine=False"
    if layer.over == "all" and len(r.shape) > 1:
        torch_order = (r.shape[-1], *r.shape[:-1])
        dims = w.num(torch_order, "normalized_shape")
        w.finish(r, f"{w.module(r, f'nn.LayerNorm({dims}{affine})')}({x[0]})")
        return
    c = w.num(r.shape[-1], "features", w.channels.get(r.inputs[0]))
    call = w.module(r, f"nn.LayerNorm({c}{affine})")
    if len(r.shape) == 1:
        w.finish(r, f"{call}({x[0]})")
    else:
        w.finish(r, f"{call}({x[0]}.movedim(1, -1)).movedim(-1, 1).contiguous()")


def groupnorm(w: Writer, r: LayerResult, x: list[str]) -> None:
    layer: Any = r.node.layer
    if w.linear:
        w.finish(r, x[0] if len(r.shape) == 1 else w.everything(x[0], r.shape))
        return
    g = w.num(layer.groups, "groups", w.key(r, "groups"))
    c = w.num(r.shape[-1], "features", w.channels.get(r.inputs[0]))
    affine = "" if layer.affine else ", affine=False"
    w.finish(r, f"{w.module(r, f'nn.GroupNorm({g}, {c}{affine})')}({x[0]})")


def instancenorm(w: Writer, r: LayerResult, x: list[str]) -> None:
    layer: Any = r.node.layer
    if w.linear:
        kept = layer.track_running_stats
        w.finish(r, x[0] if kept else w.everything(x[0], r.shape))
        return
    n = len(r.shape) - 1
    c = w.num(r.shape[-1], "features", w.channels.get(r.inputs[0]))
    args = (", affine=True" if layer.affine else "") + (
        ", track_running_stats=True" if layer.track_running_stats else ""
    )
    w.finish(r, f"{w.module(r, f'nn.InstanceNorm{n}d({c}{args})')}({x[0]})")


def scale(w: Writer, r: LayerResult, x: list[str]) -> None:
    per_channel(w, r, x, "LayerScale", "bias")


def standardize(w: Writer, r: LayerResult, x: list[str]) -> None:
    per_channel(w, r, x, "Standardize", "count")


def per_channel(w: Writer, r: LayerResult, x: list[str], helper: str, flag: str) -> None:
    """A helper module of one value per channel (its channels and spatial rank, and its
    flag when the layer sets it); the linearised copy leaves the values as they are."""
    if w.linear:
        w.finish(r, x[0])
        return
    c = w.num(r.shape[-1], "features", w.channels.get(r.inputs[0]))
    args = f"{c}, {len(r.shape) - 1}" + (f", {flag}=True" if getattr(r.node.layer, flag) else "")
    w.finish(r, f"{w.module(r, f'{helper}({args})')}({x[0]})")


def adaptive_pool(w: Writer, r: LayerResult, x: list[str]) -> None:
    layer: Any = r.node.layer
    n = len(r.shape) - 1
    cls = "AdaptiveMaxPool" if layer.mode == "max" and not w.linear else "AdaptiveAvgPool"
    out = w.num(collapse(list(r.shape[:-1])), "output", w.key(r, "output"))
    w.finish(r, f"{w.module(r, f'nn.{cls}{n}d({out})')}({x[0]})")


def identity(w: Writer, r: LayerResult, x: list[str]) -> None:
    w.finish(r, x[0])


def channel_shuffle(w: Writer, r: LayerResult, x: list[str]) -> None:
    layer: Any = r.node.layer
    if w.linear:
        w.finish(r, x[0])
        return
    g = w.num(layer.groups, "groups", w.key(r, "groups"))
    w.finish(r, f"{w.module(r, f'nn.ChannelShuffle({g})')}({x[0]})")


def pixel_shuffle(w: Writer, r: LayerResult, x: list[str]) -> None:
    """torch's modules work on two spatial axes; other ranks reshape and permute alike."""
    layer: Any = r.node.layer
    f, n = layer.factor, len(r.shape) - 1
    shuffle = layer.kind == "pixel_shuffle"
    if w.linear:  # one channel: only where each output reads from matters
        if shuffle:
            expr = x[0]
            for axis in range(2, n + 2):
                expr = f"{expr}.repeat_interleave({f}, dim={axis})"
        else:
            expr = f"F.avg_pool{n}d({x[0]}, {f})"
        w.finish(r, expr)
        return
    if n == 2:
        cls = "PixelShuffle" if shuffle else "PixelUnshuffle"
        w.finish(r, f"{w.module(r, f'nn.{cls}({f})')}({x[0]})")
        return
    c = r.shape[-1] if shuffle else r.input_shapes[0][-1]
    small = (r.input_shapes[0] if shuffle else r.shape)[:-1]
    big = (r.shape if shuffle else r.input_shapes[0])[:-1]
    v = w.var[r.name]
    if shuffle:
        split = ", ".join(map(str, [c, *[f] * n, *small]))
        order = ", ".join(str(d) for i in range(n) for d in (2 + n + i, 2 + i))
        w.emit(f"{v} = {x[0]}.reshape(-1, {split}).permute(0, 1, {order})")
        w.finish(r, f"{v}.reshape(-1, {c}, {', '.join(map(str, big))})")
    else:
        split = ", ".join(str(d) for s in small for d in (s, f))
        order = ", ".join(
            str(d) for d in [*(3 + 2 * i for i in range(n)), *(2 + 2 * i for i in range(n))]
        )
        w.emit(f"{v} = {x[0]}.reshape(-1, {c}, {split}).permute(0, 1, {order})")
        w.finish(r, f"{v}.reshape(-1, {c * f**n}, {', '.join(map(str, small))})")


def pad(w: Writer, r: LayerResult, x: list[str]) -> None:
    layer: Any = r.node.layer
    assert r.effect.padding is not None
    mode = {"zero": "constant", "reflect": "reflect", "replicate": "replicate"}[layer.mode]
    option = "" if w.linear or mode == "constant" else f", mode={mode!r}"
    w.finish(r, f"F.pad({x[0]}, {w.num(pad_arg(r.effect.padding), 'pad')}{option})")


def crop(w: Writer, r: LayerResult, x: list[str]) -> None:
    assert r.effect.padding is not None
    sizes = r.input_shapes[0][:-1]
    cuts = [f"{-c0}:{s + c1}" for s, (c0, c1) in zip(sizes, r.effect.padding, strict=True)]
    w.finish(r, f"{x[0]}[:, :, {', '.join(cuts)}]")


TORCH_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def upsample(w: Writer, r: LayerResult, x: list[str]) -> None:
    """nn.Upsample with the layer's own scale or size: torch maps coordinates by either. To
    the size of another layer, F.interpolate reads that layer's shape (no module can)."""
    layer: Any = r.node.layer
    n = len(r.shape) - 1
    mode = ""
    if layer.mode != "nearest":
        torch_mode = layer.mode if layer.mode == "bicubic" else TORCH_MODES[n]
        mode = f", mode={torch_mode!r}, align_corners={layer.align_corners}"
    if layer.to is not None:
        w.finish(r, f"F.interpolate({x[0]}, size={x[1]}.shape[2:]{mode})")
        return
    if layer.size is not None:
        args = "size=" + w.num(collapse(list(r.shape[:-1])), "size", w.key(r, "size"))
    else:
        factors = per_axis("scale", layer.scale, n)
        scale = collapse([s if isinstance(s, int) else float(s) for s in factors])
        args = "scale_factor=" + w.num(scale, "scale", None)
    w.finish(r, f"{w.module(r, f'nn.Upsample({args}{mode})')}({x[0]})")


KINDS = {
    "upsample": upsample,
    "identity": identity,
    "drop_path": identity,
    "slice": torch_attention.slice_,
    "channel_shuffle": channel_shuffle,
    "pixel_shuffle": pixel_shuffle,
    "pixel_unshuffle": pixel_shuffle,
    "pad": pad,
    "crop": crop,
    "adaptive_pool": adaptive_pool,
    "layernorm": layernorm,
    "groupnorm": groupnorm,
    "instancenorm": instancenorm,
    "scale": scale,
    "standardize": standardize,
    **torch_attention.KINDS,
}

# Modules the generated file defines when a network needs them, by class name.
HELPERS = {
    **torch_attention.HELPERS,
    "LayerScale": '''
class LayerScale(nn.Module):
    """A learned scale per channel (and a shift with bias=True): ConvNeXt's layer scale."""

    def __init__(self, channels: int, dims: int, bias: bool = False) -> None:
        super().__init__()
        shape = (channels,) + (1,) * dims
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        x = x * self.weight
        return x if self.bias is None else x + self.bias
''',
    "Standardize": '''
class Standardize(nn.Module):
    """(x - mean) / sqrt(variance) per channel, with statistics measured beforehand: buffers,
    never trained (Keras's adapted Normalization; count=True keeps its sample count too)."""

    def __init__(self, channels: int, dims: int, count: bool = False) -> None:
        super().__init__()
        shape = (channels,) + (1,) * dims
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("variance", torch.ones(shape))
        self.register_buffer("count", torch.zeros(()) if count else None)

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.variance.sqrt().clamp_min(1e-7)
''',
}
