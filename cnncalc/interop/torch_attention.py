"""PyTorch code for the transformer kinds: tokens, grid, param, attention and patch_merging,
and slices along an axis. One function per kind, called by ``Writer.layer``.

Attention and patch merging are modules the generated file defines (``HELPERS``), written
for any number of spatial axes; their linearised copies (``linear=True``) let each output
sum exactly the inputs it may attend to, so autograd measures the same fields as the real
layer reads. Each carries ``cnncalc_keys``, by which the import maps it back whole.
"""

from __future__ import annotations

from typing import Any

from cnncalc.engine.walk import LayerResult
from cnncalc.layers.base import per_axis

Writer = Any  # torch_layers.Writer


def tokens(w: Writer, r: LayerResult, x: list[str]) -> None:
    """(N, C, *spatial) → (N, C, L), row-major as cnncalc orders the tokens."""
    w.finish(r, f"{x[0]}.flatten(2)")


def grid(w: Writer, r: LayerResult, x: list[str]) -> None:
    size = w.num(tuple(r.shape[:-1]), "size", w.key(r, "size"))
    w.finish(r, f"{x[0]}.unflatten(2, {size})")


def torch_dim(shape: Any, axis: int) -> int:
    """cnncalc's axis (spatial first, channels last) as torch's (N, C, spatial…) axis."""
    a = axis % len(shape)
    return 1 if a == len(shape) - 1 else 2 + a


def slice_(w: Writer, r: LayerResult, x: list[str]) -> None:
    layer: Any = r.node.layer
    dim = torch_dim(r.input_shapes[0], layer.axis)
    if w.linear and dim == 1:  # one channel stands for all
        w.finish(r, x[0])
        return
    index = ", ".join([":"] * dim + [f"{layer.start}:{layer.end}"])
    w.finish(r, f"{x[0]}[{index}]")


def param(w: Writer, r: LayerResult, x: list[str]) -> None:
    """A ``Param`` module; the linearised copy keeps the field: nothing, or zeros before."""
    layer: Any = r.node.layer
    shape = r.input_shapes[0]
    p = tuple(layer.shape)
    if layer.mode == "concat":
        if w.linear:
            rest = "".join(f", {s}" for s in shape[1:-1])
            zeros = f"{x[0]}.new_zeros({x[0]}.shape[0], 1, {p[0]}{rest})"
            w.finish(r, f"torch.cat([{zeros}, {x[0]}], dim=2)")
            return
        torch_shape: tuple[Any, ...] = (1, p[-1], *p[:-1])
    else:
        if w.linear:
            w.finish(r, x[0])
            return
        n = len(shape) - 1
        spatial = p[:-1]
        torch_shape = (p[-1], *([1] * (n - len(spatial))), *spatial) if n else (p[-1],)
    mode = ", concat=True" if layer.mode == "concat" else ""
    size = w.num(torch_shape, "shape")
    w.finish(r, f"{w.module(r, f'Param({size}{mode})')}({x[0]})")


def attention(w: Writer, r: LayerResult, x: list[str]) -> None:
    layer: Any = r.node.layer
    n = len(r.input_shapes[0]) - 1
    if w.linear:
        args = "1, 1"
    else:
        c = w.num(r.input_shapes[0][-1], "in_channels", w.channels.get(r.inputs[0]))
        args = f"{c}, {w.num(layer.heads, 'heads', w.key(r, 'heads'))}"
        if layer.dim is not None:
            args += f", dim={w.num(layer.dim, 'dim', w.key(r, 'dim'))}"
        if layer.kv is not None:
            kv = w.num(r.input_shapes[1][-1], "kv_channels", w.channels.get(r.inputs[1]))
            args += f", kv_channels={kv}"
        args += "" if layer.qkv_bias else ", qkv_bias=False"
        args += "" if layer.proj_bias else ", proj_bias=False"
    if layer.window is not None:
        window = tuple(per_axis("window", layer.window, n))  # one per axis: the table's
        args += f", window={w.num(window, 'window')}"  # a tuple, whatever the block wrote
        if layer.shift and any(layer.shift):
            shift = tuple(per_axis("shift", layer.shift, n))
            args += f", shift={w.num(shift, 'shift')}"
        if layer.partition != "block":
            args += f", partition={layer.partition!r}"
    if not w.linear and layer.table():
        args += ", relative_bias=True"
    if w.linear:
        args += ", linear=True"
    call = w.module(r, f"Attention({args})")
    w.finish(r, f"{call}({', '.join(x)})")


