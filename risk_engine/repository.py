"""All SQL of the risk engine: facts for a set of codes, and alert persistence."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import orjson

from traceability.db.columns import json_list


async def registry(conn: asyncpg.Connection, codes: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT c.code, c.commissioned_at, c.batch_id, b.gtin, b.lot, b.level, b.plant_id,
                  b.created_by
           FROM codes c JOIN code_batches b ON b.id = c.batch_id
           WHERE c.code = ANY($1::text[])""",
        list(codes),
    )


async def memberships(conn: asyncpg.Connection, codes: Sequence[str]) -> list[asyncpg.Record]:
    """Every containment of these codes and of their containers, two levels up."""
    return await conn.fetch(
        """WITH RECURSIVE m AS (
               SELECT child_code, parent_code, packed_at, unpacked_at,
                      pack_event_id, unpack_event_id, 1 AS depth
               FROM containment WHERE child_code = ANY($1::text[])
               UNION
               SELECT k.child_code, k.parent_code, k.packed_at, k.unpacked_at,
                      k.pack_event_id, k.unpack_event_id, m.depth + 1
               FROM containment k JOIN m ON k.child_code = m.parent_code
               WHERE m.depth < 2
           )
           SELECT DISTINCT child_code, parent_code, packed_at, unpacked_at,
                  pack_event_id, unpack_event_id
           FROM m""",
        list(codes),
    )


async def seen_past(
    conn: asyncpg.Connection, codes: Sequence[str], plant_checkpoints: Sequence[str]
) -> list[str]:
    """Those of `codes` that were seen past the plant: any stored event outside the plant's
    checkpoints (a forged copy's sighting aside), of the code or of what it holds now (two
    levels, a pallet's cases' items: plant scans are mostly of cases and pallets)."""
    rows = await conn.fetch(
        """WITH RECURSIVE held AS (
               SELECT q.code AS root, q.code AS code, 0 AS depth
               FROM unnest($1::text[]) AS q(code)
               UNION ALL
               SELECT h.root, k.child_code, h.depth + 1
               FROM held h JOIN containment k
                 ON k.parent_code = h.code AND k.unpacked_at IS NULL
               WHERE h.depth < 2)
           SELECT DISTINCT h.root AS code FROM held h
           WHERE EXISTS (SELECT 1 FROM scan_events e
                         WHERE e.code = h.code AND e.checkpoint <> ALL($2::text[])
                           AND e.verdict <> 'counterfeit')""",
        list(codes),
        list(plant_checkpoints),
    )
    return [r["code"] for r in rows]


# A heavily cloned code can collect thousands of sightings; the rules need the custody
# events and a recent window of sightings, not all of them (bounded work per scan).
MAX_EVENTS_PER_CODE = 500

CHECKS_PER_WITNESS = 8
"""Of one witness's checks of a code, only its first and its latest this many enter the
window. The rules count witnesses, not checks: one person checking a cloned code over and
over must not push the other witnesses out and hide the clone. A witness here is a
consumer id, or for anonymous checks a ~2 km cell in a 30-minute slot (anonymous checks that
close are one session for the rules anyway: `RiskThresholds.session_radius_m`,
`session_window`)."""


async def events(conn: asyncpg.Connection, codes: Sequence[str]) -> list[asyncpg.Record]:
    """Every custody event of these codes, plus their most recent consumer checks (at most
    `CHECKS_PER_WITNESS` first and last ones of each witness)."""
    return await conn.fetch(
        """SELECT event_id, code, checkpoint, party_id, to_party_id, scanned_at, recorded_at,
                  lat, lon, accuracy_m, verdict, reason, unpack, consumer_id, client_net
           FROM (SELECT kept.*, row_number() OVER (
                            PARTITION BY kept.code, kept.checkpoint = 'consumer_verify'
                            ORDER BY kept.scanned_at DESC) AS recent
                 FROM (SELECT e.*, row_number() OVER witness AS nth,
                              count(*) OVER whole AS of_witness
                       FROM scan_events e
                       WHERE e.code = ANY($1::text[])  -- a forged copy's check is no witness
                         AND NOT (e.checkpoint = 'consumer_verify' AND e.verdict = 'counterfeit')
                       WINDOW whole AS (PARTITION BY e.code, coalesce(
                                  'network:' || e.client_net,  -- evidence.witness_key
                                  'consumer:' || e.consumer_id,
                                  concat_ws(':', e.checkpoint,  -- custody events apart
                                            floor(extract(epoch FROM e.scanned_at) / 1800),
                                            round(e.lat * 50), round(e.lon * 50)))),
                              witness AS (whole ORDER BY e.scanned_at, e.event_id)) kept
                 WHERE kept.checkpoint <> 'consumer_verify' OR kept.nth <= $3
                    OR kept.nth > kept.of_witness - $3) ranked
           WHERE checkpoint <> 'consumer_verify' OR recent <= $2""",
        list(codes),
        MAX_EVENTS_PER_CODE,
        CHECKS_PER_WITNESS,
    )


