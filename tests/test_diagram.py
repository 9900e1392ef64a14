"""Diagrams: the boxes and edges drawn for a network, the SVG and DOT texts, the CLI.

Goldens live in tests/data/pictures/golden/; regenerate them with
``CNNCALC_REGENERATE_GOLDENS=1 python -m pytest tests/test_diagram.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_layout import check_layout

from cnncalc import analyze, load
from cnncalc.cli.app import main
from cnncalc.engine.walk import Analysis
from cnncalc.render.diagram import (
    GROUP_OF,
    GROUPS,
    LABEL_SIZE,
    STEM,
    build,
    dot,
    place,
    stem_labels,
    svg_document,
    text_width,
)
from cnncalc.render.layout import Item

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "pictures"
GOLDEN = DATA / "golden"
EXAMPLES = ROOT / "examples.toml"
SVG_NS = "{http://www.w3.org/2000/svg}"
UPDATE = os.environ.get("CNNCALC_REGENERATE_GOLDENS") == "1"


def analysis(file: str, net: str | None = None) -> Analysis:
    networks = load(str(DATA / file))
    return analyze(next(n for n in networks if net is None or n.name == net))


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden {path}; run with CNNCALC_REGENERATE_GOLDENS=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden"


def check_diagram(a: Analysis, depth: int | None = None) -> None:
    """Layout invariants on a real network, plus labels clear of boxes and of each other."""
    graph = build(a, depth)
    lay = place(graph)
    items = [Item(u.id, lay.boxes[u.id].width, lay.boxes[u.id].height, 0.0) for u in graph.units]
    edges = [(link.source, link.target) for link in graph.links]
    check_layout(lay, items, edges, stem=STEM)
    labels = []
    for uid, text in stem_labels(graph).items():
        box = lay.boxes[uid]
        bottom = lay.bands[box.rank][1]
        labels.append((box.x + 5, box.x + 5 + text_width(text, LABEL_SIZE), bottom, bottom + STEM))
    for i, (l0, r0, t0, b0) in enumerate(labels):
        for box in lay.boxes.values():
            assert r0 <= box.left or l0 >= box.right or b0 <= box.y or t0 >= box.bottom
        for l1, r1, t1, b1 in labels[i + 1 :]:
            assert r0 <= l1 or r1 <= l0 or b0 <= t1 or b1 <= t0, "two shape labels overlap"
    # Every layer is in exactly one box, and the SVG is well-formed XML that names them all.
    covered = [name for u in graph.units for name in u.layers]
    assert sorted(covered) == sorted(r.name for r in a.layers)
    root = ET.fromstring(svg_document(a, depth).encode("utf-8"))
    texts = {t.text for t in root.iter(f"{SVG_NS}text")}
    assert {u.name for u in graph.units} <= texts


# --------------------------------------------------------------------------- the graph


def test_one_box_per_layer_with_inputs_and_outputs() -> None:
    g = build(analysis("branched.toml"))
    names = [u.name for u in g.units]
    assert names == [
        "input",
        "stem",
        "left",
        "right_a",
        "right_b",
        "merge",
        "squeeze",
        "residual",
        "maxpool1",
        "flatten1",
        "logits",
        "output",
    ]
    by_id = {u.id: u.name for u in g.units}
    assert [(by_id[k.source], by_id[k.target], k.label) for k in g.links] == [
        ("input", "stem", "16x16x3"),
        ("stem", "left", "16x16x8"),
        ("stem", "right_a", "16x16x8"),
        ("right_a", "right_b", "16x16x4"),
        ("left", "merge", "16x16x8"),
        ("right_b", "merge", "16x16x8"),
        ("merge", "squeeze", "16x16x16"),
        ("stem", "residual", "16x16x8"),
        ("squeeze", "residual", "16x16x8"),
        ("residual", "maxpool1", "16x16x8"),
        ("maxpool1", "flatten1", "8x8x8"),
        ("flatten1", "logits", "512"),
        ("logits", "output", "10"),
    ]
    details = {u.name: u.detail for u in g.units}
    assert details["stem"] == "conv+relu 8, 3/1"
    assert details["merge"] == "concat 2 inputs"
    assert details["residual"] == "add+relu 2 inputs"
    assert details["maxpool1"] == "maxpool 2/2"
    assert g.caption == "16x16x3 → 10 · 5,894 params · 191,488 MACs"


def test_depth_folds_block_instances_into_boxes() -> None:
    a = analysis("resnet_like.toml")
    top = build(a, depth=1)
    assert [u.name for u in top.units] == [
        "input",
        "stem",
        "batchnorm1",
        "basic1_1",
        "basic1_2",
        "stage2",
        "stage3",
        "pool",
        "flatten1",
        "classifier",
        "output",
    ]
    stage2 = next(u for u in top.units if u.name == "stage2")
    assert stage2.detail == "stage · 12 layers"
    assert stage2.params == sum(r.totals.params for r in a.layers if r.name.startswith("stage2."))
    assert stage2.macs == sum(r.effect.macs for r in a.layers if r.name.startswith("stage2."))
    assert stage2.shape == "16x16x32"
    # Depth 2 opens every top-level instance but keeps the nested ones folded.
    second = build(a, depth=2).units
    assert [u.name for u in second if u.kind == "block"] == [
        "stage2.first",
        "stage2.rest",
        "stage3.first",
        "stage3.rest",
    ]
    assert "basic1_1.conv1" in [u.name for u in second]
    # No edge stays inside a folded box, and shapes still label the edges between boxes.
    labels = {(k.source, k.target): k.label for k in top.links}
    ids = {u.name: u.id for u in top.units}
    assert labels[(ids["stage2"], ids["stage3"])] == "16x16x32"
    assert all(k.source != k.target for k in top.links)


def test_shared_block_instances_say_whose_weights_they_use() -> None:
    text = """
    [blocks.tower]
    layers = ["conv 4 kernel=3", "global_pool", "flatten"]
    [net]
    input = { a = [8, 8, 3], b = [8, 8, 3] }
    outputs = ["ta", "tb"]
    layers = [
      { type = "tower", name = "ta", inputs = ["a"] },
      { type = "tower", name = "tb", inputs = ["b"], share = "ta" },
    ]
    """
    from cnncalc import load_text

    a = analyze(load_text(text, "towers.toml")[0])
    details = {u.name: u.detail for u in build(a, depth=1).units}
    assert details["ta"] == "tower · 3 layers"
    assert details["tb"] == "tower · 3 layers · shares ta"
    assert [u.name for u in build(a, 1).units if u.kind == "output"] == ["output 1", "output 2"]


# --------------------------------------------------------------------------- layout on networks


@pytest.mark.parametrize(
    "file", sorted(p.name for p in DATA.glob("*.toml")), ids=lambda name: name.removesuffix(".toml")
)
@pytest.mark.parametrize("depth", [None, 1, 2])
def test_layout_invariants_on_test_networks(file: str, depth: int | None) -> None:
    for net in load(str(DATA / file)):
        check_diagram(analyze(net), depth)


@pytest.mark.skipif(not EXAMPLES.exists(), reason="examples.toml is not in this checkout")
@pytest.mark.parametrize("depth", [None, 1])
def test_layout_invariants_on_every_example(depth: int | None) -> None:
    networks = load(str(EXAMPLES))
    assert networks
    for net in networks:
        check_diagram(analyze(net), depth)


def test_inception_branches_sit_side_by_side() -> None:
    a = analysis("inception_like.toml")
    graph = build(a)
    lay = place(graph)
    ids = {u.name: u.id for u in graph.units}
    heads = ["mixed1.b1", "mixed1.b2_reduce", "mixed1.b3_reduce", "mixed1.b4_pool"]
    boxes = [lay.boxes[ids[h]] for h in heads]
    assert len({b.rank for b in boxes}) == 1
    assert len({b.y + b.height / 2 for b in boxes}) == 1
    ordered = sorted(boxes, key=lambda b: b.x)
    assert all(p.right < q.left for p, q in zip(ordered, ordered[1:], strict=False))
    # The concat receives its four branches at four distinct points.
    ends = [r.points[-1] for r in lay.routes if r.target == ids["mixed1.out"]]
    assert len(ends) == 4 and len({x for x, _ in ends}) == 4


def test_residual_skips_run_beside_the_block() -> None:
    a = analysis("resnet_like.toml")
    graph = build(a)
    lay = place(graph)
    ids = {u.name: u.id for u in graph.units}
    skip = next(
        r
        for r in lay.routes
        if (r.source, r.target) == (ids["basic1_1.add1"], ids["basic1_2.add1"])
    )
    runs = {x for x, _ in skip.points[2:-2]}
    assert len(runs) == 1  # a straight line past the block's layers
    body = lay.boxes[ids["basic1_2.conv2"]]
    (x,) = runs
    assert x > body.right or x < body.left


# --------------------------------------------------------------------------- SVG


def test_golden_svg_of_a_branched_network() -> None:
    golden("branched.svg", svg_document(analysis("branched.toml")))


def test_golden_svg_folded_and_scaled() -> None:
    golden("resnet_like_depth1_macs.svg", svg_document(analysis("resnet_like.toml"), 1, "macs"))


def test_svg_is_self_contained() -> None:
    text = svg_document(analysis("resnet_like.toml"), None, "params")
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{SVG_NS}svg"
    tags = {el.tag.removeprefix(SVG_NS) for el in root.iter()}
    assert tags <= {"svg", "title", "defs", "marker", "path", "rect", "text", "g"}
    for el in root.iter():
        for key, value in el.attrib.items():
            assert "href" not in key
            assert "http" not in value or key == "xmlns" or value.startswith("url(#")
            assert not key.startswith("on")
    assert "@import" not in text and "<script" not in text


def test_scale_sizes_boxes_by_cost() -> None:
    a = analysis("lenet5.toml")
    plain = place(build(a))
    by_macs = place(build(a), "macs")
    ids = {u.name: u.id for u in build(a).units}
    c3, f6 = by_macs.boxes[ids["c3"]], by_macs.boxes[ids["f6"]]
    # c3 is the costliest layer: the largest box; area in proportion to MACs above the minimum.
    assert (c3.width, c3.height) == (320.0, 150.0)
    assert c3.width * c3.height > 4 * f6.width * f6.height
    assert plain.boxes[ids["c3"]].height == 40.0
    assert by_macs.boxes[ids["s2"]].height == 40.0  # pooling has no MACs: the smallest box


def test_markup_in_names_is_escaped_in_svg() -> None:
    for net in load(str(DATA / "markup.toml")):
        a = analyze(net)
        for depth in (None, 1):
            text = svg_document(a, depth)
            root = ET.fromstring(text.encode("utf-8"))  # well-formed: nothing broke out
            tags = {el.tag.removeprefix(SVG_NS) for el in root.iter()}
            assert "script" not in tags and "img" not in tags
            texts = {t.text for t in root.iter(f"{SVG_NS}text")}
            names = {el.get("data-name") for el in root.iter(f"{SVG_NS}g")}
            for name in ("<script>alert('x')</script>", 'say "hi" \\ & <b>bold</b>', "]]><!-- -->"):
                assert name in texts and name in names
            assert "<script>" not in text and "<b>" not in text
            assert "<script>alert(1)</script>: " in root.findtext(f"{SVG_NS}title", "")


def test_svg_is_deterministic_across_processes(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"net{seed}.svg"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "cnncalc",
                "diagram",
                str(DATA / "inception_like.toml"),
                "--scale",
                "params",
                "-o",
                str(out),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


# --------------------------------------------------------------------------- DOT


def test_golden_dot_of_a_branched_network() -> None:
    golden("branched.dot", dot(analysis("branched.toml")))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("file", ["branched.toml", "resnet_like.toml", "markup.toml"])
def test_dot_parses(file: str) -> None:
    pydot = pytest.importorskip("pydot")
    for net in load(str(DATA / file)):
        a = analyze(net)
        graph = build(a)
        text = dot(a, None, "params")
        (parsed,) = pydot.graph_from_dot_data(text)
        assert parsed.get_name().strip('"') == net.name.replace('"', '\\"')
        nodes = {n.get_name() for n in parsed.get_nodes()} - {"node", "edge", "graph"}
        assert nodes == {u.id for u in graph.units}
        assert len(parsed.get_edges()) == len(graph.links)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("file", ["branched.toml", "markup.toml"])
def test_dot_renders_with_graphviz(file: str) -> None:
    for net in load(str(DATA / file)):
        a = analyze(net)
        done = subprocess.run(
            ["dot", "-Tsvg"], input=dot(a, 1), capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        root = ET.fromstring(done.stdout.encode("utf-8"))
        texts = {t.text for t in root.iter(f"{SVG_NS}text")}
        for u in build(a, 1).units:
            assert u.name in texts


# --------------------------------------------------------------------------- CLI


def test_cli_writes_svg_and_dot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lenet.svg"
    assert main(["diagram", str(DATA / "lenet5.toml"), "-o", str(out)]) == 0
    assert capsys.readouterr() == ("", "")
    assert out.read_text(encoding="utf-8") == svg_document(analysis("lenet5.toml"))
    assert main(["diagram", str(DATA / "lenet5.toml"), "--format", "dot", "--depth", "1"]) == 0
    assert capsys.readouterr().out == dot(analysis("lenet5.toml"), 1)


def test_cli_needs_net_for_a_file_of_several(capsys: pytest.CaptureFixture[str]) -> None:
    file = str(DATA / "towers.toml")
    assert main(["diagram", file]) == 2
    assert capsys.readouterr().err == (
        f"{file}: --net: the file has 2 networks and a diagram draws one; "
        "choose it with --net (towers, chain)\n"
    )
    assert main(["diagram", file, "--net", "chain"]) == 0
    assert "<svg" in capsys.readouterr().out


def test_cli_reports_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = str(DATA / "lenet5.toml")
    assert main(["diagram", file, "--depth", "0"]) == 2
    assert "--depth" in capsys.readouterr().err
    assert main(["diagram", file, "--scale", "flops"]) == 2
    assert "--scale" in capsys.readouterr().err
    missing = tmp_path / "no" / "such" / "dir.svg"
    assert main(["diagram", file, "-o", str(missing)]) == 2
    assert (
        capsys.readouterr().err == f"{missing}: cannot write the file: No such file or directory\n"
    )


def test_cli_inline_layers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "--input", "28x28x1", "--layers", "conv 4 kernel=3; maxpool 2"]) == 0
    root = ET.fromstring(capsys.readouterr().out.encode("utf-8"))
    texts = {t.text for t in root.iter(f"{SVG_NS}text")}
    assert {"conv1", "maxpool1", "26x26x4", "13x13x4"} <= texts


def test_diagram_help_has_an_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["diagram", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.replace("`", "").split())
    assert "cnncalc diagram examples.toml --net resnet50 --depth 1 -o resnet50.svg" in out
    assert "--scale" in out and "--depth" in out


def test_symbolic_shapes_keep_their_sizes_apart(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "--input", "HxWx3", "--layers", "conv 8 kernel=3; maxpool 2"]) == 0
    root = ET.fromstring(capsys.readouterr().out.encode("utf-8"))
    texts = {t.text for t in root.iter(f"{SVG_NS}text")}
    assert {"[H, W, 3]", "[H − 2, W − 2, 8]", "[⌊H/2⌋ − 1, ⌊W/2⌋ − 1, 8]"} <= texts


def test_diagram_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    text = (DATA / "lenet5.toml").read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    assert main(["diagram", "-", "--format", "dot"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('digraph "lenet5" {')
    assert '"c3\\nconv+tanh 16, 5/1"' in out


def test_upsample_has_a_colour_and_a_legend_entry_of_its_own() -> None:
    assert GROUP_OF["upsample"] == "upsample" and GROUP_OF["reshape"] == "reshape"
    assert GROUPS["upsample"][:2] != GROUPS["reshape"][:2]


def test_control_characters_in_names_leave_valid_xml(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "net.toml"
    path.write_text(
        'name = "n\\u0000\\u0007\\r\\u202e"\ninput = [8, 8, 3]\n'
        'layers = ["conv 4 kernel=3 name=\\"c\\u001b[31m\\"", "relu"]\n'
    )
    code, out, err = cli("diagram", str(path))
    assert (code, err) == (0, "")
    root = ET.fromstring(out)  # raised on the raw characters, which XML forbids
    assert root.find("{http://www.w3.org/2000/svg}title").text.startswith("n\\x00\\x07\\x0d\\u202e")
    assert 'data-name="c\\x1b[31m"' in out
    code, out, err = cli("diagram", str(path), "-f", "dot")
    assert "\x1b" not in out and "\x00" not in out and '"c\\\\x1b[31m' in out
