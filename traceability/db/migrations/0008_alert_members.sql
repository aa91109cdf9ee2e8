-- An incident's codes, evidence and witnesses in tables of their own, with their counts on
-- the alert: merging new evidence inserts what it adds instead of rewriting arrays (and
-- their GIN entries) that grow with the incident — 81.6 ms per merge at 20,640 codes before
-- (docs/decisions.md, "Incidents that grow").

CREATE TABLE alert_codes (
    alert_id        uuid NOT NULL REFERENCES alerts (id),
    seq             bigint GENERATED ALWAYS AS IDENTITY,  -- first-seen order
    code            text NOT NULL,
    PRIMARY KEY (alert_id, code)
);
CREATE INDEX alert_codes_code_idx ON alert_codes (code);

CREATE TABLE alert_evidence (
    alert_id        uuid NOT NULL REFERENCES alerts (id),
    seq             bigint GENERATED ALWAYS AS IDENTITY,  -- first-seen order
    event_id        text NOT NULL,
    PRIMARY KEY (alert_id, event_id)
);

CREATE TABLE alert_witnesses (
    alert_id        uuid NOT NULL REFERENCES alerts (id),
    witness         text NOT NULL,
    PRIMARY KEY (alert_id, witness)
);

INSERT INTO alert_codes (alert_id, code)
SELECT a.id, m.code FROM alerts a, unnest(a.codes) WITH ORDINALITY AS m(code, n)
ORDER BY a.created_at, a.id, m.n
ON CONFLICT DO NOTHING;
INSERT INTO alert_evidence (alert_id, event_id)
SELECT a.id, m.event_id FROM alerts a, unnest(a.evidence_event_ids) WITH ORDINALITY AS m(event_id, n)
ORDER BY a.created_at, a.id, m.n
ON CONFLICT DO NOTHING;
INSERT INTO alert_witnesses (alert_id, witness)
SELECT a.id, w FROM alerts a, unnest(a.witnesses) AS w
ON CONFLICT DO NOTHING;

ALTER TABLE alerts
    ADD COLUMN n_codes integer NOT NULL DEFAULT 0,
    ADD COLUMN n_evidence integer NOT NULL DEFAULT 0,
    ADD COLUMN n_witnesses integer NOT NULL DEFAULT 0;
UPDATE alerts SET n_codes = (SELECT count(*) FROM alert_codes c WHERE c.alert_id = alerts.id),
                  n_evidence = (SELECT count(*) FROM alert_evidence e WHERE e.alert_id = alerts.id),
                  n_witnesses = (SELECT count(*) FROM alert_witnesses w WHERE w.alert_id = alerts.id);

DROP INDEX alerts_codes_idx;
ALTER TABLE alerts DROP COLUMN codes, DROP COLUMN evidence_event_ids, DROP COLUMN witnesses;
