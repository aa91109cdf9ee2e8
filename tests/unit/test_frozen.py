"""fast_init: the regenerated __init__ behaves as the dataclass's own."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field

import pytest

from risk_engine.models import AlertDraft, AlertType, IncidentKey
from traceability.frozen import fast_init


@dataclass(frozen=True, slots=True)
class Plain:
    a: int
    b: str = "b"
    tags: frozenset[str] = field(default_factory=frozenset)
    extra: list[int] = field(default_factory=list)
    c: int = field(default=7, kw_only=True)


@fast_init
@dataclass(frozen=True, slots=True)
class Fast:
    a: int
    b: str = "b"
    tags: frozenset[str] = field(default_factory=frozenset)
    extra: list[int] = field(default_factory=list)
    c: int = field(default=7, kw_only=True)


@fast_init
@dataclass(frozen=True, slots=True)
class Checked:
    n: int

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError("negative")


def _fields(obj: object) -> tuple[object, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1,), {}),
        ((1, "x"), {}),
        ((1,), {"tags": frozenset({"t"}), "c": 3}),
        ((), {"a": 2, "b": "y", "extra": [1]}),
    ],
)
def test_same_values_as_the_dataclass_init(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    assert _fields(Fast(*args, **kwargs)) == _fields(Plain(*args, **kwargs))  # type: ignore[arg-type]


def test_same_signature_and_errors() -> None:
    plain, fast = inspect.signature(Plain), inspect.signature(Fast)
    assert str(plain) == str(fast)
    assert list(plain.parameters) == list(fast.parameters)
    assert [p.kind for p in plain.parameters.values()] == [p.kind for p in fast.parameters.values()]
    with pytest.raises(TypeError):
        Fast()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Fast(1, "b", frozenset(), [], 3)  # type: ignore[misc]  # c is keyword-only


def test_each_instance_gets_its_own_default_from_the_factory() -> None:
    first, second = Fast(1), Fast(2)
    assert first.extra == [] and first.extra is not second.extra


def test_still_frozen_equal_and_hashable() -> None:
    key = IncidentKey(AlertType.CLONE, None, "c1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.subject = "other"  # type: ignore[misc]
    twin = dataclasses.replace(key)
    assert twin == key and hash(twin) == hash(key)


def test_post_init_still_runs() -> None:
    assert Checked(1).n == 1
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)


def test_only_for_frozen_slotted_dataclasses_with_every_field_in_init() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(slots=True)
    class NotFrozen:
        a: int

    @dataclass(frozen=True, slots=True)
    class Hidden:
        a: int
        b: int = field(default=0, init=False)

    @dataclass(frozen=True, slots=True)
    class WithInitVar:
        a: int
        scale: dataclasses.InitVar[int] = 1

    @dataclass(frozen=True, slots=True)
    class Base:
        a: int

    @dataclass(frozen=True, slots=True)
    class Derived(Base):
        b: int = 0

    for cls in (NoSlots, NotFrozen, Hidden, WithInitVar, Derived):
        with pytest.raises(TypeError):
            fast_init(cls)


def test_applied_to_the_hot_models() -> None:
    for cls in (AlertDraft, IncidentKey):
        assert cls.__init__.__module__ == cls.__module__
        assert "_set_" in " ".join(cls.__init__.__code__.co_names)
