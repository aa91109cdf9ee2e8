from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from risk_engine.workflow import (
    CaseAction,
    CaseState,
    CaseStatus,
    EscalationLevel,
    Money,
    TransitionNotAllowed,
    WorkCalendar,
    act,
    allowed_actions,
    deadline,
    evidence_deadline,
    is_overdue,
    next_state,
    penalties,
    penalty,
)
from traceability.errors import Conflict, InvalidInput

A = CaseAction
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday
OPEN = CaseState()
INVESTIGATING = CaseState(CaseStatus.INVESTIGATING, None, NOW)
REGIONAL = CaseState(CaseStatus.ESCALATED, EscalationLevel.REGIONAL, NOW)
HQ = CaseState(CaseStatus.ESCALATED, EscalationLevel.HEADQUARTERS, NOW)
CONFIRMED = CaseState(CaseStatus.CONFIRMED, None, NOW)
DISMISSED = CaseState(CaseStatus.DISMISSED, None, NOW)

ALLOWED = {
    (OPEN, A.INVESTIGATE): INVESTIGATING,
    (OPEN, A.DISMISS): CaseState(CaseStatus.DISMISSED),
    (INVESTIGATING, A.ESCALATE): REGIONAL,
    (INVESTIGATING, A.CONFIRM): CONFIRMED,
    (INVESTIGATING, A.DISMISS): DISMISSED,
    (REGIONAL, A.ESCALATE): HQ,
    (REGIONAL, A.CONFIRM): CaseState(CaseStatus.CONFIRMED, EscalationLevel.REGIONAL, NOW),
    (REGIONAL, A.DISMISS): CaseState(CaseStatus.DISMISSED, EscalationLevel.REGIONAL, NOW),
    (HQ, A.CONFIRM): CaseState(CaseStatus.CONFIRMED, EscalationLevel.HEADQUARTERS, NOW),
    (HQ, A.DISMISS): CaseState(CaseStatus.DISMISSED, EscalationLevel.HEADQUARTERS, NOW),
}
STATES = [OPEN, INVESTIGATING, REGIONAL, HQ, CONFIRMED, DISMISSED]


@pytest.mark.parametrize(("state", "action"), list(ALLOWED))
def test_every_allowed_transition(state: CaseState, action: CaseAction) -> None:
    assert next_state(state, action, NOW) == ALLOWED[(state, action)]
    assert action in allowed_actions(state)


@pytest.mark.parametrize("state", STATES)
def test_comment_is_allowed_everywhere_and_changes_nothing(state: CaseState) -> None:
    new, entry = act(state, A.COMMENT, actor="officer-1", note="called the dealer", at=NOW)
    assert new == state
    assert (entry.action, entry.from_status, entry.to_status) == (
        A.COMMENT,
        state.status,
        state.status,
    )


DISALLOWED = [
    (s, a) for s in STATES for a in CaseAction if a is not A.COMMENT and (s, a) not in ALLOWED
]


@pytest.mark.parametrize(("state", "action"), DISALLOWED)
def test_every_other_transition_is_a_conflict(state: CaseState, action: CaseAction) -> None:
    with pytest.raises(TransitionNotAllowed) as err:
        next_state(state, action, NOW)
    assert isinstance(err.value, Conflict) and err.value.status == 409
    assert action not in allowed_actions(state)


def test_disallowed_list_covers_the_important_cases() -> None:
    for case in [
        (OPEN, A.CONFIRM),
        (OPEN, A.ESCALATE),
        (HQ, A.ESCALATE),
        (CONFIRMED, A.DISMISS),
        (DISMISSED, A.INVESTIGATE),
        (INVESTIGATING, A.INVESTIGATE),
    ]:
        assert case in DISALLOWED


def test_act_records_the_audit_entry_and_needs_a_note() -> None:
    new, entry = act(OPEN, A.INVESTIGATE, actor="officer-1", note="start", at=NOW)
    assert new.investigation_started_at == NOW
    assert (entry.actor, entry.note, entry.to_status) == (
        "officer-1",
        "start",
        CaseStatus.INVESTIGATING,
    )
    with pytest.raises(InvalidInput):
        act(OPEN, A.INVESTIGATE, actor="officer-1", note="  ", at=NOW)


# -- deadline --------------------------------------------------------------------------------


def test_seven_working_days_skip_the_weekend() -> None:
    assert deadline(NOW, 7) == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # Fri -> Tue+1w
    monday = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert deadline(monday, 7) == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    assert deadline(monday, 0) == monday