def patch_merging(w: Writer, r: LayerResult, x: list[str]) -> None:
    n = len(r.shape) - 1
    if w.linear:
        call = w.module(r, f"PatchMerging(1, 1, {n}, linear=True)")
    else:
        c = w.num(r.input_shapes[0][-1], "in_channels", w.channels.get(r.inputs[0]))
        k = w.num(r.shape[-1], "filters", w.key(r, "filters"))
        call = w.module(r, f"PatchMerging({c}, {k}, {n})")
    w.finish(r, f"{call}({x[0]})")


KINDS = {
    "tokens": tokens,
    "grid": grid,
    "param": param,
    "attention": attention,
    "patch_merging": patch_merging,
}

HELPERS = {
    "Param": '''
class Param(nn.Module):
    """A learned tensor added to the input (ViT's position embedding), or put before its
    first spatial axis (ViT's class token, with concat=True)."""

    def __init__(self, shape: tuple[int, ...], concat: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(shape))
        self.concat = concat
        self.cnncalc_keys = {"mode": "concat"} if concat else {}

    def forward(self, x: Tensor) -> Tensor:
        if self.concat:
            first = self.weight.expand(x.shape[0], *([-1] * (x.dim() - 1)))
            return torch.cat([first, x], dim=2)
        return x + self.weight
''',
    "Attention": '''
class Attention(nn.Module):
    """Multi-head attention over the positions of (N, C, *spatial): all of them (and those
    of kv, for cross-attention), or windows of them: blocks, shifted as Swin shifts them
    (padded at the end to whole windows, rolled back by shift, the wrapped part masked), or
    a grid (MaxViT), with a learned relative position bias per head. With linear=True each
    output sums the inputs it may attend to: the copy receptive fields are measured on."""

    def __init__(
        self,
        channels: int,
        heads: int,
        dim: int | None = None,
        kv_channels: int | None = None,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        window: tuple[int, ...] | None = None,
        shift: tuple[int, ...] | None = None,
        partition: str = "block",
        relative_bias: bool = False,
        linear: bool = False,
    ) -> None:
        super().__init__()
        dim = dim or channels
        self.heads, self.window, self.shift = heads, window, shift
        self.partition, self.linear = partition, linear
        keys = {"heads": heads, "dim": dim if dim != channels else None}
        keys |= {"qkv_bias": None if qkv_bias else False}
        keys |= {"proj_bias": None if proj_bias else False}
        keys |= {"window": window, "shift": shift or None}
        keys |= {"partition": partition if partition != "block" else None}
        keys |= {"relative_bias": relative_bias if relative_bias != (window is not None) else None}
        self.cnncalc_keys = {k: v for k, v in keys.items() if v is not None}
        self.table = None
        if linear:
            return
        self.q = nn.Linear(channels, dim, bias=qkv_bias)
        self.k = nn.Linear(kv_channels or channels, dim, bias=qkv_bias)
        self.v = nn.Linear(kv_channels or channels, dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        if relative_bias:
            entries = 1
            for w in window or ():
                entries *= 2 * w - 1
            self.table = nn.Parameter(torch.zeros(entries, heads))

    def forward(self, x: Tensor, kv: Tensor | None = None) -> Tensor:
        n, sizes = x.shape[0], list(x.shape[2:])
        if self.window is None:
            q = x.flatten(2).transpose(1, 2)
            k = q if kv is None else kv.flatten(2).transpose(1, 2)
            out = self.attend(q, k, None, None)
            return out.transpose(1, 2).reshape(n, -1, *sizes)
        d, window = len(sizes), self.window
        padded = [-(-s // w) * w for s, w in zip(sizes, window)]
        shift = [0 if p <= w else s for p, w, s in zip(padded, window, self.shift or [0] * d)]
        x = F.pad(x, [v for s, p in zip(sizes[::-1], padded[::-1]) for v in (0, p - s)])
        axes = list(range(2, 2 + d))
        if any(shift):
            x = torch.roll(x, [-s for s in shift], axes)
        mask = None
        if any(shift):  # a shifted window's wrapped part may not attend across the wrap
            label = torch.zeros(padded, dtype=x.dtype)
            for a, (p, w, s) in enumerate(zip(padded, window, shift)):
                pos = torch.arange(p)
                part = (pos >= p - w).to(x.dtype) + (pos >= p - s).to(x.dtype)
                label = label + (3.0**a) * part.reshape([-1 if b == a else 1 for b in range(d)])
            groups = self.split(label[None, None], padded, window)[..., 0]
            mask = groups[:, :, None] != groups[:, None, :]
        bias = None
        if self.table is not None:
            bias = self.table[self.index(window)].permute(2, 0, 1)
        out = self.attend(*[self.split(x, padded, window)] * 2, bias, mask)
        out = self.merge(out, n, padded, window)
        if any(shift):
            out = torch.roll(out, shift, axes)
        return out[(slice(None), slice(None), *[slice(0, s) for s in sizes])]

    def order(self, padded: list[int], window: tuple[int, ...]) -> tuple[list[int], list[int]]:
        """(N, C, *padded) split per axis into (group, position in window) for blocks,
        (position, group) for a grid; and the axes in (N, groups…, positions…, C) order."""
        split, groups, places = [], [], []
        for a, (p, w) in enumerate(zip(padded, window)):
            block = self.partition == "block"
            split += [p // w, w] if block else [w, p // w]
            groups.append(2 + 2 * a + (0 if block else 1))
            places.append(2 + 2 * a + (1 if block else 0))
        return split, [0, *groups, *places, 1]

    def split(self, x: Tensor, padded: list[int], window: tuple[int, ...]) -> Tensor:
        """(N, C, *padded) → (N * groups, positions per window, C)."""
        split, perm = self.order(padded, window)
        positions = 1
        for w in window:
            positions *= w
        parts = x.reshape(x.shape[0], x.shape[1], *split).permute(perm)
        return parts.reshape(-1, positions, x.shape[1])

    def merge(self, out: Tensor, n: int, padded: list[int], window: tuple[int, ...]) -> Tensor:
        """The inverse of split: (N * groups, positions, C) → (N, C, *padded)."""
        split, perm = self.order(padded, window)
        shape = [n, out.shape[-1], *split]
        out = out.reshape([shape[p] for p in perm])
        inverse = [perm.index(i) for i in range(len(perm))]
        return out.permute(inverse).reshape(n, -1, *padded)

    def index(self, window: tuple[int, ...]) -> Tensor:
        """Each pair of positions in a window → its row of the bias table."""
        axes = torch.meshgrid(*[torch.arange(w) for w in window], indexing="ij")
        coords = torch.stack(axes).flatten(1)
        offset = coords[:, :, None] - coords[:, None, :]
        index = torch.zeros(offset.shape[1:], dtype=torch.long)
        for a, w in enumerate(window):
            index = index * (2 * w - 1) + offset[a] + w - 1
        return index

    def attend(
        self, q_in: Tensor, kv_in: Tensor, bias: Tensor | None, mask: Tensor | None
    ) -> Tensor:
        b, length, keys = q_in.shape[0], q_in.shape[1], kv_in.shape[1]
        if mask is not None:
            mask = mask.repeat(b // mask.shape[0], 1, 1)
        if self.linear:
            a = torch.ones(b, length, keys, dtype=q_in.dtype)
            if mask is not None:
                a = a.masked_fill(mask, 0.0)
            return a @ kv_in + (q_in if kv_in is not q_in else 0)
        h = self.heads
        q = self.q(q_in).reshape(b, length, h, -1).transpose(1, 2)
        k = self.k(kv_in).reshape(b, keys, h, -1).transpose(1, 2)
        v = self.v(kv_in).reshape(b, keys, h, -1).transpose(1, 2)
        a = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
        if bias is not None:
            a = a + bias
        if mask is not None:
            a = a.masked_fill(mask[:, None], float("-inf"))
        out = (a.softmax(-1) @ v).transpose(1, 2).reshape(b, length, -1)
        return self.proj(out)
''',
    "PatchMerging": '''
class PatchMerging(nn.Module):
    """Swin's down-sampling on (N, C, *spatial): each 2 x 2 block's channels side by side
    (odd sizes padded at the end), a layer norm over them and a linear map without bias.
    With linear=True each output sums its block: the copy fields are measured on."""

    def __init__(self, channels: int, filters: int, dims: int, linear: bool = False) -> None:
        super().__init__()
        merged = channels * 2**dims
        self.dims, self.linear = dims, linear
        self.cnncalc_keys = {} if filters == 2 * channels else {"filters": filters}
        if not linear:
            self.norm = nn.LayerNorm(merged)
            self.reduction = nn.Linear(merged, filters, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        x = F.pad(x, [v for s in x.shape[2:][::-1] for v in (0, s % 2)])
        if self.linear:
            return (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[self.dims - 1](x, 2)
        corners = [[(k >> a) & 1 for a in range(self.dims)] for k in range(2**self.dims)]
        parts = [x[(slice(None), slice(None), *[slice(c, None, 2) for c in at])] for at in corners]
        x = torch.cat(parts, 1).movedim(1, -1)
        return self.reduction(self.norm(x)).movedim(-1, 1)
''',
}
