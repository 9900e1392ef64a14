"""cnncalc's memory figures against real PyTorch (CPU), exactly.

For every example network, every network under tests/data/torch/ and random networks,
at batch 1 and 3, in float32 and bfloat16: the bytes autograd saves in a training
forward (recorded with ``torch.autograd.graph.saved_tensors_hooks``, per layer and in
total, a tensor counted at the first layer that saves it, parameters and buffers left
out) equal cnncalc's ``--device cpu`` figures; the inference peak equals a replay of the
exported module's layer outputs, freeing each after its last reader; and the optimizer
states equal ``optimizer.state`` after one step.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from memorycheck import (  # noqa: E402
    build,
    inference_peak,
    optimizer_state_bytes,
    saved_per_layer,
)
from test_torch_random import networks  # noqa: E402
from torchcheck import analyses_of_file, analyses_of_text  # noqa: E402

from cnncalc.engine.walk import Analysis, LayerResult  # noqa: E402
from cnncalc.reports.memory import Settings, measure  # noqa: E402
from conftest import skip_unexported  # noqa: E402

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
TORCH_NETS = sorted((DATA / "torch").glob("*.toml")) + [DATA / "memory" / "edges.toml"]
EXAMPLES = [
    (ROOT / "examples.toml", a.network.name) for a in analyses_of_file(ROOT / "examples.toml")
]
CASES = EXAMPLES + [(p, a.network.name) for p in TORCH_NETS for a in analyses_of_file(p)]
RANDOM = max(int(os.environ.get("CNNCALC_RANDOM_NETWORKS", "500")) // 10, 20)


def analysis(path: Path, name: str) -> Analysis:
    a = next(a for a in analyses_of_file(path) if a.network.name == name)
    skip_unexported(a)
    return a


def overallocated(r: LayerResult) -> bool:
    """torch's CPU 3-D transposed convolution with padding returns its output inside a
    larger buffer (a 1x1x1 output of a 2x2x2 input holds 8 values): its memory is not the
    output's size, and such networks are not compared (what keeps or holds that output
    would count the buffer)."""
    pad = r.effect.padding
    return (
        r.node.layer.kind == "conv_transpose"
        and len(r.shape) == 4
        and any(p0 or p1 for p0, p1 in pad or ())
    )


def reshapes_a_partial_slice(a: Analysis) -> bool:
    """A reshape (flatten, reshape, tokens, grid) of a view of part of an axis (a slice).

    Known defect: cnncalc's memory model takes every view to be of contiguous memory, as
    each layer's own output is. The view of part of an axis is not (its batch stride is the
    whole axis's), and torch copies it where a later reshape needs contiguous memory, which
    cnncalc does not count. Such networks are not compared; the regression example below
    keeps the case in sight.
    """
    strided: dict[str, bool] = {}
    for r in a.layers:
        layer = r.node.layer
        reads = any(strided.get(n, False) for n in r.inputs)
        if layer.kind in ("flatten", "reshape", "tokens", "grid") and reads:
            return True
        if layer.kind == "slice":
            axis = layer.which(r.input_shapes[0])
            strided[r.name] = reads or r.shape[axis] != r.input_shapes[0][axis]
        elif layer.aliases(r.input_shapes, r.effect, True):
            strided[r.name] = reads
    return False


def disagreements(a: Analysis, workdir: Path, dtype: str) -> list[str]:
    """Every difference between cnncalc and torch at batch 1 and 3 in one dtype."""
    built = build(a, workdir, dtype)
    runs = {}
    for b in (1, 3):
        try:
            runs[b] = (saved_per_layer(a, built, b, dtype), inference_peak(a, built, b, dtype))
        except ValueError as error:  # batchnorm on a flat vector trains on 2 samples or more
            if b != 1 or "more than 1 value per channel" not in str(error):
                raise
            runs[2] = (saved_per_layer(a, built, 2, dtype), inference_peak(a, built, 2, dtype))
    bad = []
    for b, (saved, (peak, live)) in runs.items():
        m = measure(a, Settings(batch=b, dtype=dtype, device="cpu"))
        for lm in m.layers:
            if lm.saved_bytes != saved[lm.name]:
                bad.append(f"batch {b} {lm.name}: saved {lm.saved_bytes}, torch {saved[lm.name]}")
            if lm.live_bytes != live[lm.name]:
                bad.append(f"batch {b} {lm.name}: live {lm.live_bytes}, torch {live[lm.name]}")
        if m.saved_bytes != sum(saved.values()):
            bad.append(f"batch {b}: saved {m.saved_bytes}, torch {sum(saved.values())}")
        if m.inference_peak_bytes != peak:
            bad.append(f"batch {b}: inference peak {m.inference_peak_bytes}, torch {peak}")
    return bad


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("memory")


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p.stem}-{n}" for p, n in CASES])
def test_saved_and_peak_equal_torch(path: Path, name: str, dtype: str, workdir: Path) -> None:
    try:
        bad = disagreements(analysis(path, name), workdir, dtype)
    except NotImplementedError as error:  # torch's CPU 3-D average pooling has no bfloat16
        pytest.skip(f"torch cannot run {name} in {dtype} on the CPU: {error}")
    assert not bad, "\n".join(bad)


@settings(
    max_examples=RANDOM,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=networks(), dtype=st.sampled_from(["float32", "bfloat16"]))
def test_random_networks_memory_equals_torch(text: str, dtype: str, workdir: Path) -> None:
    note("the network, as a TOML file:\n" + text)
    (a,) = analyses_of_text(text, "random.toml")
    if any(overallocated(r) for r in a.layers):
        note("a padded 3-D conv_transpose: torch's output buffer is larger; not compared")
        return
    if reshapes_a_partial_slice(a):
        note("a reshape of part of an axis: torch's copy is not in cnncalc's model")
        return
    try:
        bad = disagreements(a, workdir, dtype)
    except NotImplementedError:  # torch's CPU 3-D average pooling has no bfloat16
        note(f"torch cannot run it in {dtype}: float32 instead")
        bad = disagreements(a, workdir, "float32")
    assert not bad, "cnncalc and torch disagree on this network:\n" + text + "\n" + "\n".join(bad)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adamw"])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("path", TORCH_NETS, ids=[p.stem for p in TORCH_NETS])
def test_optimizer_states_equal_torch(
    path: Path, dtype: str, optimizer: str, workdir: Path
) -> None:
    for a in analyses_of_file(path):
        built = build(a, workdir, dtype)
        try:
            measured = optimizer_state_bytes(a, built, optimizer, dtype)
        except NotImplementedError as error:
            pytest.skip(f"torch cannot train {a.network.name} in {dtype} on the CPU: {error}")
        m = measure(a, Settings(dtype=dtype, device="cpu", optimizer=optimizer))
        assert m.optimizer_bytes == measured, a.network.name


PARTIAL_SLICE_RESHAPED = """
name = "random"
input = [2, 2, 1]
layers = [
  { type = "tokens", name = "l1" },
  { type = "slice", axis = 0, start = 0, end = 2, name = "l2" },
  { type = "flatten", name = "l3" },
  { type = "reshape", shape = [2, 1], name = "l4" },
]
"""


@pytest.mark.xfail(strict=True, reason="a reshape's copy of a partial slice (see above)")
def test_a_reshape_of_part_of_an_axis_counts_torch_copy(workdir: Path) -> None:
    """Found by the random networks: at batch 3 torch copies l4 (its input's batch stride is
    the whole token axis's), 24 bytes live that cnncalc does not count."""
    (a,) = analyses_of_text(PARTIAL_SLICE_RESHAPED, "random.toml")
    assert reshapes_a_partial_slice(a)
    assert not disagreements(a, workdir, "float32")
