"""The alert case workflow: states, allowed actions, evidence deadline, penalty. Pure.

    open ──investigate──▶ investigating ──escalate──▶ escalated/regional
      │                        │                          │ escalate
      │ dismiss                │ confirm | dismiss        ▼
      ▼                        ▼                    escalated/headquarters
    dismissed         confirmed | dismissed   ◀── confirm | dismiss (from either level)

`comment` is allowed in every state and changes nothing but the history. Anything else
raises `TransitionNotAllowed` (a `Conflict`, so the HTTP layer answers 409). Choices:

- open → dismissed directly: yes. Triage must be able to close an obvious false alarm (a
  test scan, a known reseller event) without opening an investigation and its deadline.
- open → confirmed directly: no. Confirming can trigger a penalty and a circuit breaker;
  it needs an investigation (with its evidence period) first.
- confirmed and dismissed are final: a new piece of evidence opens a new alert.
- every action needs a non-blank note (PRODUCT.md: "every step with a note").

Evidence deadline: `EVIDENCE_WORKING_DAYS` (7) working days after `investigate`, counting
Monday–Friday minus holidays, plus any extra working days (China's adjusted weekend
working days, 调休). Pass datetimes in the brand's local timezone: holidays are local dates.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from traceability.errors import Conflict, InvalidInput

EVIDENCE_WORKING_DAYS = 7
PENALTY_MULTIPLIER = 3
_CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    ESCALATED = "escalated"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class EscalationLevel(enum.StrEnum):
    REGIONAL = "regional"
    HEADQUARTERS = "headquarters"


class CaseAction(enum.StrEnum):
    INVESTIGATE = "investigate"
    ESCALATE = "escalate"
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    COMMENT = "comment"


class TransitionNotAllowed(Conflict):
    title = "Action not allowed"
    type_slug = "transition-not-allowed"


@dataclass(frozen=True, slots=True)
class CaseState:
    status: CaseStatus = CaseStatus.OPEN
    level: EscalationLevel | None = None  # set while (and after being) escalated
    investigation_started_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.status in (CaseStatus.CONFIRMED, CaseStatus.DISMISSED)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of the (append-only) audit log."""

    at: datetime
    actor: str
    action: CaseAction
    note: str
    from_status: CaseStatus
    to_status: CaseStatus
    level: EscalationLevel | None


def allowed_actions(state: CaseState) -> frozenset[CaseAction]:
    """The actions the state allows (comment is always among them)."""
    a = CaseAction
    match state.status:
        case CaseStatus.OPEN:
            return frozenset({a.INVESTIGATE, a.DISMISS, a.COMMENT})
        case CaseStatus.INVESTIGATING:
            return frozenset({a.ESCALATE, a.CONFIRM, a.DISMISS, a.COMMENT})
        case CaseStatus.ESCALATED if state.level is EscalationLevel.HEADQUARTERS:
            return frozenset({a.CONFIRM, a.DISMISS, a.COMMENT})
        case CaseStatus.ESCALATED:
            return frozenset({a.ESCALATE, a.CONFIRM, a.DISMISS, a.COMMENT})
        case _:
            return frozenset({a.COMMENT})


def next_state(state: CaseState, action: CaseAction, at: datetime) -> CaseState:
    """The state after `action`, or TransitionNotAllowed."""
    if action not in allowed_actions(state):
        level = f"/{state.level.value}" if state.level else ""
        raise TransitionNotAllowed(
            f"Action {action.value!r} is not allowed on an alert that is "
            f"{state.status.value}{level}.",
            extra={"allowed_actions": sorted(a.value for a in allowed_actions(state))},
        )
    match action:
        case CaseAction.INVESTIGATE:
            return CaseState(CaseStatus.INVESTIGATING, None, at)
        case CaseAction.ESCALATE:
            level = (
                EscalationLevel.REGIONAL
                if state.status is CaseStatus.INVESTIGATING
                else EscalationLevel.HEADQUARTERS
            )
            return replace(state, status=CaseStatus.ESCALATED, level=level)
        case CaseAction.CONFIRM:
            return replace(state, status=CaseStatus.CONFIRMED)
        case CaseAction.DISMISS:
            return replace(state, status=CaseStatus.DISMISSED)
        case _:
            return state


