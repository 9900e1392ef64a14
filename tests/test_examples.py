"""Every network of examples.toml against its published numbers."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from cnncalc import analyze, load
from cnncalc.engine.walk import Analysis

EXAMPLES = Path(__file__).parent.parent / "examples.toml"


@cache
def analyses() -> dict[str, Analysis]:
    return {n.name: analyze(n) for n in load(str(EXAMPLES))}


def layer(net: str, name: str):  # type: ignore[no-untyped-def]
    return next(r for r in analyses()[net].layers if r.name == name)


# Published trainable parameter counts (the papers, torchvision) and MACs where published.
PUBLISHED = {
    "lenet5": (61_706, 416_520),  # the classic modern variant
    "alexnet": (60_965_224, None),  # Krizhevsky et al. 2012, two-GPU groups
    "vgg16": (138_357_544, 15_470_264_320),
    "inception_5x5": (None, 120_422_400),  # the CS 230 notes' worked example
    "inception_bottleneck": (None, 12_443_648),
    "resnet18": (11_689_512, None),
    "resnet50": (25_557_032, 4_089_184_256),  # torchvision: 4.09 GMACs
    "googlenet": (6_624_904, None),
    "mobilenet_v2": (3_504_872, None),
    "densenet121": (7_978_856, None),
}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_totals(name: str) -> None:
    params, macs = PUBLISHED[name]
    t = analyses()[name].totals
    if params is not None:
        assert t.trainable_params == params
    if macs is not None:
        assert t.macs == macs


def test_every_example_has_the_expected_outputs() -> None:
    outputs = {name: list(a.outputs.values()) for name, a in analyses().items()}
    assert outputs["yolo"] == [(19, 19, 5, 85)]  # the notes' G x G x k x (5 + p)
    assert outputs["dcgan"] == [(64, 64, 3)]
    assert outputs["unet"] == [(256, 256, 2)]
    assert outputs["siamese_triplet"] == [(128,), (128,), (128,)]
    for name in (
        "alexnet",
        "vgg16",
        "resnet18",
        "resnet50",
        "googlenet",
        "mobilenet_v2",
        "densenet121",
    ):
        assert outputs[name] == [(1000,)]


def test_receptive_fields_of_araujo_et_al() -> None:
    """Distill 2019: VGG-16 212 and AlexNet 195 at pool5, stride 32; torchvision ResNet-50 427."""
    for net, name, size in [("vgg16", "pool5", 212), ("alexnet", "pool5", 195)]:
        f = layer(net, name).field
        assert (f.size, f.stride) == ((size, size), (32, 32))
    last_stage = [r for r in analyses()["resnet50"].layers if not r.field.is_global][-1]
    assert (last_stage.field.size, last_stage.field.stride) == ((427, 427), (32, 32))


def test_siamese_weights_count_once() -> None:
    a = analyses()["siamese_triplet"]
    shared = [r for r in a.layers if r.shared_from is not None]
    assert shared and all(r.totals.params == 0 for r in shared)
    assert sum(r.own_params for r in shared) == 2 * a.totals.params
