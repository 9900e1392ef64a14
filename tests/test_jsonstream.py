"""Tests for cnncalc.render.jsonstream: the same text as json.dumps(indent=2), in pieces,
iteratively."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.render.jsonstream import chunks, write_json
from conftest import examples

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
keys = st.text(max_size=6) | st.integers(-5, 5) | st.booleans() | st.none() | st.floats(-2, 2)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(keys, inner, max_size=5)
    ),
    max_leaves=40,
)


def dumped(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def written(doc: Any) -> str:
    out = io.StringIO()
    write_json(doc, out)
    return out.getvalue()


@given(documents)
@settings(max_examples=examples(400))
def test_same_text_as_json_dumps(doc: Any) -> None:
    assert written(doc) == dumped(doc)


@given(documents, st.integers(1, 4))
def test_chunks_join_to_the_same_text(doc: Any, size: int) -> None:
    assert "".join(chunks(doc, size)) + "\n" == dumped(doc)


def test_a_report_document() -> None:
    doc = {
        "networks": [
            {
                "name": "lenet5",
                "input": [32, 32, 1],
                "layers": [
                    {
                        "name": "conv1",
                        "inputs": ["input"],
                        "padding": [[0, 0], [0, 0]],
                        "receptive_field": {"size": [5, 5], "start": [2.5, 2], "global": False},
                        "warnings": [],
                    },
                    {"name": "fc1", "padding": None, "params": 2**70, "receptive_field": {}},
                ],
                "totals": {"params": 61706},
            }
        ]
    }
    assert written(doc) == dumped(doc)
    assert '"padding": [\n            [\n              0,' in written(doc)


def test_a_cycle_is_refused_as_json_refuses_it() -> None:
    loop: list[Any] = [1]
    loop.append({"again": loop})
    with pytest.raises(ValueError, match="^Circular reference detected$"):
        written(loop)
    shared = [1, 2]
    twice = {"a": shared, "b": [shared, shared]}  # shared, not circular
    assert written(twice) == dumped(twice)


def test_unknown_values_and_keys_raise_json_s_errors() -> None:
    for doc in ({"a": object()}, [{1, 2}], {(1, 2): 3}):
        with pytest.raises(TypeError) as ours:
            written(doc)
        with pytest.raises(TypeError) as theirs:
            dumped(doc)
        assert str(ours.value) == str(theirs.value)


def test_deep_nesting_needs_no_recursion() -> None:
    depth = 3000  # beyond the recursion limit, where json.dumps fails
    doc: Any = []
    for _ in range(depth):
        doc = [doc, 1]
    with pytest.raises(RecursionError):
        dumped(doc)
    text = written(doc)
    assert text.count("[") == depth + 1 and text.count("]") == depth + 1
    assert text.startswith("[\n  [\n    [\n") and text.endswith("  ],\n  1\n]\n")
    assert " " * 2 * depth + "[]" in text
