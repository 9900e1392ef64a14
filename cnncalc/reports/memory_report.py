"""The memory report: a Memory → a neutral Table (every format draws it) or its JSON."""

from __future__ import annotations

from typing import Any

from cnncalc.engine.walk import Analysis
from cnncalc.layers.base import fmt_shape
from cnncalc.reports.memory import Fit, Memory
from cnncalc.reports.tables import (
    BASE,
    COUNT,
    SHARE,
    Column,
    Table,
    base_row,
    binary_size,
    header,
    share,
)


def settings_text(m: Memory) -> str:
    s = m.settings
    what = f"batch {s.batch}, {s.dtype}, {s.device}, optimizer {s.optimizer}"
    return what + (", mixed precision" if s.mixed_precision else "")


def memory_table(a: Analysis, m: Memory, fit: Fit | None = None) -> Table:
    """One row per layer: the bytes it leaves for backward, its output, what is live."""
    cols = BASE + [
        Column("output", "Output"),
        Column("saved", "Saved bytes", COUNT),
        Column("share", "Share", SHARE, optional=True),
        Column("output_bytes", "Output bytes", COUNT, optional=True),
        Column("live", "Live (inference)", COUNT, optional=True),
    ]
    rows = []
    for r, lm in zip(a.layers, m.layers, strict=True):
        rows.append(
            base_row(r)
            + [
                fmt_shape(r.shape),
                lm.saved_bytes,
                share(lm.saved_bytes, m.saved_bytes),
                lm.output_bytes,
                lm.live_bytes,
            ]
        )
    totals = ["Total", "", "", m.saved_bytes, share(m.saved_bytes, m.saved_bytes), "", ""]
    notes = [
        settings_text(m),
        f"weights: {binary_size(m.weights_bytes)}",
        f"gradients: {binary_size(m.gradients_bytes)}",
        f"optimizer states: {binary_size(m.optimizer_bytes)}",
        f"saved for backward: {binary_size(m.saved_bytes)}",
        f"backward transient (gradients of a layer's output and inputs): "
        f"{binary_size(m.backward_bytes)} at {m.backward_layer or '-'}",
        f"training peak: {binary_size(m.training_peak_bytes)}",
        f"inference peak: {binary_size(m.inference_peak_bytes)} at {m.inference_peak_layer or '-'}",
    ]
    if fit is not None:
        notes += fit_notes(fit)
    title = f"{header(a)} · memory"
    return Table(title, cols, rows, totals, notes, [])


def fit_notes(fit: Fit) -> list[str]:
    budget = binary_size(fit.budget)
    return [
        f"largest batch in {budget}: {fit.training_batch:,} for training, "
        f"{fit.inference_batch:,} for inference"
    ]


def memory_json(a: Analysis, m: Memory, fit: Fit | None = None) -> dict[str, Any]:
    """The ``memory`` object of one network: integers in bytes."""
    s = m.settings
    doc: dict[str, Any] = {
        "batch": s.batch,
        "dtype": s.dtype,
        "device": s.device,
        "optimizer": s.optimizer,
        "mixed_precision": s.mixed_precision,
        "weights_bytes": m.weights_bytes,
        "gradients_bytes": m.gradients_bytes,
        "optimizer_bytes": m.optimizer_bytes,
        "saved_bytes": m.saved_bytes,
        "backward_transient_bytes": m.backward_bytes,
        "backward_transient_layer": m.backward_layer,
        "inference_peak_bytes": m.inference_peak_bytes,
        "inference_peak_layer": m.inference_peak_layer,
        "training_peak_bytes": m.training_peak_bytes,
        "layers": [
            {
                "name": lm.name,
                "type": r.node.kind,
                "saved_bytes": lm.saved_bytes,
                "output_bytes": lm.output_bytes,
                "live_bytes": lm.live_bytes,
            }
            for r, lm in zip(a.layers, m.layers, strict=True)
        ],
    }
    if fit is not None:
        doc["fit"] = {
            "budget_bytes": fit.budget,
            "training_batch": fit.training_batch,
            "inference_batch": fit.inference_batch,
        }
    return {"name": a.network.name, "memory": doc}
