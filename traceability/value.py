"""A native base for the small value objects built by the hundred per request.

A frozen dataclass's `__init__` is interpreted Python even where the class is compiled
(0.75 µs for five fields under mypyc, 0.27 µs for a plain one); a native class with its own
`__init__` is built in ~40 ns. The value classes built for every loaded row and judged scan
derive from `Value` (the list: docs/architecture.md, Performance): attributes are `Final`
(read-only), equality and hashing compare `fields()`, and the repr names them as a
dataclass's does. Compiled with the rules (traceability/compiled.py).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, cast


class Value:
    """Equality, hash and repr from the attributes `names` lists, in that order."""

    __slots__ = ()
    names: ClassVar[tuple[str, ...]] = ()

    def fields(self) -> tuple[object, ...]:
        """The values of `names`, in order (equality, hash and repr are not on hot paths)."""
        return tuple(getattr(self, name) for name in self.names)

    def replaced(self, **changes: object) -> Self:
        """A copy with some fields changed (`dataclasses.replace` for a native class)."""
        values = dict(zip(self.names, self.fields(), strict=True))
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)}")
        values.update(changes)
        made: Self = cast(Any, type(self))(**values)
        return made

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Value)
            and type(other) is type(self)
            and self.fields() == other.fields()
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.fields()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}" for name, value in zip(self.names, self.fields(), strict=True)
        )
        return f"{type(self).__name__}({shown})"
