"""PyTorch code for the kinds of today's CNNs: normalisation, layer scale, resampling and
channel surgery. One function per kind, called by ``Writer.layer`` with the writer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnncalc.engine.walk import LayerResult

if TYPE_CHECKING:
    from cnncalc.interop.torch_layers import Writer


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
        w.finish(r, f"{call}({x[0]}.movedim(1, -1)).movedim(-1, 1)")


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
    layer: Any = r.node.layer
    if w.linear:
        w.finish(r, x[0])
        return
    c = w.num(r.shape[-1], "features", w.channels.get(r.inputs[0]))
    args = f"{c}, {len(r.shape) - 1}" + (", bias=True" if layer.bias else "")
    w.finish(r, f"{w.module(r, f'LayerScale({args})')}({x[0]})")


KINDS = {
    "layernorm": layernorm,
    "groupnorm": groupnorm,
    "instancenorm": instancenorm,
    "scale": scale,
}

# Modules the generated file defines when a network needs them, by class name.
HELPERS = {
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
}