async def events_by_id(
    conn: asyncpg.Connection, event_ids: Sequence[uuid.UUID]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT event_id, code, checkpoint, party_id, to_party_id, scanned_at, recorded_at,
                  lat, lon, accuracy_m, verdict, reason, unpack, consumer_id, client_net
           FROM scan_events WHERE event_id = ANY($1::uuid[])""",
        list(event_ids),
    )


async def contents_at(
    conn: asyncpg.Connection, containers: Sequence[str], at: Sequence[datetime]
) -> list[asyncpg.Record]:
    """(container, item) pairs: what each container held at its scan time, two levels down."""
    return await conn.fetch(
        """WITH q AS (SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS q(code, at))
           SELECT q.code AS container, q.at, k.child_code AS code
           FROM q JOIN containment k ON k.parent_code = q.code
            AND k.packed_at <= q.at AND (k.unpacked_at IS NULL OR k.unpacked_at >= q.at)
           UNION
           SELECT q.code, q.at, k2.child_code
           FROM q JOIN containment k ON k.parent_code = q.code
            AND k.packed_at <= q.at AND (k.unpacked_at IS NULL OR k.unpacked_at >= q.at)
           JOIN containment k2 ON k2.parent_code = k.child_code
            AND k2.packed_at <= q.at AND (k2.unpacked_at IS NULL OR k2.unpacked_at >= q.at)""",
        list(containers),
        list(at),
    )


async def all_parties(
    conn: asyncpg.Connection,
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Every party as the rules see it, and every territory authorization."""
    parties = await conn.fetch("SELECT id, kind, parent_id, lat, lon FROM parties")
    authorizations = await conn.fetch(
        """SELECT party_id, territory_id, gtins FROM party_territories
           ORDER BY party_id, territory_id"""
    )
    return parties, authorizations


async def parties_fingerprint(conn: asyncpg.Connection) -> tuple[str, str]:
    """Changes whenever any party or authorization row changes (a hash over every row)."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) || ':' || coalesce(sum(hashtextextended(p::text, 0)), 0)
                   FROM parties p) AS parties,
                  (SELECT count(*) || ':' || coalesce(sum(hashtextextended(a::text, 0)), 0)
                   FROM party_territories a) AS authorizations"""
    )
    assert row is not None
    return str(row["parties"]), str(row["authorizations"])


async def territories_fingerprint(conn: asyncpg.Connection | asyncpg.Pool) -> tuple[int, str]:
    row = await conn.fetchrow(
        "SELECT count(*) AS n, coalesce(max(updated_at)::text, '') AS at FROM territories"
    )
    assert row is not None
    return int(row["n"]), str(row["at"])


