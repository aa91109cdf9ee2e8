"""A cheaper `__init__` for the frozen, slotted dataclasses built by the thousand per request.

A frozen dataclass's generated `__init__` stores each field through
`object.__setattr__(self, name, value)` (a global lookup, an attribute lookup and a
name-checked call per field) because its own `__setattr__` refuses. A slotted class has a
member descriptor per field that stores the value directly; `fast_init` regenerates
`__init__` to call those. Same signature, defaults, default factories and `__post_init__`;
the instances stay frozen (assignment still raises `FrozenInstanceError`). Measured on
`ScanFact` (10 fields, 4 given): 0.81 → 0.47 µs per instance (docs/decisions.md).
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar

C = TypeVar("C", bound=type)

_NO_VALUE = object()  # stands for "not given" where a field has a default factory


def fast_init(cls: C) -> C:
    """Replace the `__init__` of a frozen, slotted dataclass `cls` (apply above @dataclass)."""
    params = dataclasses.fields(cls)
    if not (cls.__dataclass_params__.frozen and "__slots__" in cls.__dict__):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__}: fast_init is for frozen dataclasses with slots=True")
    generated = cls.__dict__.get("__init__")  # the dataclass's own
    original = inspect.signature(generated) if generated is not None else None
    if original is None or list(original.parameters)[1:] != [f.name for f in params]:
        raise TypeError(f"{cls.__name__}: fast_init needs __init__ to take exactly the fields")
    namespace: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in params:
        slot: Any = cls.__dict__.get(f.name)
        if not hasattr(slot, "__set__"):  # inherited from a base class: its slot is there
            raise TypeError(f"{cls.__name__}.{f.name}: fast_init needs the class's own slots")
        spec = f.name
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            spec = f"{f.name}=_default_{f.name}"
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            spec = f"{f.name}=_NO_VALUE"
            body.append(f"    if {f.name} is _NO_VALUE: {f.name} = _factory_{f.name}()")
        (keyword if f.kw_only else positional).append(spec)
        namespace[f"_set_{f.name}"] = slot.__set__
        body.append(f"    _set_{f.name}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({signature}) -> None:\n" + "\n".join(body or ["    pass"]) + "\n"
    exec(source, namespace)  # noqa: S102 - generated from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__signature__ = original  # defaults shown as the dataclass shows them (<factory>)
    cls.__init__ = init  # type: ignore[misc]
    return cls
