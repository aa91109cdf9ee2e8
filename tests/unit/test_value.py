"""Native value objects (traceability/value.py): read-only, equal and hashed by their fields,
shown and copied as the dataclasses they replaced were."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from risk_engine.models import Checkpoint, GeoFix, PartyKind, PartyRef, ScanFact, SignatureCheck
from traceability.custody.models import Event, Location

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _fact(**changes: object) -> ScanFact:
    return ScanFact("e1", "c1", Checkpoint.COMMISSION, AT).replaced(**changes)


def test_equal_and_hashed_by_every_field() -> None:
    assert _fact() == _fact() and hash(_fact()) == hash(_fact())
    assert (_fact() != _fact()) is False  # `!=` negates `==`, it is not identity
    assert GeoFix(1.0, 2.0) == GeoFix(1.0, 2.0, 0.0)
    assert _fact(consumer_id="x") != _fact()
    assert _fact(location=GeoFix(1.0, 2.0)) != _fact(location=GeoFix(1.0, 2.5))
    assert len({_fact(), _fact(), _fact(via="case-1")}) == 2


def test_a_value_never_equals_another_type_with_the_same_fields() -> None:
    assert GeoFix(1.0, 2.0, 0.0) != Location(1.0, 2.0, 0.0)
    assert GeoFix(1.0, 2.0) != (1.0, 2.0, 0.0)


def test_shown_with_its_field_names() -> None:
    assert repr(GeoFix(1.5, 2.0)) == "GeoFix(lat=1.5, lon=2.0, accuracy_m=0.0)"
    shown = repr(PartyRef("dealer-a", PartyKind.DEALER))
    assert shown.startswith("PartyRef(id='dealer-a', kind=") and "ancestor_ids=()" in shown


def test_replaced_changes_only_the_fields_named() -> None:
    fact = _fact(consumer_id="c-1")
    forged = fact.replaced(signature=SignatureCheck.BAD_SIGNATURE)
    assert forged.signature is SignatureCheck.BAD_SIGNATURE and forged.consumer_id == "c-1"
    assert fact.signature is SignatureCheck.VALID  # the original is untouched
    with pytest.raises(TypeError, match="no field"):
        fact.replaced(colour="red")


def test_an_event_placed_elsewhere_keeps_everything_else() -> None:
    event = Event("e1", "c1", Checkpoint.CONSUMER_VERIFY, None, AT, AT, verdict="genuine")
    moved = event.replaced(location=Location(31.2, 121.4, 8000.0))
    assert moved.location == Location(31.2, 121.4, 8000.0) and moved.scanned_at == AT
    assert moved.replaced(location=None) == event


@pytest.mark.skipif(
    os.environ.get("SEALTRACE_EXPECT_COMPILED") != "1",
    reason="read-only at run time once compiled (mypy keeps the plain sources read-only)",
)
def test_compiled_values_are_read_only() -> None:
    fix = GeoFix(1.0, 2.0)
    with pytest.raises(AttributeError):
        fix.lat = 3.0  # type: ignore[misc]
