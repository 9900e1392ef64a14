"""Records: the dataclasses a run always creates, made with one compile instead of six.

``@dataclass`` compiles each method it writes (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, and a frozen class's ``__setattr__`` and ``__delattr__``) on its own, about
0.8 ms per class on Python 3.11. cnncalc defines some twenty such classes on every run
(the results and the layer kinds a network uses), which came to a fifth of a report's own
time. :func:`record` writes the same methods with the same behaviour in one piece of source,
for a quarter of the cost. It takes the subset of ``@dataclass`` cnncalc uses: ``frozen``,
``kw_only``, and ``field(default=, default_factory=, repr=, compare=, metadata=)``;
anything else is refused when the class is defined. :func:`fields` and :func:`replace`
stand for ``dataclasses.fields`` and ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar, dataclass_transform, get_origin

T = TypeVar("T")
MISSING = dataclasses.MISSING
NO_METADATA: MappingProxyType[Any, Any] = MappingProxyType({})  # what dataclass gives a plain field
FIELDS = "__record_fields__"


class Spec:
    """One field: its name, default or factory, and whether repr and comparisons show it."""

    __slots__ = ("name", "default", "default_factory", "repr", "compare", "kw_only", "metadata")

    def __init__(self, name: str, value: Any, kw_only: bool) -> None:
        self.name = name
        self.kw_only = kw_only
        if isinstance(value, dataclasses.Field):
            if not value.init or value.hash is not None or value.kw_only is not MISSING:
                raise TypeError(f"{name}: record fields take default, factory, repr, compare")
            self.default, self.default_factory = value.default, value.default_factory
            self.repr, self.compare, self.metadata = value.repr, value.compare, value.metadata
        else:
            self.default, self.default_factory = value, MISSING
            self.repr = self.compare = True
            self.metadata = NO_METADATA

    @property
    def required(self) -> bool:
        return self.default is MISSING and self.default_factory is MISSING


def is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):  # `from __future__ import annotations`
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or get_origin(annotation) is ClassVar


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T] | None = None, *, frozen: bool = False, kw_only: bool = False) -> Any:
    """``@dataclass`` for the subset cnncalc uses, built in one compile (see the module)."""

    def build(cls: type[T]) -> type[T]:
        return make(cls, frozen, kw_only)

    return build if cls is None else build(cls)


def make(cls: type[T], frozen: bool, kw_only: bool) -> type[T]:
    specs: dict[str, Spec] = {}
    if any(FIELDS not in vars(b) and hasattr(b, "__dataclass_fields__") for b in cls.__mro__):
        raise TypeError(f"{cls.__name__}: a record cannot extend a dataclass")
    for base in reversed(cls.__mro__[1:]):
        for spec in getattr(base, FIELDS, {}).values():
            specs[spec.name] = spec
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        specs[name] = Spec(name, value, kw_only)
        if isinstance(value, dataclasses.Field):
            if value.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value.default)
    for base in cls.__mro__[1:]:
        if FIELDS in base.__dict__ and base.__dict__["__record_frozen__"] != frozen:
            raise TypeError(f"{cls.__name__}: a record and its base are frozen alike")
    ordered = list(specs.values())
    positional = [s for s in ordered if not s.kw_only]
    for before, after in zip(positional, positional[1:], strict=False):
        if not before.required and after.required:
            raise TypeError(f"{cls.__name__}: non-default field {after.name!r} follows a default")

    scope: dict[str, Any] = {"MISSING": MISSING, "Frozen": dataclasses.FrozenInstanceError}
    source = [init_source(ordered, frozen, scope)]
    shown = [s.name for s in ordered if s.repr]
    compared = [s.name for s in ordered if s.compare]
    own = cls.__dict__
    if "__repr__" not in own:
        parts = ", ".join(f"{n}={{self.{n}!r}}" for n in shown)
        source.append(f"def __repr__(self):\n return f'{{self.__class__.__qualname__}}({parts})'")
    values = "(" + "".join(f"self.{n}," for n in compared) + ")"
    others = "(" + "".join(f"other.{n}," for n in compared) + ")"
    if "__eq__" not in own:
        source.append(
            "def __eq__(self, other):\n if other.__class__ is self.__class__:\n"
            f"  return {values} == {others}\n return NotImplemented"
        )
    if frozen:
        source.append(f"def __hash__(self):\n return hash({values})")
        names = tuple(s.name for s in ordered)
        scope["NAMES"] = names
        source.append(
            "def __setattr__(self, name, value):\n"
            " if type(self) is CLS or name in NAMES:\n"
            "  raise Frozen(f'cannot assign to field {name!r}')\n"
            " super(CLS, self).__setattr__(name, value)\n"
            "def __delattr__(self, name):\n"
            " if type(self) is CLS or name in NAMES:\n"
            "  raise Frozen(f'cannot delete field {name!r}')\n"
            " super(CLS, self).__delattr__(name)"
        )
    scope["CLS"] = cls
    exec("\n".join(source), scope)  # noqa: S102 - our own source, built from field names
    for method in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        if method in scope and (method not in own or method == "__hash__" and own[method] is None):
            function = scope[method]
            function.__qualname__ = f"{cls.__qualname__}.{method}"
            setattr(cls, method, function)
    if not frozen and "__hash__" not in own:
        cls.__hash__ = None  # type: ignore[assignment]  # as dataclass: eq without frozen
    setattr(cls, FIELDS, specs)
    cls.__record_frozen__ = frozen  # type: ignore[attr-defined]
    cls.__match_args__ = tuple(s.name for s in positional)  # type: ignore[attr-defined,misc]
    return cls


def init_source(specs: list[Spec], frozen: bool, scope: dict[str, Any]) -> str:
    """``__init__``: arguments in field order (keyword-only ones after ``*``), then stores."""
    arguments, body = ["self"], []
    star = False
    for spec in [s for s in specs if not s.kw_only] + [s for s in specs if s.kw_only]:
        if spec.kw_only and not star:
            arguments.append("*")
            star = True
        if spec.default is not MISSING:
            scope[f"default_{spec.name}"] = spec.default
            arguments.append(f"{spec.name}=default_{spec.name}")
        elif spec.default_factory is not MISSING:
            scope[f"factory_{spec.name}"] = spec.default_factory
            arguments.append(f"{spec.name}=MISSING")
            body.append(f" if {spec.name} is MISSING: {spec.name} = factory_{spec.name}()")
        else:
            arguments.append(spec.name)
    store = "object.__setattr__(self, '{0}', {0})" if frozen else "self.{0} = {0}"
    body += [" " + store.format(s.name) for s in specs]
    return f"def __init__({', '.join(arguments)}):\n" + ("\n".join(body) or " pass")


def fields(item: Any) -> tuple[Spec, ...]:
    """The fields of a record class or instance, in order (as ``dataclasses.fields``)."""
    try:
        return tuple(getattr(item, FIELDS).values())
    except AttributeError:
        raise TypeError(f"expected a record, got {type(item).__name__}") from None


def replace(item: T, **changes: Any) -> T:
    """A copy of a record with some fields changed (as ``dataclasses.replace``)."""
    for spec in fields(item):
        if spec.name not in changes:
            changes[spec.name] = getattr(item, spec.name)
    made: Callable[..., T] = item.__class__
    return made(**changes)
