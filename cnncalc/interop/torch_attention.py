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
            source = x if kv is None else kv
            if self.linear:  # every query reads every key (and itself)
                reach = source.flatten(2).sum(2, keepdim=True).expand(-1, -1, x[0, 0].numel())
                return (reach + (x.flatten(2) if kv is not None else 0)).reshape(x.shape)
            q = self.project(self.q, x).flatten(2)
            k, v = (self.project(m, source).flatten(2) for m in (self.k, self.v))
            return self.attend(q, k, v, None, None).reshape(n, -1, *sizes)
        d, window = len(sizes), self.window
        padded = [-(-s // w) * w for s, w in zip(sizes, window)]
        shift = [0 if p <= w else s for p, w, s in zip(padded, window, self.shift or [0] * d)]
        if padded != sizes:  # torch pads the input, then projects every position
            x = F.pad(x, [v for s, p in zip(sizes[::-1], padded[::-1]) for v in (0, p - s)])
        axes = list(range(2, 2 + d))
        parts = [x] if self.linear else [self.project(m, x) for m in (self.q, self.k, self.v)]
        if any(shift):
            parts = [torch.roll(t, [-s for s in shift], axes) for t in parts]
        parts = [self.split(t, padded, window) for t in parts]
        mask = None
        if any(shift):  # a shifted window's wrapped part may not attend across the wrap
            label = torch.zeros(padded, dtype=x.dtype)
            for a, (p, w, s) in enumerate(zip(padded, window, shift)):
                pos = torch.arange(p)
                part = (pos >= p - w).to(x.dtype) + (pos >= p - s).to(x.dtype)
                label = label + (3.0**a) * part.reshape([-1 if b == a else 1 for b in range(d)])
            groups = self.split(label[None, None], padded, window)[:, 0]
            mask = groups[:, :, None] != groups[:, None, :]
        if self.linear:  # each position sums the positions of its window it may attend to
            allowed = torch.ones(parts[0].shape[0], parts[0].shape[2], parts[0].shape[2])
            if mask is not None:
                allowed = allowed.masked_fill(mask.repeat(n, 1, 1), 0.0)
            out = torch.bmm(parts[0], allowed.to(x.dtype).transpose(1, 2))
        else:
            bias = None if self.table is None else self.relative(window)
            out = self.attend(*parts, bias, mask)
        out = self.merge(out, n, padded, window)
        if any(shift):
            out = torch.roll(out, shift, axes)
        if padded != sizes:
            out = out[(slice(None), slice(None), *[slice(0, s) for s in sizes])].contiguous()
        return out

    def project(self, linear: nn.Linear, x: Tensor) -> Tensor:
        """(N, C, positions…) → (N, dim, positions…): the linear map at every position, as
        one batched product that keeps x itself for the gradient (not a transposed copy)."""
        out = torch.bmm(linear.weight.expand(x.shape[0], -1, -1), x.flatten(2))
        if linear.bias is not None:
            out = out + linear.bias[:, None]
        return out.reshape(x.shape[0], -1, *x.shape[2:])

    def order(self, padded: list[int], window: tuple[int, ...]) -> tuple[list[int], list[int]]:
        """(N, C, *padded) split per axis into (group, position in window) for blocks,
        (position, group) for a grid; and the axes in (N, groups…, C, positions…) order."""
        split, groups, places = [], [], []
        for a, (p, w) in enumerate(zip(padded, window)):
            block = self.partition == "block"
            split += [p // w, w] if block else [w, p // w]
            groups.append(2 + 2 * a + (0 if block else 1))
            places.append(2 + 2 * a + (1 if block else 0))
        return split, [0, *groups, 1, *places]

    def split(self, x: Tensor, padded: list[int], window: tuple[int, ...]) -> Tensor:
        """(N, C, *padded) → (N * groups, C, positions per window)."""
        split, perm = self.order(padded, window)
        positions = 1
        for w in window:
            positions *= w
        parts = x.reshape(x.shape[0], x.shape[1], *split).permute(perm)
        return parts.reshape(-1, x.shape[1], positions)

    def merge(self, out: Tensor, n: int, padded: list[int], window: tuple[int, ...]) -> Tensor:
        """The inverse of split: (N * groups, C, positions) → (N, C, *padded)."""
        split, perm = self.order(padded, window)
        shape = [n, out.shape[1], *split]
        out = out.reshape([shape[p] for p in perm])
        inverse = [perm.index(i) for i in range(len(perm))]
        return out.permute(inverse).reshape(n, -1, *padded)

    def relative(self, window: tuple[int, ...]) -> Tensor:
        """The bias of each pair of positions in a window, per head: (heads, W, W). The
        table has a row per offset (2w - 1 per axis, row-major); position i reads offset
        i - j + w - 1 from j, windows of the table unfolded (no index tensor to keep)."""
        d = len(window)
        t = self.table.reshape(*[2 * w - 1 for w in window], -1)
        for a, w in enumerate(window):
            t = t.unfold(a, w, 1)
        t = t.flip(list(range(d + 1, 2 * d + 1)))
        t = t.permute(d, *range(d), *range(d + 1, 2 * d + 1))
        positions = 1
        for w in window:
            positions *= w
        return t.reshape(t.shape[0], positions, positions)

    def attend(
        self, q: Tensor, k: Tensor, v: Tensor, bias: Tensor | None, mask: Tensor | None
    ) -> Tensor:
        """(B, dim, queries) and (B, dim, keys) → the projected output (B, dim, queries),
        in batched products of views, so that autograd keeps Q, K, V, the softmax's
        output and the heads' output, and nothing else."""
        b, dim, length = q.shape
        keys, h = k.shape[2], self.heads
        d = dim // h
        a = torch.bmm(q.reshape(b * h, d, length).transpose(1, 2), k.reshape(b * h, d, keys))
        a = (a * d**-0.5).reshape(b, h, length, keys)
        if bias is not None:
            a = a + bias
        if mask is not None:
            blocked = torch.zeros(mask.shape, dtype=a.dtype).masked_fill(mask, float("-inf"))
            a = a + blocked.repeat(b // mask.shape[0], 1, 1)[:, None]
        a = a.softmax(-1).reshape(b * h, length, keys)
        o = torch.bmm(a, v.reshape(b * h, d, keys).transpose(1, 2))
        o = o.reshape(b, h, length, d).permute(0, 1, 3, 2).reshape(b, dim, length)
        return self.project(self.proj, o)
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
