"""Random networks must agree with PyTorch exactly: shapes, parameters, MACs, receptive fields.

Hypothesis builds valid networks layer by layer (1-D to 3-D, every layer type, odd
kernels, strides, dilations, asymmetric padding pairs, groups, ceil pooling, branches
joined by add, multiply (broadcast gates) and concat, transposed convolutions with
output_padding, upsampling, reshapes; attention global and in shifted or grid windows,
patch merging, tokens with class tokens and position embeddings). Each is exported, run
by torch and compared with cnncalc; a failure prints the shrunk network as a TOML file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torchcheck import (  # noqa: E402
    analyses_of_text,
    compare,
    import_code,
    measure_fields,
    round_trip,
    summary,
)

from cnncalc.engine.walk import analyze  # noqa: E402
from cnncalc.errors import CnnCalcError  # noqa: E402
from cnncalc.interop.torch_export import export_pytorch  # noqa: E402
from cnncalc.spec.load import load_text  # noqa: E402

EXAMPLES = int(os.environ.get("CNNCALC_RANDOM_NETWORKS", "500"))  # at least 300 in CI
MAX_SIZE = {1: 40, 2: 18, 3: 8}


# --------------------------------------------------------------------------- TOML


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def toml_text(shape: list[int], layers: list[dict[str, Any]]) -> str:
    lines = ['name = "random"', f"input = {toml_value(shape)}", "layers = ["]
    for entry in layers:
        body = ", ".join(f"{k} = {toml_value(v)}" for k, v in entry.items())
        lines.append(f"  {{ {body} }},")
    return "\n".join(lines + ["]", ""])


def shapes_of(shape: list[int], layers: list[dict[str, Any]]) -> dict[str, tuple[int, ...]] | None:
    """Every layer's output shape, or None when cnncalc rejects the network."""
    try:
        a = analyze(load_text(toml_text(shape, layers), "random.toml")[0])
    except CnnCalcError:
        return None
    return {r.name: tuple(r.shape) for r in a.layers}


# --------------------------------------------------------------------------- strategy


def per_axis(draw: Any, n: int, values: st.SearchStrategy[int]) -> int | list[int]:
    """One value for every axis, or one per axis."""
    if draw(st.booleans()):
        one: int = draw(values)
        return one
    return [draw(values) for _ in range(n)]


def divisors(c: int) -> list[int]:
    return [g for g in range(1, c + 1) if c % g == 0]


def conv_entry(draw: Any, n: int, channels: int) -> dict[str, Any]:
    g = draw(st.sampled_from(divisors(channels)))
    entry: dict[str, Any] = {
        "type": "conv",
        "filters": g * draw(st.integers(1, 3)),
        "kernel": per_axis(draw, n, st.integers(1, 4)),
    }
    if draw(st.booleans()):
        entry["stride"] = per_axis(draw, n, st.integers(1, 3))
    if draw(st.integers(0, 3)) == 0:
        entry["dilation"] = per_axis(draw, n, st.integers(1, 2))
    entry["padding"] = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.integers(0, 2),
            st.lists(st.integers(0, 2), min_size=n, max_size=n),
            st.lists(st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=n, max_size=n),
        )
    )
    if g > 1:
        entry["groups"] = g
    if draw(st.integers(0, 3)) == 0:
        entry["bias"] = False
    return entry


def transpose_entry(draw: Any, n: int, channels: int) -> dict[str, Any]:
    g = draw(st.sampled_from(divisors(channels)))
    stride = draw(st.sampled_from([1, 2, 2, 3]))
    dilation = draw(st.sampled_from([1, 1, 2]))
    entry: dict[str, Any] = {
        "type": "conv_transpose",
        "filters": g * draw(st.integers(1, 3)),
        "kernel": per_axis(draw, n, st.integers(1, 4)),
        "stride": stride,
    }
    if dilation > 1:
        entry["dilation"] = dilation
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same"]),
            st.integers(0, 2),
            st.lists(st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=n, max_size=n),
        )
    )
    entry["padding"] = padding
    if padding != "same" and max(stride, dilation) > 1 and draw(st.booleans()):
        entry["output_padding"] = draw(st.integers(0, max(stride, dilation) - 1))
    if g > 1:
        entry["groups"] = g
    return entry


