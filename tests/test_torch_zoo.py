"""The import over real model zoos, with torch as the oracle: trainable parameters, conv +
linear MACs (``FlopCounterMode``, FLOPs halved) and output shapes must all be exact.

By default a representative set runs (at least one model of every family); set
``CNNCALC_ZOO=all`` to run every model of both zoos (the README's table comes from that
run: ``python tests/zoo.py``). torchvision needs ``pip install --no-deps
torchvision==0.28.0`` (see ``conftest.skip_torchvision_operators``), timm ``pip install
--no-deps timm==1.0.31``; without them these tests are skipped.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("torch")
pytest.importorskip("torchvision", reason="pip install --no-deps torchvision==0.28.0")

import zoo  # noqa: E402

ALL = os.environ.get("CNNCALC_ZOO") == "all"

# The smallest model of each torchvision family, and what CI runs by default.
TORCHVISION_DEFAULT = {
    "alexnet",
    "convnext_tiny",
    "densenet121",
    "efficientnet_b0",
    "efficientnet_v2_s",
    "googlenet",
    "inception_v3",
    "mnasnet0_5",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "regnet_x_400mf",
    "regnet_y_400mf",
    "resnet18",
    "resnext50_32x4d",
    "shufflenet_v2_x0_5",
    "squeezenet1_0",
    "vgg11",
    "wide_resnet50_2",
    "vit_b_16",
    "swin_t",
    "maxvit_t",
    "fcn_resnet50",
    "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "retinanet_resnet50_fpn",
    "ssdlite320_mobilenet_v3_large",
}
TIMM_DEFAULT = {
    "resnet26t",
    "efficientnet_b0",
    "tf_efficientnet_b0",
    "mobilenetv3_large_100",
    "regnety_004",
    "convnext_atto",
    "cspresnet50",
    "dla34",
    "hrnet_w18_small",
    "repvgg_a0",
    "ghostnet_100",
    "vit_tiny_patch16_224",
}


def torchvision_cases() -> list[tuple[str, str]]:
    cases = zoo.torchvision_models()
    return [c for c in cases if ALL or c[1] in TORCHVISION_DEFAULT]


def check(name: str, model: object, shape: list[int], reason: str | None) -> None:
    """Exact, or (for a model on the waiting list) not yet: then it fails when it becomes
    exact, so that the list stays true."""
    from cnncalc.errors import CnnCalcError

    want = zoo.measure(model, shape)
    if reason is None:
        got = zoo.imported(model, name, shape)
        assert got.figures() == want.figures()
        return
    try:
        got = zoo.imported(model, name, shape)
    except CnnCalcError:
        pytest.xfail(reason)
    if got.figures() == want.figures():
        pytest.fail(f"{name} now imports exactly: take it off the waiting list in zoo.py")
    pytest.xfail(reason)


@pytest.mark.parametrize(("group", "name"), torchvision_cases(), ids=lambda v: str(v))
def test_torchvision(group: str, name: str) -> None:
    model, shape = zoo.build_torchvision(group, name)
    check(name, model, shape, zoo.waiting(name))


@pytest.mark.parametrize("name", [n for n in zoo.TIMM_MODELS if ALL or n in TIMM_DEFAULT])
def test_timm(name: str) -> None:
    pytest.importorskip("timm", reason="pip install --no-deps timm==1.0.31")
    model, shape = zoo.build_timm(name)
    check(name, model, shape, zoo.waiting(f"timm:{name}"))


def test_the_timm_list_is_long_enough() -> None:
    """The issue's families are all there, and at least 30 models."""
    assert len(set(zoo.TIMM_MODELS)) == len(zoo.TIMM_MODELS) >= 30
    for family in ("resnet50d", "efficientnet", "mobilenetv3", "regnet", "convnext", "csp"):
        assert any(family in n for n in zoo.TIMM_MODELS), family
    for family in ("dla", "hrnet", "repvgg", "ghostnet"):
        assert any(n.startswith(family) for n in zoo.TIMM_MODELS), family


def test_a_failure_names_the_operation_and_module() -> None:
    """What cannot be imported is named with its module path, never dropped."""
    import torch
    from torch import nn

    from cnncalc.errors import CnnCalcError
    from cnncalc.interop.torch_import import import_model

    class Embed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 4, stride=4)
            self.pos = nn.Parameter(torch.zeros(1, 8, 4, 4))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(x) * self.pos

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = Embed()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.stem(x)

    with pytest.raises(CnnCalcError) as error:
        import_model(Net(), "Net", {"input": [16, 16, 3]})
    assert str(error.value) == (
        "Net: no cnncalc layer for mul in stem (mul with the learned tensor stem.pos of "
        "shape [1, 8, 4, 4])"
    )