def test_start_on_a_weekend_counts_from_monday() -> None:
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    assert deadline(saturday, 1) == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert deadline(saturday, 7) == datetime(2026, 12, 8, 15, 0, tzinfo=UTC)


def test_holidays_are_skipped_and_adjusted_workdays_count() -> None:
    # National Day week 2026: Oct 1-7 off; Sat Oct 10 is an adjusted working day (调休)
    holidays = frozenset(date(2026, 10, d) for d in range(1, 8))
    start = datetime(2026, 9, 30, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    due = deadline(start, 7, holidays)
    assert due == datetime(2026, 10, 16, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    due = deadline(start, 7, holidays, workdays=frozenset({date(2026, 10, 10)}))
    assert due.date() == date(2026, 10, 15)
    assert due.tzinfo == start.tzinfo


def test_the_brand_calendar_counts_local_dates() -> None:
    """Opened on Saturday 07:38 in Shanghai (still Friday in UTC): the seventh working day is
    Tuesday 8 December, not Wednesday 9 as counting UTC dates gave (found by a review)."""
    opened = datetime(2026, 11, 27, 23, 38, 43, tzinfo=UTC)
    shanghai = WorkCalendar(ZoneInfo("Asia/Shanghai"))
    assert shanghai.evidence_due(opened) == datetime(2026, 12, 7, 23, 38, 43, tzinfo=UTC)
    assert WorkCalendar().evidence_due(opened) == datetime(2026, 12, 8, 23, 38, 43, tzinfo=UTC)
    # A declared working Sunday (调休) in the brand's calendar counts.
    sunday = WorkCalendar(ZoneInfo("Asia/Shanghai"), workdays=frozenset({date(2026, 11, 29)}))
    assert sunday.evidence_due(opened) == datetime(2026, 12, 6, 23, 38, 43, tzinfo=UTC)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError):
        deadline(NOW, -1)


def test_overdue_only_for_open_investigations() -> None:
    due = deadline(NOW, 7)
    assert evidence_deadline(INVESTIGATING) == due
    assert not is_overdue(INVESTIGATING, due)
    assert is_overdue(INVESTIGATING, due + timedelta(seconds=1))
    assert is_overdue(HQ, due + timedelta(days=1))
    for state in (OPEN, CONFIRMED, DISMISSED):
        assert not is_overdue(state, due + timedelta(days=30))
    christmas = WorkCalendar(holidays=frozenset({date(2026, 12, 7)}))
    assert not is_overdue(INVESTIGATING, due + timedelta(hours=1), christmas)


# -- penalty ---------------------------------------------------------------------------------


def test_penalties_are_summed_per_currency_never_across() -> None:
    priced = [
        (Decimal("12.50"), 2, "CNY"),
        (Decimal("4.00"), 1, "USD"),
        (Decimal("0.10"), 3, "CNY"),
    ]
    assert penalties(priced) == (Money(Decimal("75.90"), "CNY"), Money(Decimal("12.00"), "USD"))
    assert penalties([]) == ()


def test_penalty_is_three_times_value_times_items() -> None:
    assert penalty(Decimal("12.50"), 40, "CNY") == Money(Decimal("1500.00"), "CNY")
    assert penalty(Decimal("0.1"), 3, "CNY").amount == Decimal("0.90")  # no float error
    assert penalty(Decimal("19.9999"), 1, "EUR").amount == Decimal("60.00")
    assert penalty(Decimal("0.0025"), 1, "CNY").amount == Decimal("0.01")  # 0.0075, half-up
    assert penalty(Decimal("7"), 0, "CNY").amount == Decimal("0.00")
    assert penalty(Decimal("12.50"), 40, "CNY").as_json() == {
        "amount": "1500.00",
        "currency": "CNY",
    }
    assert str(penalty(Decimal("1"), 1, "CNY").amount) == "3.00"


@pytest.mark.parametrize(
    ("value", "items", "currency"),
    [
        (Decimal("-1"), 1, "CNY"),
        (Decimal("NaN"), 1, "CNY"),
        (1.5, 1, "CNY"),
        (Decimal("1"), -1, "CNY"),
        (Decimal("1"), True, "CNY"),
        (Decimal("1"), 1, "cny"),
    ],
)
def test_penalty_refuses_bad_input(value: object, items: object, currency: str) -> None:
    with pytest.raises(ValueError):
        penalty(value, items, currency)  # type: ignore[arg-type]
