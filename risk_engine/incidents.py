"""De-duplication: one incident, one alert, however many scans and items prove it.

An incident is identified by its `IncidentKey` — (rule, named source party, subject) where
the subject is the observed party (`party:<id>`), the area (`territory:<id>` or an area
cell), the code (`code:<code>`), the issuing batch or the week — plus a sliding time window
(`AlertDraft.window`, per rule): evidence joins an incident when it falls within `window` of
the incident's first..last evidence. Later evidence is merged: codes, evidence event ids,
expected territories and witnesses are unioned (first-seen order kept), severity is the
maximum, and re-graded from the merged witnesses for consumer clusters.

The service stores `incident_key` (`IncidentKey.as_str()`) on the alert and, for a new draft,
looks for an alert with the same key that is not confirmed or dismissed and for which
`continues(stored, draft)` holds; it merges into that one (`absorb`), else it opens a new
alert. A stored incident's members (codes, evidence, witnesses) live in tables of their own
and are never loaded whole: `absorb` works from their counts and from which of the round's
members the incident already holds, so a merge costs what it adds, however big the incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import replace

from risk_engine.models import AlertDraft, AlertType, IncidentKey, Severity, StoredIncident
from risk_engine.rules.diversion import REASON_CONSUMER, cluster_severity
from risk_engine.thresholds import RiskThresholds


def continues(incident: AlertDraft, draft: AlertDraft) -> bool:
    """Does `draft` belong to `incident` (same key, within the window of its evidence)?"""
    if incident.key != draft.key:
        return False
    window = max(incident.window, draft.window)
    return (
        draft.first_seen <= incident.last_seen + window
        and draft.last_seen >= incident.first_seen - window
    )


def regrade(
    draft: AlertDraft, thresholds: RiskThresholds, n_witnesses: int, n_codes: int
) -> Severity:
    """The severity an incident with these many witnesses and codes supports (never lower
    than the draft's own)."""
    severity = draft.severity
    if draft.type is AlertType.DIVERSION and draft.reason == REASON_CONSUMER:
        graded = cluster_severity(n_witnesses, n_codes, thresholds)
        severity = Severity.highest((severity, graded))
    return severity


def _graded(
    merged: AlertDraft, thresholds: RiskThresholds, n_witnesses: int, n_codes: int
) -> AlertDraft:
    """The merged incident re-graded from its counts. A consumer cluster's summary gives its
    counts as they are now (written only when the grade rose, it read "15 codes" beside a
    list of 16 once the cluster grew past its top grade: a review finding)."""
    graded = regrade(merged, thresholds, n_witnesses, n_codes)
    cluster = merged.type is AlertType.DIVERSION and merged.reason == REASON_CONSUMER
    if graded is merged.severity and not (cluster and n_witnesses > 1):
        return merged
    summary = _cluster_summary(merged, graded, n_witnesses, n_codes)
    return replace(merged, severity=graded, summary=summary)


def merge(incident: AlertDraft, draft: AlertDraft, thresholds: RiskThresholds) -> AlertDraft:
    """The incident with the draft's evidence added. Raises ValueError for another key."""
    merged = _combine(incident, draft, draft.codes, draft.evidence_event_ids, draft.witnesses)
    return _graded(merged, thresholds, len(merged.witnesses), len(merged.codes))


def absorb(stored: StoredIncident, draft: AlertDraft, thresholds: RiskThresholds) -> StoredIncident:
    """`merge` for an incident that is stored: the same fields, counted instead of listed.

    Members the incident holds already (`known_*`) or that this round added are not new;
    the counts grow by the rest, and a consumer cluster is re-graded from them.
    """
    head = stored.head
    codes = _new(draft.codes, stored.known_codes, head.codes)
    evidence = _new(draft.evidence_event_ids, stored.known_evidence, head.evidence_event_ids)
    witnesses = frozenset(_new(sorted(draft.witnesses), stored.known_witnesses, head.witnesses))
    merged = _combine(head, draft, codes, evidence, witnesses)
    n_codes, n_witnesses = stored.n_codes + len(codes), stored.n_witnesses + len(witnesses)
    return StoredIncident(
        _graded(merged, thresholds, n_witnesses, n_codes),
        n_codes,
        stored.n_evidence + len(evidence),
        n_witnesses,
        stored.known_codes,
        stored.known_evidence,
        stored.known_witnesses,
    )


def _combine(
    incident: AlertDraft,
    draft: AlertDraft,
    codes: Sequence[str],
    evidence: Sequence[str],
    witnesses: frozenset[str],
) -> AlertDraft:
    """The incident's fields with the draft's, and the given members of the draft added."""
    if incident.key != draft.key:
        raise ValueError(f"cannot merge {draft.incident_key} into {incident.incident_key}")
    stronger = draft.severity.rank > incident.severity.rank
    return replace(
        incident,
        severity=Severity.highest((incident.severity, draft.severity)),
        reason=draft.reason if stronger else incident.reason,
        summary=draft.summary if stronger else incident.summary,
        first_seen=min(incident.first_seen, draft.first_seen),
        last_seen=max(incident.last_seen, draft.last_seen),
        window=max(incident.window, draft.window),
        codes=_union(incident.codes, codes),
        evidence_event_ids=_union(incident.evidence_event_ids, evidence),
        observed_party_id=incident.observed_party_id or draft.observed_party_id,
        observed_location=incident.observed_location or draft.observed_location,
        expected_territory_ids=_union(
            incident.expected_territory_ids, draft.expected_territory_ids
        ),
        witnesses=incident.witnesses | witnesses,
    )


def _new(members: Sequence[str], known: Set[str], added: Iterable[str]) -> tuple[str, ...]:
    seen = set(known) | set(added)
    return tuple(m for m in dict.fromkeys(members) if m not in seen)


def dedupe(drafts: Iterable[AlertDraft], thresholds: RiskThresholds) -> list[AlertDraft]:
    """Merge drafts of the same incident (e.g. every item of one scanned case): one per incident."""
    incidents: list[AlertDraft] = []
    by_key: dict[IncidentKey, list[int]] = {}  # only drafts of one key can continue each other
    for draft in sorted(drafts, key=lambda d: (d.first_seen, d.incident_key)):
        same = by_key.setdefault(draft.key, [])
        for i in same:
            if continues(incidents[i], draft):
                incidents[i] = merge(incidents[i], draft, thresholds)
                break
        else:
            same.append(len(incidents))
            incidents.append(draft)
    return incidents


def _union(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _cluster_summary(draft: AlertDraft, severity: Severity, n_witnesses: int, n_codes: int) -> str:
    return (
        f"{n_witnesses} distinct consumers verified {n_codes} codes of "
        f"{draft.source_party_id}'s goods in {draft.key.subject.split(':', 1)[-1]}, outside "
        f"its territories ({', '.join(draft.expected_territory_ids)}): {severity.value}"
    )
