"""The Python API (load, load_text, load_dict, analyze): results, errors, very large networks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cnncalc
from cnncalc import CnnCalcError, analyze, load, load_dict, load_text

NETWORKS = Path(__file__).resolve().parent.parent / "benchmarks" / "networks.toml"
SMALL: dict[str, Any] = {
    "input": (32, 32, 3),
    "layers": [
        "conv 16 kernel=3 padding=same",
        {"type": "maxpool", "kernel": 2},
        "flatten",
        "fc 10",
    ],
}
UNIT = """
[blocks.unit]
layers = [
  "conv 16 kernel=3 padding=same bias=false",
  "batchnorm activation=relu",
  "conv 16 kernel=3 padding=same bias=false",
  { type = "batchnorm", name = "bn2" },
  { type = "add", inputs = ["input", "bn2"] },
  "relu",
  "conv 32 kernel=1",
  "dropout",
  "conv 16 kernel=1",
  "batchnorm",
]
"""


def test_the_public_names() -> None:
    for name in ("load", "load_text", "load_dict", "analyze", "Analysis", "Network", "Totals"):
        assert name in cnncalc.__all__ and hasattr(cnncalc, name)


def test_load_dict_and_analyze_by_hand() -> None:
    (net,) = load_dict(SMALL)
    assert net.name == "network" and net.file == "<dict>"
    a = analyze(net)
    # conv: (3*3*3 + 1) * 16 = 448 parameters, 32*32*16 * 27 = 442,368 MACs; fc: 4097 * 10.
    assert [r.shape for r in a.layers] == [(32, 32, 16), (16, 16, 16), (4096,), (10,)]
    assert a.totals.params == 448 + 40970
    assert a.totals.macs == 442368 + 40960
    assert a.outputs == {"fc1": (10,)}
    assert a.layers[1].field.size == (4, 4) and a.layers[1].field.start == (0.5, 0.5)


def test_load_text_and_load_read_the_same_networks() -> None:
    text = NETWORKS.read_text(encoding="utf-8")
    by_text = {n.name: analyze(n).totals for n in load_text(text)}
    by_file = {n.name: analyze(n).totals for n in load(str(NETWORKS))}
    assert by_text == by_file
    assert by_file["vgg16"].params == 138_357_544
    assert by_file["resnet50"].trainable_params == 25_557_032
    assert by_file["resnet50"].macs == 4_089_184_256
    (single,) = load_text('input = [8, 1]\nlayers = ["conv 2 kernel=3"]')
    assert single.name == "network"


def test_a_document_of_several_networks_and_only_one_of_them() -> None:
    doc = {"a": dict(SMALL), "b": {"input": [4], "layers": ["fc 2"]}}
    assert [n.name for n in load_dict(doc)] == ["a", "b"]
    assert [n.name for n in load_dict(doc, only="b")] == ["b"]
    broken = {"a": {"input": [4], "layers": ["fc 0"]}, "b": doc["b"]}
    assert [n.name for n in load_dict(broken, only="b")] == ["b"]  # "a" is not read
    with pytest.raises(CnnCalcError) as error:
        load_dict(doc, only="c")
    assert str(error.value) == "<dict>: --net: no network 'c'; the file has a, b"


def test_errors_from_a_dict_name_the_layer_and_key() -> None:
    with pytest.raises(CnnCalcError) as error:
        load_dict({"input": [32, 32, 3], "layers": ["conv 16 kernl=3"]})
    assert str(error.value).startswith(
        "<dict>: network, conv1, kernl: unknown key 'kernl' — did you mean 'kernel'?"
    )
    with pytest.raises(CnnCalcError, match="expected a table"):
        load_dict([1, 2])  # type: ignore[arg-type]
    looped: dict[str, Any] = {"input": [4]}
    looped["layers"] = [looped]
    with pytest.raises(CnnCalcError, match="too large, or contains itself"):
        load_dict(looped)


def test_entries_shared_between_documents_keep_their_meaning() -> None:
    ok = analyze(
        load_dict(
            {
                "input": [8, 8, 1],
                "layers": [{"type": "conv", "filters": 2, "kernel": 3, "bias": True}],
            }
        )[0]
    )
    assert ok.totals.params == 20
    with pytest.raises(CnnCalcError, match="expected true or false, got 1"):
        load_dict(
            {"input": [8, 8, 1], "layers": [{"type": "conv", "filters": 2, "kernel": 3, "bias": 1}]}
        )
    again = analyze(load_dict({"input": [9, 9, 1], "layers": ["conv 2 kernel=3"]})[0])
    assert again.layers[0].shape == (7, 7, 2)  # the same layer on another shape
    blocks = load_text(UNIT + '[n]\ninput = [8, 8, 16]\nlayers = ["unit"]\n')
    assert len(blocks[0].nodes) == 10


def test_a_100000_layer_network_analyses_without_recursion() -> None:
    text = UNIT + "[deep]\ninput = [32, 32, 16]\nlayers = [{ type = 'unit', repeat = 10000 }]\n"
    (net,) = load_text(text, "deep.toml", max_layers=100_000)
    assert len(net.nodes) == 100_000
    a = analyze(net)
    # One block: two 3x3 convs without bias (2,304 each), 1x1 convs of 544 and 528, three
    # batch norms of 32 trainable + 32 running statistics.
    assert a.totals.params == 10_000 * (2304 * 2 + 544 + 528 + 3 * 64)
    assert a.totals.trainable_params == 10_000 * (2304 * 2 + 544 + 528 + 3 * 32)
    last = a.layers[-1]
    assert last.name == "unit1_10000.batchnorm2" and last.shape == (32, 32, 16)
    assert last.field.size == (40_001, 40_001)  # four 3x3 convs per block: +8 each


def test_deeply_nested_blocks_expand_without_recursion() -> None:
    depth = 2000
    lines = ['[blocks.b0]\nlayers = ["relu"]\n']
    lines += [f'[blocks.b{i}]\nlayers = ["b{i - 1}"]\n' for i in range(1, depth)]
    lines.append(f'[n]\ninput = [4]\nlayers = ["b{depth - 1}"]\n')
    (net,) = load_text("".join(lines))
    assert [node.name for node in net.nodes] == [
        ".".join(f"b{i}1" for i in range(depth - 1, 0, -1)) + ".b01.relu1"
    ]
    assert analyze(net).outputs


def test_a_long_chain_of_shared_weights_counts_the_first_owner_once() -> None:
    layers: list[Any] = ["conv 4 kernel=1"]
    layers += [
        {"type": "conv", "filters": 4, "kernel": 1, "share": f"conv{i}"} for i in range(1, 3000)
    ]
    a = analyze(load_dict({"input": [8, 8, 4], "layers": layers})[0])
    assert a.totals.params == (4 + 1) * 4
    assert {r.shared_from for r in a.layers[1:]} == {"conv1"}
    assert a.totals.macs == 3000 * 8 * 8 * 4 * 4


def test_the_readme_example_runs() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})  # its asserts check the numbers it shows


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: load_text(None), "text: expected TOML text (a str), got None"),
        (lambda: load_text(b"input = [4]"), "text: expected TOML text (a str), got b'input = [4]'"),
        (lambda: load_text("", max_layers="3"), 'max_layers: expected a positive integer, got "3"'),
        (lambda: load_text("", max_layers=0), "max_layers: expected a positive integer, got 0"),
        (lambda: load_text("", only=3), "only: expected a network name (a str) or None, got 3"),
        (lambda: load(123), "path: expected a file name (a str or a path), got 123"),
        (
            lambda: analyze(None),
            "net: expected a Network from load, load_text or load_dict, got None",
        ),
        (lambda: load_dict({1: 2}), "<dict>: expected text keys, as TOML has, got 1"),
        (
            lambda: load_dict({"input": [4], "layers": [{"type": "fc", "units": 10**5000}]}),
            "<dict>: network, fc1, units: a number of about 5,001 digits is too large; "
            "expected at most 2**64",
        ),
        (
            lambda: load_dict({"input": [4], "layers": [{"type": "fc", "units": 10**30}]}),
            "<dict>: network, fc1, units: 1000000000000000000000000000000 is too large; "
            "expected at most 2**64",
        ),
    ],
    ids=[
        "text_none",
        "text_bytes",
        "max_layers_str",
        "max_layers_0",
        "only",
        "load_fd",
        "analyze_none",
        "key",
        "units_5000_digits",
        "units_31_digits",
    ],  # fmt: skip
)
def test_every_bad_argument_is_a_cnncalc_error(call: Any, message: str) -> None:
    with pytest.raises(CnnCalcError) as caught:
        call()
    assert str(caught.value) == message


def test_the_api_and_the_command_line_say_the_same(tmp_path: Path, cli) -> None:
    path = tmp_path / "big.toml"
    path.write_text(f'input = [4]\nlayers = [{{ type = "fc", units = {10**30} }}]\n')
    with pytest.raises(CnnCalcError) as caught:
        load(str(path))
    assert cli("shapes", str(path)) == (2, "", str(caught.value) + "\n")
    path.write_text('input = [4]\nlayers = ["fc 2"]\n')
    assert load(path)[0].name == "big"  # a pathlib.Path is a file name too
    (net,) = load_text('\ufeffinput = [4]\nlayers = ["fc 2"]\n')  # a byte-order mark is fine
    assert analyze(net).totals.params == 10
