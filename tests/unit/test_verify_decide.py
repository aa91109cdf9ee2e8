"""Deciding a group's checks in order (scan_api/verify/decide.py): pure, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from risk_engine.models import GeoFix, SignatureCheck
from scan_api.verify.decide import GroupState, Prepared, VerifyPolicy, decide, load_check
from scan_api.verify.models import VerifyRequest
from traceability.config import Settings

NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)
CODE = "sgtin:05901234123457:B1:abc"
POLICY = VerifyPolicy.from_settings(Settings(), b"k" * 32)


def _row() -> dict[str, Any]:
    return {
        "code": CODE,
        "batch_id": uuid.uuid4(),
        "commissioned_at": NOW - timedelta(days=3),
        "gtin": "05901234123457",
        "lot": "B1",
        "level": "item",
        "expiry": None,
        "inner_code_required": False,
        "shipped_at": NOW - timedelta(days=2),
    }


def _stored_check(at: datetime, consumer: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "scanned_at": at,
        "lat": 31.2,
        "lon": 121.4,
        "accuracy_m": 30.0,
        "consumer_id": consumer,
        "loyalty_reason": None,
        "first_place": "Shanghai",
        "client_net": None,
    }


def _decide_at(group: GroupState, at: datetime, consumer: str) -> None:
    req = VerifyRequest(CODE, GeoFix(31.2, 121.4, 30.0), consumer)
    prepared = Prepared(req, CODE, SignatureCheck.VALID, at, uuid.uuid4(), None)
    decide(load_check(group, prepared, {CODE: _row()}), group, POLICY)


def test_a_groups_checks_join_the_codes_history_in_time_order() -> None:
    # Read after waiting for another process's group, whose clock ran ahead: its check is
    # dated after this group's own.
    later = _stored_check(NOW + timedelta(seconds=2), "c-other")
    group = GroupState(
        {CODE: [_stored_check(NOW - timedelta(hours=1), "c-first"), later]}, set(), {}, {}, {}, {}
    )
    _decide_at(group, NOW, "c-here")
    _decide_at(group, NOW + timedelta(seconds=5), "c-last")
    times = [c["scanned_at"] for c in group.earlier[CODE]]
    assert times == sorted(times) and len(times) == 4
    assert [c["consumer_id"] for c in group.earlier[CODE]] == [
        "c-first",
        "c-here",
        "c-other",
        "c-last",
    ]
