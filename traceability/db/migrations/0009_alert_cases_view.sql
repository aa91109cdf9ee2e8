-- An alert as the case workflow and the API show it: its row with its codes and evidence in
-- first-seen order (the members live in their own tables since 0008). One definition for
-- every query that reads alerts back.
CREATE VIEW alert_cases AS
SELECT a.id, a.type, a.severity, a.reason, a.summary, a.status, a.escalation_level,
       a.incident_key, a.source_party_id, a.observed_party_id, a.observed_lat,
       a.observed_lon, a.observed_accuracy_m, a.expected_territory_ids, a.first_seen,
       a.last_seen, a.window_s, a.created_at, a.updated_at, a.investigation_started_at,
       a.evidence_due_at, a.penalty_amount, a.penalty_currency,
       ARRAY(SELECT m.code FROM alert_codes m WHERE m.alert_id = a.id ORDER BY m.seq) AS codes,
       ARRAY(SELECT m.event_id FROM alert_evidence m WHERE m.alert_id = a.id ORDER BY m.seq)
           AS evidence_event_ids
FROM alerts a;
