"""cnncalc.records against the truth it stands for: ``@dataclass`` built from the same class.

Random class layouts (fields with and without defaults and factories, keyword-only or not,
hidden from repr or comparisons, a subclass adding and redefining fields) are built both
ways; instances built from the same arguments must print, compare, hash, refuse changes,
``replace`` and list their fields exactly as the dataclass does.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc import records
from tests.conftest import examples

NAMES = ("a", "b", "c", "d", "e", "f")


@st.composite
def layouts(draw: Any) -> dict[str, Any]:
    """Fields of a base class and of a subclass, the options of both, and constructor values."""
    frozen = draw(st.booleans())
    kw_only = draw(st.booleans())
    count = draw(st.integers(0, 4))
    fields = []
    defaulted = False
    for name in NAMES[:count]:
        kind = draw(st.sampled_from(["required", "default", "factory"]))
        if defaulted and not kw_only:
            kind = draw(st.sampled_from(["default", "factory"]))  # as dataclass requires
        defaulted |= kind != "required"
        fields.append((name, kind, draw(st.booleans()) or kind == "required", draw(st.booleans())))
    extra = draw(st.sampled_from(["none", "add", "redefine"])) if count else "add"
    return {
        "frozen": frozen,
        "kw_only": kw_only,
        "fields": fields,
        "extra": extra,
        "values": draw(st.lists(st.integers(-3, 3), min_size=6, max_size=6)),
        "other": draw(st.lists(st.integers(-3, 3), min_size=6, max_size=6)),
    }


def namespace(fields: list[tuple[str, str, bool, bool]]) -> dict[str, Any]:
    body: dict[str, Any] = {"__annotations__": {}, "kept": 7}
    body["__annotations__"]["kept"] = "ClassVar[int]"
    for name, kind, shown, compared in fields:
        body["__annotations__"][name] = "int"
        options: dict[str, Any] = {}
        if kind == "default":
            options["default"] = 5
        elif kind == "factory":
            options["default_factory"] = list
        if not shown:
            options["repr"] = False
        if not compared:
            options["compare"] = False
        if options:
            body[name] = dataclasses.field(**options)
    return body


def build(decorate: Any, layout: dict[str, Any]) -> tuple[type, type]:
    """The base class and the subclass, each made by ``decorate``."""
    opts = {"frozen": layout["frozen"], "kw_only": layout["kw_only"]}
    base = decorate(**opts)(type("Base", (), namespace(layout["fields"])))
    extra: list[tuple[str, str, bool, bool]] = []
    if layout["extra"] == "add":
        extra = [("g", "default", True, True)]
    elif layout["extra"] == "redefine":
        name = layout["fields"][0][0]
        extra = [(name, "default", True, True)]
    sub = decorate(**opts)(type("Sub", (base,), namespace(extra)))
    return base, sub


def arguments(cls: type, values: list[int], fields: Any) -> tuple[list[Any], dict[str, Any]]:
    """Every field given: positional ones by position, keyword-only ones by name."""
    args, kwargs = [], {}
    params = inspect.signature(cls).parameters.values()
    for value, param in zip(values, params, strict=False):
        if param.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    names = [p.name for p in params]
    assert names == [f.name for f in fields(cls)]
    return args, kwargs


def behaviour(cls: type, layout: dict[str, Any], fields: Any, replace: Any) -> list[Any]:
    """Everything a user of the class can observe, as comparable values."""
    seen: list[Any] = []
    sig = inspect.signature(cls)
    seen.append(
        [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in sig.parameters.values()]
    )
    seen.append([(f.name, f.repr, f.compare) for f in fields(cls)])
    seen.append(cls.__match_args__)
    args, kwargs = arguments(cls, layout["values"], fields)
    one = cls(*args, **kwargs)
    same = cls(*args, **kwargs)
    args2, kwargs2 = arguments(cls, layout["other"], fields)
    other = cls(*args2, **kwargs2)
    seen.append(repr(one).replace(cls.__qualname__, "X"))
    seen.append((one == same, one == other, one != other, one == 1, one.__eq__(1)))
    hashable = cls.__hash__ is not None
    seen.append(hashable)
    if hashable:
        seen.append((hash(one) == hash(same), hash(one) == hash(other)))
    for action in ("set", "delete", "new"):
        try:
            if action == "set" and fields(cls):
                setattr(one, fields(cls)[0].name, 99)
            elif action == "delete" and fields(cls):
                delattr(one, fields(cls)[-1].name)
            elif action == "new":
                one.unknown = 1  # type: ignore[attr-defined]
            seen.append((action, "ok"))
        except dataclasses.FrozenInstanceError as error:
            seen.append((action, "frozen", str(error)))
    fresh = cls(*args, **kwargs)
    if fields(cls):
        changed = replace(fresh, **{fields(cls)[0].name: 42})
        seen.append(repr(changed).replace(cls.__qualname__, "X"))
        seen.append(changed == fresh)
    seen.append(
        repr(cls()).replace(cls.__qualname__, "X")
        if all(
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            for f in fields(cls)
        )
        else None
    )
    seen.append(cls.kept)
    return seen


@settings(max_examples=examples(200), deadline=None)
@given(layouts())
def test_a_record_behaves_as_the_dataclass_of_the_same_class(layout: dict[str, Any]) -> None:
    classes = build(dataclasses.dataclass, layout), build(records.record, layout)
    for truth, ours in zip(*classes, strict=True):
        expected = behaviour(truth, layout, dataclasses.fields, dataclasses.replace)
        assert behaviour(ours, layout, records.fields, records.replace) == expected


def test_records_refuse_what_they_do_not_build() -> None:
    with pytest.raises(TypeError, match="take default, factory, repr, compare"):

        @records.record
        class Hidden:
            a: int = dataclasses.field(init=False)

    with pytest.raises(TypeError, match="cannot extend a dataclass"):

        @dataclasses.dataclass
        class Base:
            a: int

        records.record(type("Sub", (Base,), {}))

    with pytest.raises(TypeError, match="non-default field 'b' follows a default"):

        @records.record
        class Order:
            a: int = 1
            b: int  # type: ignore[misc]

    with pytest.raises(TypeError, match="frozen alike"):
        frozen = records.record(frozen=True)(type("Frozen", (), {"__annotations__": {"a": "int"}}))
        records.record(type("Thawed", (frozen,), {}))


@pytest.mark.parametrize("name", ["a b", "x=1):\n import os\n def f(", "class", "1a", ""])
def test_a_field_that_is_not_a_python_name_is_refused(name: str) -> None:
    """__init__ is compiled from the field names: anything but a name never reaches it."""
    with pytest.raises(TypeError, match="a record field needs a Python name"):
        records.record(type("Odd", (), {"__annotations__": {name: "int"}}))


def test_methods_written_in_the_class_are_kept() -> None:
    @records.record(frozen=True)
    class Own:
        a: int
        b: ClassVar[int] = 3

        def __repr__(self) -> str:
            return "own"

    assert repr(Own(1)) == "own"
    assert Own(1) == Own(1) and hash(Own(1)) == hash(Own(1))
    assert [f.name for f in records.fields(Own)] == ["a"]
    with pytest.raises(TypeError, match="expected a record, got int"):
        records.fields(1)


def test_the_layer_kinds_are_records_with_their_keys() -> None:
    from cnncalc.layers import lookup

    found = lookup("conv")
    assert found is not None
    conv = found[0]
    assert conv.main_key() == "filters"
    made = conv(filters=8, kernel=(3, 3))
    assert made == conv(filters=8, kernel=(3, 3)) and hash(made) == hash(
        conv(filters=8, kernel=(3, 3))
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.filters = 4  # type: ignore[misc]
