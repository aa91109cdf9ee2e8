"""Turnover spike: a dealer's weekly outbound volume jumps by >= 300 % over its trailing baseline.

"Jumps by 300 %" means the current week is at least 4x (1 + 300 %) the mean of the trailing
`spike_baseline_weeks` weeks (missing weeks inside the baseline count as zero). Weeks below
`spike_min_weekly_volume` never alert (10 -> 40 items is noise), and a dealer with less
history than the baseline is not judged. 4x is medium, 8x (or from a zero baseline) high.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from risk_engine.evidence import new_draft
from risk_engine.models import AlertDraft, AlertType, Severity
from risk_engine.thresholds import RiskThresholds

_WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class WeeklyVolume:
    """Items a dealer shipped out (dealer_ship) in the week starting `week_start` (a Monday)."""

    week_start: date
    items: int


@dataclass(frozen=True, slots=True)
class Window:
    """Items shipped out in the 7-day window (start, stop]."""

    start: datetime
    stop: datetime
    items: int


def known_weeks(windows: Sequence[Window], first_shipment: datetime | None) -> list[WeeklyVolume]:
    """The windows as weeks, dropping those that ended before the dealer's first shipment ever.

    The volume query fills empty windows with zero. Before the dealer shipped anything at
    all those zeros are not a baseline but no history: a new dealer's second week would be
    "4x its mean" of one real week and three empty ones (found by the simulator).
    """
    if first_shipment is None:
        return []
    return [
        WeeklyVolume(w.start.date() + timedelta(days=1), w.items)
        for w in windows
        if w.stop > first_shipment
    ]


def turnover_spike(
    dealer_id: str,
    weeks: Sequence[WeeklyVolume],
    thresholds: RiskThresholds,
    *,
    evidence_event_ids: Sequence[str] = (),
) -> list[AlertDraft]:
    """Judge the latest week in `weeks` against the trailing weeks before it."""
    if not weeks:
        return []
    ordered = sorted(weeks, key=lambda w: w.week_start)
    current = ordered[-1]
    n = thresholds.spike_baseline_weeks
    earliest_needed = current.week_start - n * _WEEK
    if ordered[0].week_start > earliest_needed or n <= 0:
        return []  # not enough history to have a baseline
    counts = {w.week_start: w.items for w in ordered}
    baseline = [counts.get(current.week_start - k * _WEEK, 0) for k in range(1, n + 1)]
    mean = sum(baseline) / n
    if current.items < thresholds.spike_min_weekly_volume:
        return []
    ratio = current.items / mean if mean > 0 else float("inf")
    if ratio < thresholds.spike_ratio:
        return []
    severity = Severity.HIGH if ratio >= thresholds.spike_high_ratio else Severity.MEDIUM
    shown = "no shipments" if mean == 0 else f"{ratio:.1f}x its {n}-week mean of {mean:.0f}"
    summary = (
        f"{dealer_id} shipped {current.items} items in the week of "
        f"{current.week_start.isoformat()}: {shown}"
    )
    return [
        new_draft(
            AlertType.TURNOVER_SPIKE,
            severity,
            "weekly_volume_spike",
            summary,
            at=datetime.combine(current.week_start, time(), tzinfo=UTC),
            # One incident per spike, not per calendar week: the windows roll with each
            # shipment, so a spike that goes on over a weekend would otherwise open a second
            # alert; evidence within a week of the incident's joins it.
            subject="outbound-volume",
            window=_WEEK,
            codes=(),
            event_ids=evidence_event_ids,
            source=dealer_id,
            observed_party_id=dealer_id,
        )
    ]
