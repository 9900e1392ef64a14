"""The model zoos the import is checked on, and what real torch says about each model.

torchvision: every classification model (``weights=None``, eval mode, 224x224; 299 for
Inception v3), the segmentation models at 520x520 and the detection models' backbones
(with their feature pyramids). timm: ``TIMM_MODELS`` below, ``pretrained=False``. For
each the oracle is torch itself: trainable parameters, conv + linear MACs from
``torch.utils.flop_counter.FlopCounterMode`` (FLOPs halved) and the output shapes.

Attention is measured apart. FlopCounterMode counts the batched products ``Q Kᵀ`` and
``A V`` as ``bmm`` where a model writes them out (Swin, MaxViT), but counts nothing for
``F.scaled_dot_product_attention``'s fused CPU kernel, and nothing at all, projections
included, for ``nn.MultiheadAttention``'s inference fast path (ViT). So the models run
with that fast path off and attention on its plain "math" kernel, which is made of
``bmm``: the projections are then ``addmm`` (conv + linear) and the products ``bmm``,
compared with the products of cnncalc's ``attention`` layers
(``2 * heads * queries * keys * d_head`` MACs each).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ResNet-D, EfficientNet, MobileNetV3, RegNet, ConvNeXt, CSPNet, DLA, HRNet, RepVGG, GhostNet
# and the other convolutional families timm is used for.
TIMM_MODELS = [
    "resnet50d",
    "resnet26t",
    "seresnext26d_32x4d",
    "resnext26ts",
    "efficientnet_b0",
    "tf_efficientnet_b0",
    "efficientnetv2_rw_t",
    "mobilenetv3_large_100",
    "tf_mobilenetv3_small_100",
    "mobilenetv2_100",
    "regnetx_002",
    "regnety_004",
    "convnext_atto",
    "convnextv2_atto",
    "cspresnet50",
    "cspdarknet53",
    "dla34",
    "hrnet_w18_small",
    "repvgg_a0",
    "ghostnet_100",
    "mixnet_s",
    "rexnet_100",
    "densenet121",
    "dpn68",
    "inception_v3",
    "xception41",
    "res2net50_26w_4s",
    "resnest14d",
    "skresnet18",
    "selecsls42b",
    "vovnet39a",
    "hardcorenas_a",
    "lcnet_050",
    "fbnetc_100",
    "mnasnet_100",
    "darknet53",
    "nf_resnet26",
    "gernet_s",
    # transformers that write attention out with F.scaled_dot_product_attention
    "vit_tiny_patch16_224",
    "deit_tiny_patch16_224",
]


@dataclass
class Measured:
    params: int  # trainable
    macs: int  # conv + linear
    outputs: list[list[int]]  # cnncalc's order
    layers: int = 0  # cnncalc layers, blocks expanded
    attention: int = 0  # the batched products of attention (Q Kᵀ and A V)

    def figures(self) -> tuple[int, int, int, list[list[int]]]:
        return self.params, self.macs, self.attention, self.outputs


def cnncalc_order(shape: Any) -> list[int]:
    dims = list(shape[1:])
    return dims if len(dims) == 1 else [*dims[1:], dims[0]]


def tensors(result: Any) -> list[Any]:
    if isinstance(result, dict):
        return [t for v in result.values() for t in tensors(v)]
    if isinstance(result, list | tuple):
        return [t for v in result for t in tensors(v)]
    return [result]


def measure(model: Any, shape: list[int]) -> Measured:
    """What torch says: trainable parameters, conv + linear MACs, output shapes."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    aten = torch.ops.aten
    model.eval()
    x = torch.zeros(1, shape[-1], *shape[:-1])
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
            with FlopCounterMode(display=False) as counter:
                result = model(x)
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)
    counts = counter.get_flop_counts()["Global"]
    matmul = (aten.convolution, aten._convolution, aten.mm, aten.addmm)
    flops = sum(v for k, v in counts.items() if k in matmul)
    products = sum(v for k, v in counts.items() if k == aten.bmm)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    outputs = [cnncalc_order(t.shape) for t in tensors(result)]
    return Measured(params, flops // 2, outputs, attention=products // 2)


def torchvision_models() -> list[tuple[str, str]]:
    """(group, name) for every torchvision model the zoo test covers."""
    from torchvision import models

    out = [("classification", n) for n in models.list_models(module=models)]
    out += [("segmentation", n) for n in models.list_models(module=models.segmentation)]
    out += [("detection", n) for n in models.list_models(module=models.detection)]
    return out


def build_torchvision(group: str, name: str) -> tuple[Any, list[int]]:
    """The model (the backbone with its feature pyramid, for detection) and its input:
    224x224, 299 for Inception v3, 520 for segmentation, the SSDs at their own 300 and 320."""
    from torchvision import models

    if group == "detection":
        kwargs: dict[str, Any] = {"weights": None, "weights_backbone": None}
        size = 300 if name.startswith("ssd300") else 320 if name.startswith("ssdlite") else 224
        return models.get_model(name, **kwargs).backbone, [size, size, 3]
    if group == "segmentation":
        return models.get_model(name, weights=None, weights_backbone=None), [520, 520, 3]
    kwargs = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs |= {"aux_logits": False, "init_weights": False}
    size = 299 if name == "inception_v3" else 224
    return models.get_model(name, **kwargs), [size, size, 3]


def build_timm(name: str) -> tuple[Any, list[int]]:
    import timm

    model = timm.create_model(name, pretrained=False)
    size = model.pretrained_cfg.get("input_size", (3, 224, 224))
    return model, [int(size[1]), int(size[2]), int(size[0])]


# Models that do not import exactly yet, and why; the zoo test fails when one starts to, so
# the list stays true. (timm models carry a "timm:" prefix.)
SWIN_V2 = (
    "Swin V2's cosine attention: a learned logit scale per head and a position-bias MLP "
    "in place of the bias table"
)
WAITING: dict[str, str] = {
    "swin_v2_t": SWIN_V2,
    "swin_v2_s": SWIN_V2,
    "swin_v2_b": SWIN_V2,
    "timm:convnextv2_atto": "global response normalisation: an L2 norm over the spatial axes "
    "and a learned affine map of it (torch.norm, mean over the channels, addcmul)",
    "timm:resnest14d": "split attention: a sum over the radix splits and a softmax across "
    "them, on a 5-D tensor",
    "timm:skresnet18": "selective kernels: torch.stack of the kernel paths and a sum over them",
}


def waiting(name: str) -> str | None:
    """Why a model cannot import exactly yet, or None when it must."""
    return WAITING.get(name)


def imported(model: Any, name: str, shape: list[int]) -> Measured:
    """What cnncalc says about the model's import: the TOML read back and analysed."""
    from cnncalc.engine.walk import analyze
    from cnncalc.interop.torch_import import import_model
    from cnncalc.spec.load import load_text

    (network,) = load_text(import_model(model, name, {"input": shape}).toml(), f"{name}.toml")
    a = analyze(network)
    t = a.totals
    outputs = [list(s) for s in a.outputs.values()]
    products = 0
    for r in a.layers:
        if r.node.layer.kind == "attention":
            plan: Any = r.node.layer.plan(r.input_shapes)  # type: ignore[attr-defined]
            products += 2 * plan.queries * plan.keys * plan.dim
    macs = int(t.macs) - products
    return Measured(int(t.trainable_params), macs, outputs, len(a.layers), products)


def row(name: str, build: Any) -> str:
    """One line of the README's table: the model imported and compared with torch."""
    from cnncalc.errors import CnnCalcError

    model, shape = build()
    want = measure(model, shape)
    try:
        got = imported(model, name, shape)
    except CnnCalcError as error:
        why = str(error).partition(": no cnncalc layer for ")[2] or str(error)
        return f"| `{name}` | | {want.params:,} | {want.macs:,} | no: {why[:160]} |"
    exact = got.figures() == want.figures()
    verdict = "exact" if exact else f"no: cnncalc {got.params:,} / {got.macs:,} / {got.outputs}"
    if want.attention or got.attention:
        verdict += f" (+ {got.attention:,} MACs of attention products)"
        if not exact:
            verdict += f"; torch {want.attention:,}"
    return f"| `{name}` | {got.layers:,} | {got.params:,} | {got.macs:,} | {verdict} |"


def main() -> None:
    """Print the README's table over both whole zoos (slow: every model is built and run)."""
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    import conftest  # noqa: F401  (torchvision without its compiled operators)

    # zoos, torchvision groups or single models: `python tests/zoo.py vit_b_16 timm`
    zoos = sys.argv[1:] or ["torchvision", "timm"]
    print("| model | layers | trainable params | MACs | exact |")
    print("|---|---|---|---|---|")
    for group, name in torchvision_models():
        if not {"torchvision", group, name} & set(zoos):
            continue
        print(row(name, lambda g=group, n=name: build_torchvision(g, n)), flush=True)
    for name in TIMM_MODELS:
        if {"timm", name} & set(zoos):
            print(row(f"timm {name}", lambda n=name: build_timm(n)), flush=True)


if __name__ == "__main__":
    main()
