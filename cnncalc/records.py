"""Records: the dataclasses every run defines, made for a sixth of what ``@dataclass`` costs.

``@dataclass`` compiles every method it writes (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, and a frozen class's ``__setattr__`` and ``__delattr__``) for every class:
4.2 million instructions per class on Python 3.11, about 1 ms. cnncalc defines some
twenty-five such classes on every run (its results and the layer kinds a network uses),
which came to a fifth of a report's own time. :func:`record` compiles only ``__init__``,
which runs for every instance; the other methods are shared by all records and read the
class's fields (``__eq__`` and ``__hash__`` through one ``operator.attrgetter``, as fast
as written-out code). It takes the subset of ``@dataclass`` cnncalc uses: ``frozen``,
``kw_only``, and ``field(default=, default_factory=, repr=, compare=, metadata=)``;
anything else is refused when the class is defined. :func:`fields` and :func:`replace`
stand for ``dataclasses.fields`` and ``dataclasses.replace``. ``tests/test_records.py``
builds random classes both ways and checks that they behave alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from keyword import iskeyword
from operator import attrgetter
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
        if not name.isidentifier() or iskeyword(name):  # __init__'s source is made of names
            raise TypeError(f"a record field needs a Python name, got {name!r}")
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

    scope: dict[str, Any] = {"MISSING": MISSING}
    exec(init_source(ordered, frozen, scope), scope)  # noqa: S102 - our source, of field names
    scope["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    methods: dict[str, Any] = {"__init__": scope["__init__"], "__repr__": show, "__eq__": equal}
    if frozen:
        methods |= {"__hash__": hash_of, "__setattr__": assign, "__delattr__": delete}
    own = cls.__dict__
    for name, function in methods.items():
        if name not in own or name == "__hash__" and own[name] is None:
            setattr(cls, name, function)
    if not frozen and "__hash__" not in own:
        cls.__hash__ = None  # type: ignore[assignment]  # as dataclass: eq without frozen
    compared = tuple(s.name for s in ordered if s.compare)
    attributes = {
        "__record_frozen__": frozen,
        "__record_names__": frozenset(specs),
        "__record_shown__": tuple(s.name for s in ordered if s.repr),
        "__record_key__": key_of(compared),
        "__match_args__": tuple(s.name for s in positional),
    }
    for name, value in attributes.items():
        setattr(cls, name, value)
    setattr(cls, FIELDS, specs)
    return cls


# The methods every record shares: they read the class's field names, so only __init__,
# which runs for every instance, is compiled per class. __eq__ and __hash__ read the
# compared fields through one operator.attrgetter, as fast as written-out code.


def key_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The compared fields of an instance as a tuple (attrgetter gives a bare value for one)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        get = attrgetter(names[0])
        return lambda item: (get(item),)
    return lambda item: ()


def show(self: Any) -> str:
    cls = self.__class__
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in cls.__record_shown__)
    return f"{cls.__qualname__}({shown})"


def equal(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        key = self.__class__.__record_key__
        return key(self) == key(other)
    return NotImplemented


def hash_of(self: Any) -> int:
    return hash(self.__class__.__record_key__(self))


def assign(self: Any, name: str, value: Any) -> None:
    """A frozen record's fields stay; a plain subclass may still add attributes of its own."""
    cls = type(self)
    if FIELDS in cls.__dict__ or name in cls.__record_names__:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def delete(self: Any, name: str) -> None:
    cls = type(self)
    if FIELDS in cls.__dict__ or name in cls.__record_names__:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
    object.__delattr__(self, name)


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
