"""Blocks, repeat, several inputs, shared weights, and the folded and per-type views."""

from __future__ import annotations

import json

import pytest

from cnncalc import analyze, load, load_text
from cnncalc.errors import CnnCalcError
from cnncalc.reports.fold import by_type, fold
from conftest import DATA

BASIC = """
[blocks.basic]
args = { filters = 64, stride = 1 }
layers = [
  { type = "conv", filters = "filters", kernel = 3, stride = "stride", padding = 1, bias = false },
  { type = "batchnorm" },
  { type = "relu" },
  { type = "conv", filters = "filters", kernel = 3, padding = 1, bias = false },
  { type = "batchnorm", name = "bn2" },
  { type = "add", inputs = ["input", "bn2"] },
  { type = "relu" },
]
"""


def analyse(text: str):  # type: ignore[no-untyped-def]
    (network,) = load_text(text, "blocks.toml")
    return analyze(network)


def names(a) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.name for r in a.layers]


def test_block_expands_with_local_names_and_repeat() -> None:
    a = analyse(BASIC + '[net]\ninput = [8, 8, 64]\nlayers = [{ type = "basic", repeat = 2 }]\n')
    assert names(a)[:3] == ["basic1_1.conv1", "basic1_1.batchnorm1", "basic1_1.relu1"]
    assert names(a)[7] == "basic1_2.conv1"
    add = {r.name: r for r in a.layers}["basic1_2.add1"]
    assert add.inputs == ("basic1_1.relu2", "basic1_2.bn2")  # "input" is the copy's input
    assert a.totals.trainable_params == 4 * 64 * 64 * 9 + 4 * 128


def test_block_with_different_arguments() -> None:
    a = analyse(
        BASIC
        + """[net]
input = [8, 8, 3]
layers = ["conv 32 kernel=3 padding=1", { type = "basic", filters = 32, name = "b" }]
"""
    )
    assert {r.name: r.shape for r in a.layers}["b.relu2"] == (8, 8, 32)
    assert a.totals.trainable_params == (27 * 32 + 32) + 2 * 32 * 32 * 9 + 2 * 64


def test_expressions_in_block_keys_and_repeat() -> None:
    a = analyse("""
[blocks.wide]
args = { width = 4, k = 3, n = 3 }
layers = [{ type = "conv", filters = "width * 4", kernel = ["k", "k // 2 + 1"], repeat = "n - 1" }]
[net]
input = [16, 16, 2]
layers = [{ type = "wide", width = 2, k = 5 }]
""")
    assert [r.shape for r in a.layers] == [(12, 14, 8), (8, 12, 8)]


def test_nested_blocks_and_depth_folding() -> None:
    a = analyse(
        BASIC
        + """
[blocks.stage]
args = { filters = 64 }
layers = [{ type = "basic", filters = "filters", repeat = 2, name = "unit" }]
[net]
input = [8, 8, 16]
layers = ["conv 16 kernel=1 name=stem", { type = "stage", filters = 16, name = "s1" }, "flatten"]
"""
    )
    assert names(a)[1] == "s1.unit_1.conv1"
    depth2 = fold(a, 2)
    assert names(depth2) == ["stem", "s1.unit_1", "s1.unit_2", "flatten1"]
    unit = depth2.layers[1]
    assert unit.node.kind == "basic" and unit.shape == (8, 8, 16)
    assert unit.totals.params == sum(
        r.totals.params for r in a.layers if r.name.startswith("s1.unit_1.")
    )
    depth1 = fold(a, 1)
    assert names(depth1) == ["stem", "s1", "flatten1"]
    assert depth1.layers[1].node.kind == "stage"
    assert depth1.totals == a.totals
    assert fold(a, None) is a


