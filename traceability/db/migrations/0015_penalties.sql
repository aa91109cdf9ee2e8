-- A confirmed diversion's penalty per currency: items priced in two currencies made it
-- impossible to confirm. penalty_amount/penalty_currency stay filled when there is one.
ALTER TABLE alerts ADD COLUMN penalties jsonb;

CREATE OR REPLACE VIEW alert_cases AS
SELECT a.id, a.type, a.severity, a.reason, a.summary, a.status, a.escalation_level,
       a.incident_key, a.source_party_id, a.observed_party_id, a.observed_lat,
       a.observed_lon, a.observed_accuracy_m, a.expected_territory_ids, a.first_seen,
       a.last_seen, a.window_s, a.created_at, a.updated_at, a.investigation_started_at,
       a.evidence_due_at, a.penalty_amount, a.penalty_currency,
       ARRAY(SELECT m.code FROM alert_codes m WHERE m.alert_id = a.id ORDER BY m.seq) AS codes,
       ARRAY(SELECT m.event_id FROM alert_evidence m WHERE m.alert_id = a.id ORDER BY m.seq)
           AS evidence_event_ids,
       a.penalties
FROM alerts a;
