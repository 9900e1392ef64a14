"""The import of attention: ``nn.MultiheadAttention`` (self and cross, batch first or not),
``F.scaled_dot_product_attention`` with its projections, class tokens, position
embeddings and the class token read back, each against torch itself (trainable
parameters, conv + linear MACs and attention products from ``FlopCounterMode``, output
shapes, the models returning (N, C, positions) as cnncalc's oracle reads them); and what
cannot be imported is refused, named."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

import zoo  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.interop.torch_import import import_model  # noqa: E402


class TinyViT(nn.Module):
    """ViT as torchvision writes it: patches, a class token, a position embedding,
    encoder blocks with nn.MultiheadAttention, the class token to the head."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(3, 32, 4, stride=4)
        self.class_token = nn.Parameter(torch.zeros(1, 1, 32))
        self.pos_embedding = nn.Parameter(torch.zeros(1, 17, 32))
        self.ln = nn.LayerNorm(32)
        self.attention = nn.MultiheadAttention(32, 4, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 32))
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        x = self.conv_proj(x).reshape(n, 32, 16).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1) + self.pos_embedding
        y = self.ln(x)
        x = x + self.attention(y, y, y, need_weights=False)[0]
        x = x + self.mlp(x)
        return self.head(x[:, 0])


class Cross(nn.Module):
    """Cross-attention, sequence first (torch's default layout): queries from one
    branch, keys and values from another of a different length."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 16, 2, stride=2)
        self.b = nn.Conv2d(3, 16, 4, stride=4)
        self.attention = nn.MultiheadAttention(16, 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = self.a(x).flatten(2).permute(2, 0, 1)
        kv = self.b(x).flatten(2).permute(2, 0, 1)
        out, _ = self.attention(q, kv, kv)
        return out.permute(1, 2, 0)


class Fused(nn.Module):
    """Attention written out as timm writes it: one qkv projection, split into heads,
    F.scaled_dot_product_attention, heads merged, the output projection."""

    def __init__(self, heads: int = 4, dim: int = 24) -> None:
        super().__init__()
        self.heads = heads
        self.embed = nn.Conv2d(3, dim, 4, stride=4)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).flatten(2).transpose(1, 2)
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        y = F.scaled_dot_product_attention(q, k, v)
        return (x + self.proj(y.transpose(1, 2).reshape(b, n, c))).transpose(1, 2)


class Separate(nn.Module):
    """Cross-attention through F.scaled_dot_product_attention: separate q, k and v
    projections without bias, a wider embedding, channels-last positions."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 8, 2, stride=2)
        self.b = nn.Conv2d(3, 6, 4, stride=4)
        self.q = nn.Linear(8, 16, bias=False)
        self.k = nn.Linear(6, 16, bias=False)
        self.v = nn.Linear(6, 16, bias=False)
        self.out = nn.Linear(16, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.a(x).permute(0, 2, 3, 1).reshape(1, -1, 8)
        kv = self.b(x).flatten(2).transpose(1, 2)

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(1, t.shape[1], 2, 8).transpose(1, 2)

        y = F.scaled_dot_product_attention(heads(self.q(a)), heads(self.k(kv)), heads(self.v(kv)))
        return self.out(y.transpose(1, 2).flatten(2)).transpose(1, 2)


@pytest.mark.parametrize("cls", [TinyViT, Cross, Fused, Separate], ids=lambda c: c.__name__)
def test_attention_imports_exactly(cls: Any) -> None:
    torch.manual_seed(0)
    model = cls()
    want = zoo.measure(model, [16, 16, 3])
    got = zoo.imported(model, cls.__name__, [16, 16, 3])
    assert want.attention > 0
    assert got.figures() == want.figures()


def test_the_vit_reads_as_its_layers() -> None:
    text = import_model(TinyViT(), "TinyViT", {"input": [16, 16, 3]}).toml()
    for line in (
        '{ name = "conv_proj", type = "conv", filters = 32, kernel = 4, stride = 4 },',
        '{ name = "tokens", type = "tokens" },',
        '{ name = "class_token", type = "param", shape = [1, 32], mode = "concat" },',
        '{ name = "pos_embedding", type = "param", shape = [17, 32] },',
        '{ name = "attention", type = "attention", heads = 4 },',
        '{ name = "token", type = "slice", axis = 0, start = 0, end = 1 },',
    ):
        assert line in text


def test_cross_attention_names_its_keys_layer() -> None:
    text = import_model(Cross(), "Cross", {"input": [16, 16, 3]}).toml()
    assert (
        '{ name = "attention", type = "attention", heads = 2, qkv_bias = false, '
        'proj_bias = false, kv = "tokens_2", inputs = ["tokens"] }'
    ) in text


class Masked(nn.Module):
    def __init__(self, causal: bool) -> None:
        super().__init__()
        self.causal = causal
        self.embed = nn.Conv2d(3, 8, 4, stride=4)
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).flatten(2).transpose(1, 2)
        if self.causal:
            q = x.reshape(1, 16, 2, 4).transpose(1, 2)
            return F.scaled_dot_product_attention(q, q, q, is_causal=True)
        return self.mha(x, x, x, attn_mask=torch.zeros(16, 16))[0]


@pytest.mark.parametrize(
    ("causal", "message"),
    [
        (False, "mha (nn.MultiheadAttention with a mask)"),
        (True, "scaled_dot_product_attention in the top-level forward"),
    ],
)
def test_masks_are_refused_by_name(causal: bool, message: str) -> None:
    with pytest.raises(CnnCalcError) as error:
        import_model(Masked(causal), "Masked", {"input": [16, 16, 3]})
    assert message in str(error.value)


def test_swin_v2_attention_is_refused_by_name() -> None:
    from torchvision.models.swin_transformer import ShiftedWindowAttentionV2

    class V2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Conv2d(3, 8, 2, stride=2)
            self.attn = ShiftedWindowAttentionV2(8, [4, 4], [2, 2], 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.attn(self.embed(x).permute(0, 2, 3, 1))

    with pytest.raises(CnnCalcError) as error:
        import_model(V2(), "V2", {"input": [16, 16, 3]})
    assert "attn (ShiftedWindowAttentionV2: Swin V2's cosine attention" in str(error.value)