def test_depth_folding_in_json_and_table(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "net.toml"
    path.write_text(
        BASIC + '[net]\ninput = [8, 8, 64]\nlayers = [{ type = "basic", repeat = 2 }]\n'
    )
    doc = json.loads(cli("summary", str(path), "-f", "json", "--depth", "1")[1])
    layers = doc["networks"][0]["layers"]
    assert [(x["name"], x["type"], x["layers"]) for x in layers] == [
        ("basic1_1", "basic", 7),
        ("basic1_2", "basic", 7),
    ]
    assert sum(x["params"] for x in layers) == doc["networks"][0]["totals"]["params"]
    table = cli("summary", str(path), "--depth", "1")[1]
    assert "basic1_1 " in table and "basic1_1.conv1" not in table
    flat = json.loads(cli("summary", str(path), "-f", "json")[1])["networks"][0]["layers"]
    assert len(flat) == 14 and flat[0]["block"] == "basic1_1"


def test_by_type_view(cli) -> None:  # type: ignore[no-untyped-def]
    a = analyse(BASIC + '[net]\ninput = [8, 8, 64]\nlayers = [{ type = "basic", repeat = 2 }]\n')
    rows = {t.kind: (t.count, t.totals.params) for t in by_type(a)}
    assert rows == {
        "conv": (4, 4 * 36864),
        "batchnorm": (4, 4 * 256),
        "relu": (4, 0),
        "add": (2, 0),
    }
    out = cli("params", str(DATA / "nets" / "small.toml"), "--by-type", "-f", "json")[1]
    assert json.loads(out)["networks"][0]["by_type"][0] == {
        "type": "conv",
        "count": 2,
        "params": 800,
        "trainable_params": 800,
        "macs": 38808,
        "activations": 784,
    }


def block_using(filters: str) -> str:
    """A network of one instance of a block whose conv has ``filters = <filters>``."""
    return (
        f'[blocks.x]\nargs = {{ w = 2 }}\nlayers = [{{ type = "conv", filters = "{filters}", '
        'kernel = 1 }]\n[net]\ninput = [4, 4, 1]\nlayers = [{ type = "x" }]\n'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            """[blocks.a]
layers = [{ type = "b" }]
[blocks.b]
layers = [{ type = "a" }]
[net]
input = [4, 4, 1]
layers = [{ type = "a" }]
""",
            "blocks.toml:2: net, a: block uses itself: a → b → a; expected blocks that do not "
            "contain themselves",
        ),
        (
            BASIC + '[net]\ninput = [8, 8, 64]\nlayers = [{ type = "basic", filter = 3 }]\n',
            "blocks.toml:15: net, basic1, filter: unknown argument 'filter' — did you mean "
            "'filters'? for block 'basic'; its arguments are filters, stride",
        ),
        (
            block_using("__import__('os').system('true')"),
            "blocks.toml:3: net, x1.layer 1, filters: calls are not allowed in an expression: "
            "'__import__('os').system('true')'",
        ),
        (
            block_using("w // 0"),
            "blocks.toml:3: net, x1.layer 1, filters: division by zero in 'w // 0'",
        ),
        (
            block_using("v * 2"),
            "blocks.toml:3: net, x1.layer 1, filters: unknown name 'v' in 'v * 2'; the block's "
            "arguments are: w",
        ),
    ],
    ids=["recursion", "unknown-argument", "call", "division-by-zero", "unknown-name"],
)
def test_block_errors(text: str, message: str) -> None:
    with pytest.raises(CnnCalcError) as caught:
        analyse(text)
    assert str(caught.value) == message


def test_recursion_check_needs_no_recursion() -> None:
    """A chain of 3,000 blocks, each using the next, expands without Python recursion."""
    parts = [f'[blocks.b{i}]\nlayers = [{{ type = "b{i + 1}" }}]\n' for i in range(3000)]
    parts.append('[blocks.b3000]\nlayers = ["relu"]\n')
    a = analyse("".join(parts) + '[net]\ninput = [4, 4, 1]\nlayers = [{ type = "b0" }]\n')
    assert len(a.layers) == 1 and a.layers[0].name.count(".") == 3001


