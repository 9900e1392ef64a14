"""The model zoos the import is checked on, and what real torch says about each model.

torchvision: every classification model (``weights=None``, eval mode, 224x224; 299 for
Inception v3), the segmentation models at 520x520 and the detection models' backbones
(with their feature pyramids). timm: ``TIMM_MODELS`` below, ``pretrained=False``. For
each the oracle is torch itself: trainable parameters, conv + linear MACs from
``torch.utils.flop_counter.FlopCounterMode`` (FLOPs halved) and the output shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Transformers: their attention is not a cnncalc layer yet (the attention issue).
ATTENTION = {
    "vit": "multi-head self-attention and a learned position embedding",
    "swin": "windowed self-attention with a relative position bias",
    "maxvit": "block and grid self-attention",
}

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
]


@dataclass
class Measured:
    params: int  # trainable
    macs: int  # conv + linear
    outputs: list[list[int]]  # cnncalc's order
    layers: int = 0  # cnncalc layers, blocks expanded


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
    from torch.utils.flop_counter import FlopCounterMode

    aten = torch.ops.aten
    model.eval()
    x = torch.zeros(1, shape[-1], *shape[:-1])
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        result = model(x)
    counts = counter.get_flop_counts()["Global"]
    matmul = (aten.convolution, aten._convolution, aten.mm, aten.addmm, aten.bmm)
    flops = sum(v for k, v in counts.items() if k in matmul)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return Measured(params, flops // 2, [cnncalc_order(t.shape) for t in tensors(result)])


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
WAITING: dict[str, str] = {
    "timm:convnextv2_atto": "global response normalisation: an L2 norm over the spatial axes "
    "and a learned affine map of it (torch.norm, mean over the channels, addcmul)",
    "timm:resnest14d": "split attention: a sum over the radix splits and a softmax across "
    "them, on a 5-D tensor",
    "timm:skresnet18": "selective kernels: torch.stack of the kernel paths and a sum over them",
}


def waiting(name: str) -> str | None:
    """Why a model cannot import exactly yet, or None when it must."""
    for family, reason in ATTENTION.items():
        if name.startswith(family + "_"):
            return f"waiting for the attention issue: {reason}"
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
    return Measured(int(t.trainable_params), int(t.macs), outputs, len(a.layers))


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
    exact = (got.params, got.macs, got.outputs) == (want.params, want.macs, want.outputs)
    verdict = "exact" if exact else f"no: cnncalc {got.params:,} / {got.macs:,} / {got.outputs}"
    return f"| `{name}` | {got.layers:,} | {got.params:,} | {got.macs:,} | {verdict} |"


def main() -> None:
    """Print the README's table over both whole zoos (slow: every model is built and run)."""
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    import conftest  # noqa: F401  (torchvision without its compiled operators)

    zoos = sys.argv[1:] or ["torchvision", "timm"]  # or some of them, or torchvision groups
    print("| model | layers | trainable params | MACs | exact |")
    print("|---|---|---|---|---|")
    for group, name in torchvision_models():
        if "torchvision" not in zoos and group not in zoos:
            continue
        reason = waiting(name)
        if reason is not None and reason.startswith("waiting for the attention"):
            print(f"| `{name}` | | | | {reason} |", flush=True)
            continue
        print(row(name, lambda g=group, n=name: build_torchvision(g, n)), flush=True)
    for name in TIMM_MODELS if "timm" in zoos else []:
        print(row(f"timm {name}", lambda n=name: build_timm(n)), flush=True)


if __name__ == "__main__":
    main()