def pool_entry(draw: Any, n: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "pool",
        "mode": draw(st.sampled_from(["max", "avg"])),
        "kernel": per_axis(draw, n, st.integers(1, 3)),
    }
    if draw(st.booleans()):
        entry["stride"] = per_axis(draw, n, st.integers(1, 3))
    entry["padding"] = draw(
        st.one_of(
            st.sampled_from(["valid", "same"]),
            st.integers(0, 1),
            st.lists(st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=n, max_size=n),
        )
    )
    if draw(st.booleans()):
        entry["ceil"] = True
    return entry


ACTS = ["relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "silu", "swish"]
ACTS += ["hardswish", "hardsigmoid", "relu6", "mish", "softplus", "selu", "prelu"]
SIMPLE = [*ACTS, "batchnorm", "dropout", "prelu per_channel"]


def upsample_entry(draw: Any, n: int, others: list[str]) -> dict[str, Any]:
    """Every mode its rank allows, by a scale (whole or not), to a size or to the size of
    one of ``others`` (earlier layers of the same rank), align_corners."""
    modes = ["nearest", "linear", {1: "linear", 2: "bilinear", 3: "trilinear"}[n]]
    mode = draw(st.sampled_from(modes + (["bicubic"] if n == 2 else [])))
    entry: dict[str, Any] = {"type": "upsample", "mode": mode}
    how = draw(st.sampled_from(["scale", "size", "to"]))
    if how == "scale":
        entry["scale"] = per_axis(draw, n, st.sampled_from([1, 2, 3, 1.5, 2.5, 0.75]))
    elif how == "size" or not others:
        entry["size"] = per_axis(draw, n, st.integers(1, MAX_SIZE[n] + 6))
    else:
        entry["to"] = draw(st.sampled_from(others))
    if mode != "nearest" and draw(st.booleans()):
        entry["align_corners"] = True
    return entry


def surgery_entry(draw: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """slice, channel_shuffle, pad, crop, identity, drop_path; pixel shuffles in 2-D (torch's
    modules, which the import reads back)."""
    n, c = len(shape) - 1, shape[-1]
    kinds = ["slice", "channel_shuffle", "pad", "crop", "identity", "drop_path"]
    kind = draw(st.sampled_from(kinds + (["pixel_shuffle", "pixel_unshuffle"] if n == 2 else [])))
    pairs = [[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in range(n)]
    if kind == "slice":
        start = draw(st.integers(0, c - 1))
        return {"type": "slice", "start": start, "end": draw(st.integers(start + 1, c))}
    if kind == "channel_shuffle":
        return {"type": kind, "groups": draw(st.sampled_from(divisors(c)))}
    if kind == "pad":
        mode = draw(st.sampled_from(["zero", "reflect", "replicate"]))
        return {"type": "pad", "padding": pairs, "mode": mode}
    if kind == "crop":
        return {"type": "crop", "crop": pairs}
    if kind.startswith("pixel"):
        return {"type": kind, "factor": draw(st.sampled_from([1, 2]))}
    return {"type": kind}


def norm_entry(draw: Any, channels: int) -> dict[str, Any]:
    """layernorm, groupnorm, instancenorm, the layer scale or fixed statistics, with options."""
    kind = draw(st.sampled_from(["layernorm", "groupnorm", "instancenorm", "scale", "standardize"]))
    entry: dict[str, Any] = {"type": kind}
    if kind == "layernorm" and draw(st.booleans()):
        entry["over"] = "all"
    if kind == "groupnorm":
        entry["groups"] = draw(st.sampled_from(divisors(channels)))
    if kind == "instancenorm":
        entry["track_running_stats"] = draw(st.booleans())
    if kind == "standardize":
        return entry | ({"count": True} if draw(st.booleans()) else {})
    if kind != "scale" and draw(st.booleans()):
        entry["affine"] = kind == "instancenorm"
    if kind == "scale" and draw(st.booleans()):
        entry["bias"] = True
    return entry


def attention_entries(draw: Any, shape: tuple[int, ...]) -> list[dict[str, Any]]:
    """Attention (global; or in block windows, shifted or not; or a grid), its options,
    patch merging, or tokens with a class token, a position embedding, the first token
    and the grid back."""
    n, c = len(shape) - 1, shape[-1]
    kind = draw(st.sampled_from(["attention", "windowed", "grid", "merge", "tokens"]))
    if kind == "merge":
        entry: dict[str, Any] = {"type": "patch_merging"}
        if draw(st.booleans()):
            entry["filters"] = draw(st.integers(1, 6))
        return [entry]
    if kind == "tokens":
        lead = draw(st.integers(0, 2))
        out: list[dict[str, Any]] = [{"type": "tokens"}]
        length = 1
        for size in shape[:-1]:
            length *= size
        if lead:
            out.append({"type": "param", "shape": [lead, c], "mode": "concat"})
        if draw(st.booleans()):
            out.append({"type": "param", "shape": [length + lead, c]})
        if draw(st.booleans()):
            out.append({"type": "fc", "units": draw(st.integers(1, 4))})
        # attention, the first tokens, the grid back, or any layer next (a window sliding
        # along the sequence sees the whole input)
        last = draw(st.sampled_from(["attention", "first", "grid", "open"]))
        if last == "open":
            return out
        if last == "attention":
            heads = draw(st.sampled_from(divisors(out[-1].get("units", c))))
            out.append({"type": "attention", "heads": heads})
        elif last == "first":
            out.append({"type": "slice", "axis": 0, "start": 0, "end": draw(st.integers(1, 2))})
            out.append({"type": "flatten"})
        elif not lead:
            out.append({"type": "grid", "size": list(shape[:-1])})
        else:
            out.append({"type": "flatten"})
        return out
    dim = c if draw(st.booleans()) else draw(st.integers(1, 3)) * draw(st.integers(1, 2))
    entry = {"type": "attention", "heads": draw(st.sampled_from(divisors(dim)))}
    if dim != c:
        entry["dim"] = dim
    for bias in ("qkv_bias", "proj_bias"):
        if draw(st.integers(0, 3)) == 0:
            entry[bias] = False
    if kind == "windowed":
        window = per_axis(draw, n, st.integers(1, 4))
        entry["window"] = window
        widths = window if isinstance(window, list) else [window] * n
        if draw(st.booleans()):
            entry["shift"] = [draw(st.integers(0, w - 1)) for w in widths]
    elif kind == "grid":
        entry["window"] = [draw(st.sampled_from(divisors(s))) for s in shape[:-1]]
        entry["partition"] = "grid"
    if kind != "attention" and draw(st.integers(0, 3)) == 0:
        entry["relative_bias"] = False
    return [entry]


@st.composite
def networks(draw: Any) -> str:
    """A valid random network as TOML text."""
    n = draw(st.sampled_from([1, 2, 2, 2, 3]))
    shape = [draw(st.integers(2, MAX_SIZE[n])) for _ in range(n)] + [draw(st.integers(1, 4))]
    layers: list[dict[str, Any]] = []
    shapes: dict[str, tuple[int, ...]] = {"input": tuple(shape)}
    last = "input"
    count = 0

    def add(*entries: dict[str, Any]) -> bool:
        nonlocal last, count
        named = []
        for entry in entries:
            count += 1
            named.append({**entry, "name": f"l{count}"})
        found = shapes_of(shape, layers + named)
        if found is None:
            return False
        layers.extend(named)
        shapes.update(found)
        last = named[-1]["name"]
        return True

    for _ in range(draw(st.integers(1, 7))):
        current = shapes[last]
        spatial = len(current) - 1
        if spatial == 0:
            kind = draw(st.sampled_from(["fc", "simple", "reshape_image"]))
        else:
            kind = draw(
                st.sampled_from(
                    ["conv"] * 4
                    + ["conv_transpose", "conv_transpose", "pool", "pool", "upsample", "simple"]
                    + ["add", "concat", "skip", "global_pool", "flatten", "reshape", "gate"]
                    + ["norm", "norm", "fc", "adaptive_pool", "surgery", "surgery"]
                    + ["attention", "attention"]
                )
            )
        c = current[-1]
        entry: dict[str, Any]
        if kind == "conv":
            entry = conv_entry(draw, spatial, c)
            if draw(st.integers(0, 2)) == 0:
                entry["activation"] = draw(st.sampled_from(ACTS))
            ok = add(entry)
        elif kind == "conv_transpose":
            ok = add(transpose_entry(draw, spatial, c))
        elif kind == "pool":
            ok = add(pool_entry(draw, spatial))
        elif kind == "upsample":
            others = [k for k, v in shapes.items() if len(v) == len(current)]
            ok = add(upsample_entry(draw, spatial, others))
        elif kind == "simple":
            simple = draw(st.sampled_from(SIMPLE))
            per_channel = {"per_channel": True} if simple.endswith("per_channel") else {}
            ok = add({"type": simple.split()[0], **per_channel})
        elif kind == "add":  # a residual branch: same-padded conv, then add
            k = draw(st.sampled_from([1, 3]))
            ok = add(
                {"type": "conv", "filters": c, "kernel": k, "padding": "same"},
                {"type": "add", "inputs": [last, f"l{count + 1}"]},
            )
        elif kind == "concat":  # two branches of different widths, then concat
            origin = last
            ok = add(
                {"type": "conv", "filters": draw(st.integers(1, 3)), "kernel": 1},
                {"type": "pool", "inputs": [origin], "kernel": 3, "stride": 1, "padding": "same"},
                {"type": "concat", "inputs": [f"l{count + 1}", f"l{count + 2}"]},
            )
        elif kind == "skip":  # join an earlier tensor of the same spatial size (U-Net)
            same = [k for k, s in shapes.items() if k != last and s[:-1] == current[:-1]]
            if not same:
                ok = add({"type": "relu"})
            else:
                other = draw(st.sampled_from(same))
                if shapes[other] == current and draw(st.booleans()):
                    ok = add({"type": "add", "inputs": [other, last]})
                else:
                    ok = add({"type": "concat", "inputs": [other, last]})
        elif kind == "gate":  # squeeze-and-excitation, or a gate pooled along one axis
            origin, op = last, draw(st.sampled_from(["multiply", "add"]))
            if draw(st.booleans()):
                squeeze = {"type": "global_pool", "inputs": [origin]}
            else:
                squeeze = {
                    "type": "pool",
                    "inputs": [origin],
                    "kernel": [current[0]] + [1] * (spatial - 1),
                }
            ok = add(
                squeeze,
                {"type": "conv", "filters": c, "kernel": 1, "activation": "sigmoid"},
                {"type": op, "inputs": [origin, f"l{count + 2}"]},
            )
        elif kind == "norm":
            ok = add(norm_entry(draw, c))
        elif kind == "surgery":
            ok = add(surgery_entry(draw, current))
        elif kind == "attention":
            ok = add(*attention_entries(draw, current))
        elif kind == "adaptive_pool":  # to sizes around the input's: bins of several widths
            out = [max(1, s + draw(st.integers(-s, 2))) for s in current[:-1]]
            mode = draw(st.sampled_from(["avg", "max"]))
            ok = add({"type": "adaptive_pool", "output": out, "mode": mode})
        elif kind == "global_pool":
            ok = add({"type": "global_pool", "mode": draw(st.sampled_from(["avg", "max"]))})
        elif kind == "flatten":
            ok = add({"type": "flatten"})
        elif kind == "reshape":  # split the channels (keeps the spatial axes) or flatten
            target = [*current[:-1], 1, c] if spatial < 3 and draw(st.booleans()) else [-1]
            ok = add({"type": "reshape", "shape": target})
        elif kind == "reshape_image":
            size = current[0]
            ok = size % 2 == 0 and add({"type": "reshape", "shape": [2, size // 2]})
        else:  # fc
            ok = add({"type": "fc", "units": draw(st.integers(1, 6))})
        if not ok:
            add({"type": "relu"})
    return toml_text(shape, layers)


# --------------------------------------------------------------------------- the property


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("random")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=networks())
def test_random_networks_agree_with_torch(text: str, workdir: Path) -> None:
    note("the network, as a TOML file:\n" + text)
    (a,) = analyses_of_text(text, "random.toml")
    ex = export_pytorch([a])
    module = import_code(ex.code, workdir)
    bad = compare(a, ex, module, batch=2)
    bad.extend(measure_fields(a, workdir)[0])
    back = summary(round_trip(a, workdir))  # export, then import with torch.fx
    bad.check("after export and import", summary(a), back)
    assert not bad, "cnncalc and torch disagree on this network:\n" + text + "\n" + "\n".join(bad)


# --------------------------------------------------------------------------- what exploration found

# A known defect, found by `CNNCALC_RANDOM_NETWORKS=4000`: a grid partition over a
# transposed convolution's output, whose units have gaps between their fields, gives one
# unit a field a pixel too wide on each side (cnncalc (-1, 3), autograd (0, 2)).
GRID_AFTER_GAPS = """\
name = "random"
input = [3, 3, 3, 2]
layers = [
  "conv_transpose 1 kernel=3 stride=2 dilation=2 padding=valid name=l1",
  "attention 1 window=[1,1,3] partition=grid relative_bias=false qkv_bias=false name=l2",
]
"""


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="grid attention's field after a transposed conv"
)
def test_grid_attention_after_a_transposed_conv_with_gaps(workdir: Path) -> None:
    (a,) = analyses_of_text(GRID_AFTER_GAPS, "random.toml")
    bad = measure_fields(a, workdir)[0]
    assert not bad, "\n".join(bad)
