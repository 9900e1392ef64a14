"""The examples written after torchvision models, against the models themselves.

Each such example in examples.toml must give its model's trainable parameters, its
parameters with the batchnorm statistics, its MACs (the convolution and matrix-multiply
FLOPs of ``torch.utils.flop_counter.FlopCounterMode``, halved, as torchvision computes
its published GFLOPS) and its output shapes, all measured here on the real model
(``weights=None``, eval mode, one 224x224x3 image, and for the examples that follow any
input size another size too; attention in PyTorch's math kernel and
``nn.MultiheadAttention`` off its fused path, so ``Q Kᵀ`` and ``A V`` are ``bmm`` calls the
counter sees). torchvision comes through
:mod:`tvmodels`, which says how to install it; without it these tests are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from tvmodels import load as torchvision_models

from cnncalc import analyze, load
from cnncalc.engine.walk import Analysis, replace_input

EXAMPLES = Path(__file__).parent.parent / "examples.toml"
SIZE = 224
MATMULS = {"aten.convolution", "aten.addmm", "aten.mm", "aten.bmm"}


def classifier(name: str) -> Callable[[Any], Any]:
    return lambda models: getattr(models, name)(weights=None)


def deeplab(models: Any) -> Any:
    return models.segmentation.deeplabv3_resnet50(
        weights=None, weights_backbone=None, num_classes=21, aux_loss=False
    )


def fpn(models: Any) -> Any:
    from torchvision.models.detection.backbone_utils import BackboneWithFPN
    from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

    stages = {f"layer{i}": str(i - 1) for i in range(1, 5)}
    return BackboneWithFPN(
        models.resnet50(weights=None), stages, [256, 512, 1024, 2048], 256, LastLevelMaxPool()
    )


# example name → how to build its torchvision model from ``torchvision.models``
MODELS: dict[str, Callable[[Any], Any]] = {
    **{
        name: classifier(name)
        for name in (
            "efficientnet_b0",
            "mobilenet_v3_large",
            "mobilenet_v3_small",
            "regnet_y_400mf",
            "convnext_tiny",
            "shufflenet_v2_x1_0",
            "vit_b_16",
            "swin_t",
            "maxvit_t",
        )
    },
    "deeplabv3_resnet50": deeplab,
    "resnet50_fpn": fpn,
}
# (example, input size) beyond the 224 of every example: those whose up-sampling takes its
# size from a layer (upsample's ``to``), and so follow ``--input``
OTHER_SIZES = [("deeplabv3_resnet50", 512)]
CASES = [(name, SIZE) for name in MODELS] + OTHER_SIZES


def channels_last(shape: Any) -> list[int]:
    dims = list(shape)[1:]  # without the batch
    return dims[1:] + dims[:1] if len(dims) > 1 else dims


def measure(model: Any, size: int) -> dict[str, Any]:
    """What cnncalc computes, measured on the model."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    model.eval()
    counter = FlopCounterMode(display=False)
    fused = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with counter, torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
            out = model(torch.zeros(1, 3, size, size))
    finally:
        torch.backends.mha.set_fastpath_enabled(fused)
    flops = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    assert set(flops) <= MATMULS, f"FlopCounterMode counted more: {sorted(flops)}"
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    statistics = sum(b.numel() for b in model.buffers() if b.dtype.is_floating_point)
    outputs = list(out.values()) if isinstance(out, dict) else [out]
    return {
        "trainable_params": trainable,
        "params": trainable + statistics,
        "macs": sum(flops.values()) // 2,
        "outputs": [channels_last(o.shape) for o in outputs],
    }


@cache
def analyses() -> dict[str, Analysis]:
    return {n.name: analyze(n) for n in load(str(EXAMPLES)) if n.name in MODELS}


def analysis(name: str, size: int) -> Analysis:
    """The example as written (224x224x3), or with its input replaced, as ``--input`` does."""
    if size == SIZE:
        return analyses()[name]
    (n,) = load(str(EXAMPLES), only=name)
    replace_input(n, {"input": (size, size, 3)})
    return analyze(n)


@pytest.mark.parametrize(("name", "size"), CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_example_is_the_torchvision_model(name: str, size: int) -> None:
    want = measure(MODELS[name](torchvision_models()), size)
    a = analysis(name, size)
    assert a.network.inputs == {"input": (size, size, 3)}
    got = {
        "trainable_params": a.totals.trainable_params,
        "params": a.totals.params,
        "macs": a.totals.macs,
        "outputs": [list(shape) for shape in a.outputs.values()],
    }
    assert got == want
    assert [w.message for w in a.warnings if "never used" in w.message] == []