def test_repeat_names_and_alias() -> None:
    a = analyse(
        'input = [8, 4]\nlayers = ["conv 4 kernel=1 repeat=3", "add inputs=[input,conv1]"]\n'
    )
    assert names(a) == ["conv1_1", "conv1_2", "conv1_3", "add1"]
    assert a.layers[-1].inputs == ("input", "conv1_3")


def test_named_inputs_outputs_and_shared_weights() -> None:
    a = analyse("""
input = { left = [16, 16, 3], right = [16, 16, 3] }
outputs = ["fl", "fr"]
layers = [
  "conv 8 kernel=3 inputs=[left] name=cl",
  "flatten name=fl",
  "conv 8 kernel=3 inputs=[right] name=cr share=cl",
  "flatten name=fr",
]
""")
    one = 3 * 3 * 3 * 8 + 8
    assert a.totals.params == one
    assert a.totals.macs == 2 * 14 * 14 * 8 * 27
    assert {r.name: r.shared_from for r in a.layers}["cr"] == "cl"
    assert list(a.outputs) == ["fl", "fr"]


def test_share_with_different_arguments_is_an_error() -> None:
    with pytest.raises(CnnCalcError) as caught:
        analyse(
            'input = [8, 8, 3]\nlayers = ["conv 8 kernel=3 name=a", '
            '"conv 8 kernel=5 inputs=[input] share=a name=b"]\n'
        )
    assert str(caught.value) == (
        "blocks.toml:2: blocks, b, share: cannot share weights with 'a': it is conv(8, 3/1) on "
        "3 channels, this layer is conv(8, 5/1) on 3 channels; expected the same kind, "
        "arguments and input channels"
    )


def test_siamese_triplet_counts_one_encoder() -> None:
    nets = {n.name: n for n in load(str(DATA.parent.parent / "examples.toml"))}
    a = analyze(nets["siamese_triplet"])
    encoder = [r for r in a.layers if r.name.startswith("f_anchor.")]
    assert a.totals.params == sum(r.totals.params for r in encoder) > 0
    assert a.totals.macs == 3 * sum(r.effect.macs for r in encoder)
    assert len(a.outputs) == 3


def test_tf_slim_resnet50_field_is_483() -> None:
    (network,) = load(str(DATA / "blocks" / "resnet50_slim.toml"))
    last = analyze(network).layers[-1]
    assert last.field.size == (483, 483) and last.field.stride == (32, 32)
    assert last.field_via == "block4.last.c3"


# ---------------------------------------------- the input's shape, when, repeat = 0, dead branches

SHAPED = """
[blocks.unit]
args = { filters = 8, stride = 1 }
[[blocks.unit.layers]]
type = "conv"
filters = "filters"
kernel = 1
stride = "stride"
name = "proj"
when = "stride != 1 or in_channels != filters"
[[blocks.unit.layers]]
type = "conv"
filters = "max(1, in_channels // 4)"
kernel = 3
padding = 1
inputs = ["input"]
[[blocks.unit.layers]]
type = "conv"
filters = "filters"
kernel = "in_size[0] // 4"
stride = "stride"
padding = "same"
name = "body"
[[blocks.unit.layers]]
type = "add"
inputs = ["proj", "body"]
"""


def test_block_reads_its_input_shape() -> None:
    a = analyse(SHAPED + '[net]\ninput = [16, 12, 8]\nlayers = [{ type = "unit" }]\n')
    layers = {r.name: r for r in a.layers}
    assert "unit1.proj" not in layers  # stride 1 and 8 channels in and out: no projection
    assert layers["unit1.conv1"].shape == (16, 12, 2)  # max(1, 8 // 4)
    assert layers["unit1.body"].own_params == (4 * 4 * 2 + 1) * 8  # kernel in_size[0] // 4
    assert layers["unit1.add1"].inputs == ("input", "unit1.body")  # proj stands for the input
    assert a.warnings == []


