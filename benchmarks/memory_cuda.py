"""cnncalc's training peak against what CUDA really allocates, per example network.

Run from the repository root on a machine with a CUDA device:
``python benchmarks/memory_cuda.py [--batch 8] [--dtype float32] [--optimizer adamw]``.
Each network of examples.toml is exported to PyTorch, moved to the GPU, and trained for
two steps (the optimizer's states exist from the first step on); the table compares
``torch.cuda.max_memory_allocated()`` over the second step with cnncalc's
``training_peak_bytes`` (``--device cuda``) and gives the ratio. This is a measurement,
not a test: the allocator rounds every block up, keeps cuDNN workspaces and may free
saved tensors early, so the ratio is not expected to be 1. Without CUDA it says so and
measures nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DTYPES = ("float32", "float16", "bfloat16")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--dtype", choices=DTYPES, default="float32")
    parser.add_argument(
        "--optimizer", choices=("sgd", "momentum", "adam", "adamw"), default="adamw"
    )
    parser.add_argument("--net", action="append", help="only these networks (repeatable)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("torch is not installed (pip install torch): nothing measured")
        return 0
    if not torch.cuda.is_available():
        print("no CUDA device: nothing measured (the ratio needs a GPU)")
        return 0

    from cnncalc import analyze, load
    from cnncalc.interop.torch_export import export_pytorch
    from cnncalc.reports.memory import Settings, measure

    settings = Settings(args.batch, args.dtype, "cuda", args.optimizer)
    dtype = getattr(torch, args.dtype)
    workdir = Path(tempfile.mkdtemp(prefix="cnncalc-memory-"))
    print(f"{'network':24} {'cnncalc (bytes)':>18} {'CUDA peak (bytes)':>18} {'ratio':>7}")
    for n in load(str(ROOT / "examples.toml")):
        if args.net and n.name not in args.net:
            continue
        a = analyze(n)
        predicted = measure(a, settings).training_peak_bytes
        ex = export_pytorch([a])
        path = workdir / f"{n.name}_model.py"
        path.write_text(ex.code, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        info = ex.networks[n.name]
        try:
            peak = train_peak(getattr(module, info.class_name), a, info, args, dtype)
        except torch.OutOfMemoryError:
            print(f"{n.name:24} {predicted:>18,} {'out of memory':>18}")
            continue
        print(f"{n.name:24} {predicted:>18,} {peak:>18,} {peak / predicted:>7.3f}")
    return 0


def train_peak(cls: type, a: Any, info: Any, args: Any, dtype: Any) -> int:
    """Peak bytes allocated during the second training step (states exist by then)."""
    import torch as t

    model = cls().to(device="cuda", dtype=dtype).train()
    optimizers = {
        "sgd": lambda p: t.optim.SGD(p, lr=0.01),
        "momentum": lambda p: t.optim.SGD(p, lr=0.01, momentum=0.9),
        "adam": lambda p: t.optim.Adam(p),
        "adamw": lambda p: t.optim.AdamW(p),
    }
    opt = optimizers[args.optimizer](model.parameters())
    shapes = [a.network.inputs[name] for name in info.inputs]
    dims = [s if len(s) == 1 else (s[-1], *s[:-1]) for s in shapes]  # (C, spatial…)
    xs = [t.randn(args.batch, *d, device="cuda", dtype=dtype) for d in dims]
    for step in range(2):
        if step == 1:
            t.cuda.synchronize()
            t.cuda.reset_peak_memory_stats()
        opt.zero_grad(set_to_none=True)
        out = model(*xs)
        outs = out if isinstance(out, tuple) else (out,)
        sum(o.float().sum() for o in outs).backward()
        opt.step()
    t.cuda.synchronize()
    return int(t.cuda.max_memory_allocated())


if __name__ == "__main__":
    sys.exit(main())
