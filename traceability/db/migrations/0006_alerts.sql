-- Alerts (one per incident) and their append-only case history (issue 5).

CREATE TABLE alerts (
    id              uuid PRIMARY KEY,
    type            text NOT NULL CHECK (type IN ('diversion', 'counterfeit', 'clone',
                        'impossible_travel', 'leaked_code', 'sequence', 'turnover_spike')),
    severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    reason          text NOT NULL,
    summary         text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN
                        ('open', 'investigating', 'escalated', 'confirmed', 'dismissed')),
    escalation_level text CHECK (escalation_level IN ('regional', 'headquarters')),
    incident_key    text NOT NULL,
    source_party_id text,
    observed_party_id text,
    observed_lat    double precision,
    observed_lon    double precision,
    observed_accuracy_m double precision,
    expected_territory_ids text[] NOT NULL DEFAULT '{}',
    codes           text[] NOT NULL DEFAULT '{}',
    evidence_event_ids text[] NOT NULL DEFAULT '{}',
    witnesses       text[] NOT NULL DEFAULT '{}',
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    window_s        integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    investigation_started_at timestamptz,
    evidence_due_at timestamptz,
    penalty_amount  numeric(18, 2),
    penalty_currency char(3)
);
CREATE INDEX alerts_incident_idx ON alerts (incident_key, last_seen DESC);
CREATE INDEX alerts_created_idx ON alerts (created_at DESC, id DESC);
CREATE INDEX alerts_codes_idx ON alerts USING gin (codes);
CREATE INDEX alerts_source_idx ON alerts (source_party_id);
CREATE INDEX alerts_observed_idx ON alerts (observed_party_id);

CREATE TABLE alert_history (
    id              bigserial PRIMARY KEY,
    alert_id        uuid NOT NULL REFERENCES alerts (id),
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor           text NOT NULL,
    action          text NOT NULL,
    note            text NOT NULL DEFAULT '',
    from_status     text,
    to_status       text
);
CREATE INDEX alert_history_alert_idx ON alert_history (alert_id, id);

-- The case history is evidence: no API and no statement may change it.
CREATE FUNCTION alert_history_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'alert_history is append-only';
END
$$;
CREATE TRIGGER alert_history_no_update BEFORE UPDATE OR DELETE ON alert_history
    FOR EACH ROW EXECUTE FUNCTION alert_history_is_append_only();
CREATE TRIGGER alert_history_no_truncate BEFORE TRUNCATE ON alert_history
    FOR EACH STATEMENT EXECUTE FUNCTION alert_history_is_append_only();