def test_each_copy_reads_its_own_input() -> None:
    """The first copy of a repeated block reads other channels than the copies after it."""
    a = analyse(
        SHAPED + "[net]\ninput = [16, 16, 3]\n"
        'layers = [{ type = "unit", repeat = 3 }, { type = "unit", stride = 2, name = "down" }]\n'
    )
    layers = {r.name: r for r in a.layers}
    assert [n for n in layers if n.endswith(".proj")] == ["unit1_1.proj", "down.proj"]
    assert layers["unit1_1.conv1"].shape[-1] == 1  # max(1, 3 // 4)
    assert layers["unit1_2.conv1"].shape[-1] == 2  # 8 // 4
    assert layers["unit1_2.add1"].inputs == ("unit1_1.add1", "unit1_2.body")
    assert layers["down.body"].shape == (8, 8, 8)
    assert layers["down.add1"].inputs == ("down.proj", "down.body")


def test_when_reads_arguments_and_leaves_out_a_block_instance() -> None:
    a = analyse(
        SHAPED
        + """[blocks.gated]
args = { gate = true }
layers = [
  "conv 8 kernel=1",
  { type = "unit", when = "gate", name = "inner" },
  { type = "relu", when = false },
  { type = "add", inputs = ["input", "inner"] },
]
[net]
input = [4, 4, 8]
layers = [{ type = "gated", name = "on" }, { type = "gated", gate = false, name = "off" }]
"""
    )
    layers = {r.name: r for r in a.layers}
    assert "on.inner.body" in layers and not any(n.startswith("off.inner") for n in layers)
    assert layers["off.add1"].inputs == ("on.add1", "off.conv1")  # inner stands for conv1
    assert not any(".relu" in n for n in layers)


def test_repeat_zero_means_none() -> None:
    a = analyse(
        BASIC + "[net]\ninput = [8, 8, 64]\nlayers = [\n"
        '  "relu",\n  { type = "basic", repeat = 0, name = "b" },\n'
        '  "conv 4 kernel=1 repeat=0",\n  { type = "add", inputs = ["b", "relu1"] },\n]\n'
    )
    assert names(a) == ["relu1", "add1"]
    assert a.layers[1].inputs == ("relu1", "relu1")  # b stands for what it would have read


def test_a_block_whose_layers_are_all_left_out_passes_its_input_on() -> None:
    a = analyse(
        '[blocks.maybe]\nargs = { n = 0 }\nlayers = [{ type = "relu", repeat = "n" }]\n'
        '[net]\ninput = [4, 4, 2]\nlayers = ["conv 2 kernel=1", "maybe", "conv 3 kernel=1"]\n'
    )
    assert names(a) == ["conv1", "conv2"]
    assert a.layers[1].inputs == ("conv1",)