def act(
    state: CaseState, action: CaseAction, *, actor: str, note: str, at: datetime
) -> tuple[CaseState, HistoryEntry]:
    """Apply an action by `actor`: the new state and the audit entry to append."""
    if not note.strip():
        raise InvalidInput(
            "Every action needs a note.", errors=[{"loc": ["body", "note"], "msg": "blank"}]
        )
    new = next_state(state, action, at)
    entry = HistoryEntry(at, actor, action, note, state.status, new.status, new.level)
    return new, entry


# -- evidence deadline ---------------------------------------------------------------------


def is_working_day(
    day: date, holidays: frozenset[date] = frozenset(), workdays: frozenset[date] = frozenset()
) -> bool:
    """Monday–Friday and not a holiday, or an explicitly declared (weekend) working day."""
    if day in workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def deadline(
    start: datetime,
    working_days: int = EVIDENCE_WORKING_DAYS,
    holidays: frozenset[date] = frozenset(),
    workdays: frozenset[date] = frozenset(),
) -> datetime:
    """The same wall-clock time on the `working_days`-th working day after `start`'s date."""
    if working_days < 0:
        raise ValueError("working_days must not be negative")
    day = start.date()
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            counted += 1
    return start.replace(year=day.year, month=day.month, day=day.day)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """The brand's working days: its time zone, holidays, and declared weekend working days
    (调休). A deadline counts local dates: an investigation opened on Saturday morning in
    Shanghai is still Friday evening in UTC."""

    zone: tzinfo = UTC
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def evidence_due(self, start: datetime) -> datetime:
        """`deadline` for the evidence, counted on this calendar, as a UTC time."""
        local = start.astimezone(self.zone)
        due = deadline(local, EVIDENCE_WORKING_DAYS, self.holidays, self.workdays)
        return due.astimezone(UTC)


def evidence_deadline(state: CaseState, calendar: WorkCalendar = WorkCalendar()) -> datetime | None:
    """When the evidence is due, for a case under investigation (None otherwise)."""
    if state.investigation_started_at is None or state.closed:
        return None
    return calendar.evidence_due(state.investigation_started_at)


def is_overdue(state: CaseState, now: datetime, calendar: WorkCalendar = WorkCalendar()) -> bool:
    """An open investigation (investigating or escalated) past its evidence deadline."""
    due = evidence_deadline(state, calendar)
    return due is not None and now > due


# -- penalty -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def as_json(self) -> dict[str, str]:
        return {"amount": f"{self.amount:.2f}", "currency": self.currency}


def penalty(
    unit_value: Decimal,
    diverted_items: int,
    currency: str,
    multiplier: int = PENALTY_MULTIPLIER,
) -> Money:
    """multiplier x unit value x diverted items, exact Decimal, rounded half-up to 0.01."""
    if not isinstance(unit_value, Decimal) or not unit_value.is_finite() or unit_value < 0:
        raise ValueError("unit_value must be a finite, non-negative Decimal")
    if isinstance(diverted_items, bool) or not isinstance(diverted_items, int):
        raise ValueError("diverted_items must be an int")
    if diverted_items < 0 or multiplier < 0:
        raise ValueError("diverted_items and multiplier must not be negative")
    if not _CURRENCY.match(currency):
        raise ValueError("currency must be an ISO 4217 code such as CNY")
    amount = (Decimal(multiplier) * unit_value * Decimal(diverted_items)).quantize(
        _CENT, rounding=ROUND_HALF_UP
    )
    return Money(amount, currency)


def penalties(priced: Sequence[tuple[Decimal, int, str]]) -> tuple[Money, ...]:
    """`penalty` of each (unit value, diverted items, currency), summed per currency (in
    currency order): amounts in two currencies are not added up."""
    totals: dict[str, Decimal] = {}
    for unit_value, items, currency in priced:
        part = penalty(unit_value, items, currency)
        totals[currency] = totals.get(currency, Decimal(0)) + part.amount
    return tuple(Money(totals[c], c) for c in sorted(totals))
