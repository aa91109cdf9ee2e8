-- Scans at the nine checkpoints, code lifecycle, aggregation (issue 4).

ALTER TABLE codes
    ADD COLUMN commissioned_at timestamptz,
    ADD COLUMN commission_event_id uuid;

CREATE TABLE scan_events (
    event_id        uuid PRIMARY KEY,
    code            text,                  -- canonical code; NULL when the payload is not ours
    payload         text NOT NULL,
    checkpoint      text NOT NULL CHECK (checkpoint IN (
                        'commission', 'pack', 'warehouse_in', 'ship', 'dealer_receive',
                        'dealer_ship', 'retail_receive', 'retail_sell', 'consumer_verify')),
    party_id        client_id REFERENCES parties (id),   -- NULL for consumers
    to_party_id     client_id REFERENCES parties (id),
    scanned_at      timestamptz NOT NULL,  -- the device's clock
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    lat             double precision CHECK (lat BETWEEN -90 AND 90),
    lon             double precision CHECK (lon BETWEEN -180 AND 180),
    accuracy_m      real CHECK (accuracy_m >= 0),
    verdict         text NOT NULL CHECK (verdict IN ('genuine', 'suspicious', 'counterfeit')),
    reason          text,
    consumer_id     text,
    unpack          boolean NOT NULL DEFAULT false,
    children        text[],                -- pack: canonical codes of the children
    token_id        uuid,
    response        jsonb NOT NULL         -- the first answer, replayed to retries
);
CREATE INDEX scan_events_code_time_idx ON scan_events (code, scanned_at);
CREATE INDEX scan_events_party_time_idx ON scan_events (party_id, scanned_at);
CREATE INDEX scan_events_consumer_idx ON scan_events (consumer_id, scanned_at)
    WHERE consumer_id IS NOT NULL;

-- Which container held which code, and when (scanned_at of the pack and unpack).
CREATE TABLE containment (
    child_code      text NOT NULL,
    parent_code     text NOT NULL,
    packed_at       timestamptz NOT NULL,
    unpacked_at     timestamptz,
    pack_event_id   uuid NOT NULL,
    unpack_event_id uuid,
    CHECK (child_code <> parent_code),
    CHECK (unpacked_at IS NULL OR unpacked_at >= packed_at)
);
CREATE UNIQUE INDEX containment_current_idx ON containment (child_code) WHERE unpacked_at IS NULL;
CREATE INDEX containment_child_idx ON containment (child_code, packed_at);
CREATE INDEX containment_parent_idx ON containment (parent_code, packed_at);

-- Loyalty points, once per code.
CREATE TABLE loyalty_claims (
    code            text PRIMARY KEY,
    consumer_id     text NOT NULL,
    event_id        uuid NOT NULL,
    points          integer NOT NULL CHECK (points > 0),
    region          text,
    claimed_at      timestamptz NOT NULL
);
CREATE INDEX loyalty_claims_consumer_idx ON loyalty_claims (consumer_id, claimed_at);