def test_copies_that_read_their_shape_size_each_layer_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Expansion sizes each layer it reads once, so many copies stay linear, not quadratic."""
    from cnncalc.spec import inshape

    calls = 0
    real = inshape.effect_of

    def counted(*args: object) -> object:
        nonlocal calls
        calls += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(inshape, "effect_of", counted)
    a = analyse(
        '[blocks.b]\nlayers = [{ type = "conv", filters = "in_channels", kernel = 1 }]\n'
        '[net]\ninput = [4, 4, 2]\nlayers = [{ type = "b", repeat = 5000 }]\n'
    )
    assert len(a.layers) == 5000
    assert calls == 4999  # every copy but the last is read by the next one, once


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[blocks.b]\nlayers = [{ type = "relu", when = "1 + 1" }]\n'
            '[net]\ninput = [4, 4, 1]\nlayers = [{ type = "b" }]\n',
            "blocks.toml:2: net, b1.relu1, when: '1 + 1' is a number, not a condition; "
            "expected true or false, e.g. 'stride == 1'",
        ),
        (
            '[blocks.b]\nlayers = [{ type = "relu", when = 1 }]\n'
            '[net]\ninput = [4, 4, 1]\nlayers = [{ type = "b" }]\n',
            'blocks.toml:2: net, b1.relu1, when: expected a condition such as "stride == 1", '
            "or true or false, got 1",
        ),
        (
            'input = [4, 4, 1]\nlayers = [{ type = "relu", when = true }]\n',
            "blocks.toml:3: net, relu1, when: when is for layers inside a block, where it can "
            "read the block's arguments; expected it in a [blocks.NAME] layer",
        ),
        (
            '[blocks.b]\nargs = { in_channels = 3 }\nlayers = ["relu"]\n'
            '[net]\ninput = [4, 4, 1]\nlayers = [{ type = "b" }]\n',
            "blocks.toml:2: b, args: 'in_channels' is what the block reads of its input's "
            "shape; expected another argument name",
        ),
        (
            '[blocks.b]\nlayers = [{ type = "conv", filters = "in_size[2]", kernel = 1 }]\n'
            '[net]\ninput = [4, 4, 1]\nlayers = [{ type = "b" }]\n',
            "blocks.toml:2: net, b1.layer 1, filters: 'in_size[2]': index 2 is out of range; the "
            "input has 2 spatial sizes",
        ),
        (
            '[blocks.b]\nlayers = [{ type = "conv", filters = "in_channels", kernel = 1 }]\n'
            '[net]\ninput = [4, 4, 1]\nlayers = [{ type = "b", inputs = ["later"] }, '
            '{ type = "relu", name = "later", inputs = ["input"] }]\n',
            "blocks.toml:5: net, b1: cannot size a block from 'later': it is not a layer "
            "written before the block; expected in_channels and in_size to read earlier layers",
        ),
        (
            '[blocks.b]\nlayers = [{ type = "conv", filters = "in_channels", kernel = 1 }]\n'
            '[net]\ninput = [4, 4, 1]\nlayers = ["conv 2 kernel=5", { type = "b" }]\n',
            "blocks.toml:5: net, conv1, kernel: output size 0 on axis H is below 1: "
            "(4 - 5 + 0 + 0) // 1 + 1 = 0 (input 4, kernel 5, padding 0+0, stride 1); "
            "expected an input of at least 5 on this axis",
        ),
        (
            'input = [4, 4, 1]\nlayers = ["relu repeat=0"]\n',
            "blocks.toml:3: net, layers: every layer is left out (repeat = 0); expected at "
            "least one layer",
        ),
        (
            'input = [4, 4, 1]\nlayers = ["relu repeat=-1"]\n',
            "blocks.toml:3: net, relu1, repeat: expected a whole number, 0 or more, got -1",
        ),
    ],
    ids=[
        "when-number",
        "when-not-a-condition",
        "when-at-top-level",
        "reserved-argument",
        "index",
        "later-layer",
        "bad-layer-before",
        "nothing-left",
        "negative-repeat",
    ],
)
def test_shape_and_when_errors(text: str, message: str) -> None:
    with pytest.raises(CnnCalcError) as caught:
        analyse(text if text.startswith("[") else "name = 'net'\n" + text)
    assert str(caught.value) == message


def test_a_dead_branch_is_a_warning() -> None:
    """A gate computed but never multiplied in changes no count, so only a warning shows it."""
    a = analyse(
        'input = [8, 8, 4]\nlayers = [\n  "conv 4 kernel=1",\n'
        '  { type = "global_pool", name = "gate" },\n'
        '  { type = "relu", inputs = ["conv1"] },\n]\n'
    )
    assert [(w.location.layer, w.message) for w in a.warnings] == [
        (
            "gate",
            "its output is never used: no layer reads it and it is not a network output; "
            "expected it in a later layer's inputs, or in outputs",
        )
    ]


def test_outputs_and_read_layers_are_not_dead() -> None:
    a = analyse(
        'input = [8, 8, 4]\noutputs = ["gate", "relu1"]\nlayers = [\n  "conv 4 kernel=1",\n'
        '  { type = "global_pool", name = "gate" },\n'
        '  { type = "relu", inputs = ["conv1"] },\n]\n'
    )
    assert a.warnings == []