async def all_territories(conn: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, name, geometry FROM territories")


async def first_outbound(conn: asyncpg.Connection, dealer_id: str) -> datetime | None:
    """When the dealer shipped anything out for the first time (its history starts there)."""
    first: datetime | None = await conn.fetchval(
        """SELECT min(scanned_at) FROM scan_events
           WHERE party_id = $1 AND checkpoint = 'dealer_ship' AND verdict <> 'counterfeit'""",
        dealer_id,
    )
    return first


async def weekly_outbound(
    conn: asyncpg.Connection, dealer_id: str, until: datetime, weeks: int
) -> list[asyncpg.Record]:
    """Items a dealer shipped per 7-day window ending at `until` (containers count contents)."""
    return await conn.fetch(
        """WITH w AS (
               SELECT g AS week, $2::timestamptz - (g + 1) * interval '7 days' AS start,
                      $2::timestamptz - g * interval '7 days' AS stop
               FROM generate_series(0, $3 - 1) AS g
           ), shipped AS (
               SELECT e.scanned_at,
                      CASE WHEN b.level = 'item' THEN 1 ELSE greatest(1, (
                          SELECT count(*) FROM containment k
                          WHERE k.parent_code = e.code AND k.packed_at <= e.scanned_at
                            AND (k.unpacked_at IS NULL OR k.unpacked_at >= e.scanned_at)))
                      END AS items
               FROM scan_events e
               JOIN codes c ON c.code = e.code JOIN code_batches b ON b.id = c.batch_id
               WHERE e.party_id = $1 AND e.checkpoint = 'dealer_ship'
                 AND e.verdict <> 'counterfeit'
                 AND e.scanned_at > $2::timestamptz - $3 * interval '7 days'
                 AND e.scanned_at <= $2::timestamptz
           )
           SELECT w.week, w.start, w.stop, coalesce(sum(s.items), 0)::bigint AS items
           FROM w LEFT JOIN shipped s ON s.scanned_at > w.start AND s.scanned_at <= w.stop
           GROUP BY w.week, w.start, w.stop ORDER BY w.start""",
        dealer_id,
        until,
        weeks,
    )


# --- alerts ---------------------------------------------------------------------------------


async def lock_incidents(conn: asyncpg.Connection, keys: Sequence[str]) -> None:
    """Serialize find-or-create per incident across transactions (sorted: no deadlocks)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k",
        sorted(set(keys)),
    )


async def open_incidents(
    conn: asyncpg.Connection,
    keys: Sequence[str],
    codes: Sequence[str],
    evidence: Sequence[str],
    witnesses: Sequence[str],
) -> list[asyncpg.Record]:
    """Open alerts of these incident keys: their fields, member counts, and which of the
    given members each holds already (never the whole member lists).

    The lists go as JSON text (`json_list`): with `text[]` parameters PostgreSQL planned the
    statement afresh on every call (a custom plan for each array's length), 0.32 against
    0.18 ms a call."""
    return await conn.fetch(
        """WITH lists AS (
               SELECT ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)) AS keys,
                      ARRAY(SELECT jsonb_array_elements_text($2::text::jsonb)) AS codes,
                      ARRAY(SELECT jsonb_array_elements_text($3::text::jsonb)) AS evidence,
                      ARRAY(SELECT jsonb_array_elements_text($4::text::jsonb)) AS witnesses)
           SELECT id, type, severity, reason, summary, incident_key, source_party_id,
                  observed_party_id, observed_lat, observed_lon, observed_accuracy_m,
                  expected_territory_ids, first_seen, last_seen, window_s,
                  n_codes, n_evidence, n_witnesses,
                  ARRAY(SELECT code FROM alert_codes m
                        WHERE m.alert_id = a.id AND m.code = ANY(l.codes)) AS known_codes,
                  ARRAY(SELECT event_id FROM alert_evidence m
                        WHERE m.alert_id = a.id AND m.event_id = ANY(l.evidence))
                      AS known_evidence,
                  ARRAY(SELECT witness FROM alert_witnesses m
                        WHERE m.alert_id = a.id AND m.witness = ANY(l.witnesses))
                      AS known_witnesses
           FROM lists l
           JOIN alerts a ON a.incident_key = ANY(l.keys)
           WHERE a.status NOT IN ('confirmed', 'dismissed')
           ORDER BY last_seen DESC""",
        json_list(keys),
        json_list(codes),
        json_list(evidence),
        json_list(witnesses),
    )


async def save_alerts(
    conn: asyncpg.Connection, alerts: Sequence[dict[str, object]], actor: str
) -> None:
    """Insert or update a round's alerts, the members each adds, and the "raise" history
    line of each new one, in one statement (one round trip however many incidents a group
    touched; a merge writes what it adds, not the incident's whole member lists).

    Each alert: the `alerts` columns by name (`id`, `type`, ..., `n_witnesses`), the members
    to add (`codes`, `evidence_event_ids`, `witnesses`: lists), and `raised`: the note of a
    new alert's history line (by `actor`), None for a merge. At most one entry per id (a row
    cannot be upserted twice in one statement).
    """
    if not alerts:
        return
    await conn.execute(
        """WITH input AS (
               SELECT (a->>'id')::uuid AS id, a->>'type' AS type, a->>'severity' AS severity,
                      a->>'reason' AS reason, a->>'summary' AS summary,
                      a->>'incident_key' AS incident_key,
                      a->>'source_party_id' AS source_party_id,
                      a->>'observed_party_id' AS observed_party_id,
                      (a->>'observed_lat')::float8 AS observed_lat,
                      (a->>'observed_lon')::float8 AS observed_lon,
                      (a->>'observed_accuracy_m')::float8 AS observed_accuracy_m,
                      ARRAY(SELECT jsonb_array_elements_text(a->'expected_territory_ids'))
                          AS expected_territory_ids,
                      (a->>'first_seen')::timestamptz AS first_seen,
                      (a->>'last_seen')::timestamptz AS last_seen,
                      (a->>'window_s')::int4 AS window_s,
                      (a->>'n_codes')::int4 AS n_codes,
                      (a->>'n_evidence')::int4 AS n_evidence,
                      (a->>'n_witnesses')::int4 AS n_witnesses,
                      a->'codes' AS codes, a->'evidence_event_ids' AS evidence,
                      a->'witnesses' AS witnesses, a->>'raised' AS raised
               FROM jsonb_array_elements($1::text::jsonb) AS a),
           saved AS (
               INSERT INTO alerts (id, type, severity, reason, summary, incident_key,
                                   source_party_id, observed_party_id, observed_lat,
                                   observed_lon, observed_accuracy_m, expected_territory_ids,
                                   first_seen, last_seen, window_s, n_codes, n_evidence,
                                   n_witnesses)
               SELECT id, type, severity, reason, summary, incident_key, source_party_id,
                      observed_party_id, observed_lat, observed_lon, observed_accuracy_m,
                      expected_territory_ids, first_seen, last_seen, window_s, n_codes,
                      n_evidence, n_witnesses
               FROM input ORDER BY id
               ON CONFLICT (id) DO UPDATE SET
                   severity = EXCLUDED.severity, reason = EXCLUDED.reason,
                   summary = EXCLUDED.summary, observed_party_id = EXCLUDED.observed_party_id,
                   observed_lat = EXCLUDED.observed_lat, observed_lon = EXCLUDED.observed_lon,
                   observed_accuracy_m = EXCLUDED.observed_accuracy_m,
                   expected_territory_ids = EXCLUDED.expected_territory_ids,
                   first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
                   window_s = EXCLUDED.window_s, n_codes = EXCLUDED.n_codes,
                   n_evidence = EXCLUDED.n_evidence, n_witnesses = EXCLUDED.n_witnesses,
                   updated_at = clock_timestamp()
               RETURNING id),
           codes AS (
               INSERT INTO alert_codes (alert_id, code)
               SELECT i.id, m.code
               FROM input i JOIN saved USING (id),
                    jsonb_array_elements_text(i.codes) WITH ORDINALITY AS m(code, n)
               ORDER BY i.id, m.n
               ON CONFLICT DO NOTHING),
           evidence AS (
               INSERT INTO alert_evidence (alert_id, event_id)
               SELECT i.id, m.event_id
               FROM input i JOIN saved USING (id),
                    jsonb_array_elements_text(i.evidence) WITH ORDINALITY AS m(event_id, n)
               ORDER BY i.id, m.n
               ON CONFLICT DO NOTHING),
           witnesses AS (
               INSERT INTO alert_witnesses (alert_id, witness)
               SELECT i.id, w
               FROM input i JOIN saved USING (id), jsonb_array_elements_text(i.witnesses) AS w
               ORDER BY 1, 2
               ON CONFLICT DO NOTHING)
           INSERT INTO alert_history (alert_id, actor, action, note, from_status, to_status)
           SELECT id, $2, 'raise', raised, NULL, 'open'
           FROM input JOIN saved USING (id) WHERE raised IS NOT NULL
           ORDER BY id""",
        orjson.dumps(list(alerts), default=str).decode(),
        actor,
    )


async def attach_alerts_to_responses(
    conn: asyncpg.Connection, event_ids: Sequence[uuid.UUID], alert_ids: Sequence[list[str]]
) -> None:
    """Scan answers name the alerts they raised (retries replay the same answer)."""
    await conn.executemany(
        """UPDATE scan_events
           SET response = jsonb_set(response, '{alert_ids}', to_jsonb($2::text[]))
           WHERE event_id = $1""",
        list(zip(event_ids, alert_ids, strict=True)),
    )
