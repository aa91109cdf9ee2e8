"""API types of alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from risk_engine.workflow import CaseAction
from traceability.text import storable_text


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: CaseAction
    note: Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(storable_text)]


class Location(BaseModel):
    lat: float
    lon: float
    accuracy_m: float | None = None


class Money(BaseModel):
    amount: str
    currency: str


class HistoryLine(BaseModel):
    at: str
    actor: str
    actor_token_id: str | None = Field(
        default=None,
        description="The token the action was taken with (token names are not unique); "
        "null for the risk engine and for lines written before it was recorded.",
    )
    action: str
    note: str
    from_status: str | None = None
    to_status: str | None = None
    to_level: Literal["regional", "headquarters"] | None = Field(
        default=None, description="The escalation level after the action, if escalated."
    )


class AlertOut(BaseModel):
    id: str
    type: Literal[
        "diversion",
        "counterfeit",
        "clone",
        "impossible_travel",
        "leaked_code",
        "sequence",
        "turnover_spike",
    ]
    severity: Literal["low", "medium", "high"]
    status: Literal["open", "investigating", "escalated", "confirmed", "dismissed"]
    escalation_level: Literal["regional", "headquarters"] | None = None
    reason: str
    created_at: str
    updated_at: str
    first_seen: str
    last_seen: str
    summary: str
    codes: list[str]
    source_party_id: str | None = None
    observed_party_id: str | None = None
    observed_location: Location | None = None
    expected_territory_ids: list[str]
    evidence_event_ids: list[str]
    evidence_due_at: str | None = None
    penalty: Money | None = Field(
        default=None, description="A confirmed diversion's penalty, when in one currency."
    )
    penalties: list[Money] = Field(
        default_factory=list,
        description="Addition to api.md: the penalty per currency (items priced in several).",
    )
    allowed_actions: list[CaseAction] = Field(
        default_factory=list,
        description="Addition to api.md: the actions the alert's state allows now, in order.",
    )
    history: list[HistoryLine] = Field(
        default_factory=list,
        description="The case's audit log, oldest first: in GET /v1/alerts/{id} and action "
        "answers; lists leave it empty (one query per page, not per alert).",
    )


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None


class Counts(BaseModel):
    by_type: dict[str, int]
    by_status: dict[str, int]
    by_severity: dict[str, int]
    overdue: int
