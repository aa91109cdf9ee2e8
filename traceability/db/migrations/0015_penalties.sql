-- A confirmed diversion's penalty per currency: items priced in two currencies made it
-- impossible to confirm. The one-currency columns become the list's first (and only) entry,
-- then go: one place holds the penalty.
ALTER TABLE alerts ADD COLUMN penalties jsonb;
UPDATE alerts
SET penalties = jsonb_build_array(jsonb_build_object(
        'amount', to_char(penalty_amount, 'FM999999999999999990.00'),
        'currency', penalty_currency))
WHERE penalty_amount IS NOT NULL;

DROP VIEW alert_cases;
ALTER TABLE alerts DROP COLUMN penalty_amount, DROP COLUMN penalty_currency;
CREATE VIEW alert_cases AS
SELECT a.id, a.type, a.severity, a.reason, a.summary, a.status, a.escalation_level,
       a.incident_key, a.source_party_id, a.observed_party_id, a.observed_lat,
       a.observed_lon, a.observed_accuracy_m, a.expected_territory_ids, a.first_seen,
       a.last_seen, a.window_s, a.created_at, a.updated_at, a.investigation_started_at,
       a.evidence_due_at, a.penalties,
       ARRAY(SELECT m.code FROM alert_codes m WHERE m.alert_id = a.id ORDER BY m.seq) AS codes,
       ARRAY(SELECT m.event_id FROM alert_evidence m WHERE m.alert_id = a.id ORDER BY m.seq)
           AS evidence_event_ids
FROM alerts a;
