-- Signing keys, code batches and codes (issue 3).

-- Key material is AES-GCM encrypted under a master key that never enters the database.
CREATE TABLE signing_keys (
    layer           text NOT NULL CHECK (layer IN ('brand', 'service', 'line')),
    kid             text NOT NULL CHECK (kid ~ '^[A-Za-z0-9]{1,4}$'),
    alg             text NOT NULL CHECK (alg IN ('Ed25519', 'HMAC-SHA256')),
    plant_id        client_id REFERENCES parties (id),
    public_key      bytea,                 -- brand keys only (raw 32 bytes)
    encrypted_secret bytea NOT NULL,       -- private key or MAC secret, wrapped
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'retired', 'revoked')),
    not_before      timestamptz NOT NULL DEFAULT now(),
    not_after       timestamptz,           -- set when retired (no longer issues)
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layer, kid),
    CHECK ((layer = 'line') = (plant_id IS NOT NULL)),
    CHECK ((layer = 'brand') = (public_key IS NOT NULL))
);
-- At most one issuing key per layer (and per plant for line keys).
CREATE UNIQUE INDEX signing_keys_one_active
    ON signing_keys (layer, coalesce(plant_id, ''))
    WHERE status = 'active';

CREATE TABLE code_batches (
    id              uuid PRIMARY KEY,
    gtin            char(14) NOT NULL REFERENCES products (gtin),
    lot             text NOT NULL CHECK (lot ~ '^[A-Za-z0-9._-]{1,20}$'),
    level           text NOT NULL CHECK (level IN ('item', 'case', 'pallet')),
    count           integer NOT NULL CHECK (count BETWEEN 1 AND 1000000),
    expiry          date,
    plant_id        client_id NOT NULL REFERENCES parties (id),
    brand_kid       text NOT NULL,
    service_kid     text NOT NULL,
    line_kid        text NOT NULL,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    revoke_reason   text
);
CREATE INDEX code_batches_plant_idx ON code_batches (plant_id, created_at);

-- One row per printed code. `code` is the canonical id (sgtin:… / sscc:…), the
-- distribution key every large table carries.
CREATE TABLE codes (
    code            text PRIMARY KEY,
    batch_id        uuid NOT NULL REFERENCES code_batches (id),
    seq             integer NOT NULL,
    serial          text NOT NULL,         -- SGTIN serial or the SSCC itself
    payload         text NOT NULL
);
CREATE UNIQUE INDEX codes_batch_seq_idx ON codes (batch_id, seq);
-- Serials are unique across lots too (GS1: GTIN + serial identifies an item).
CREATE UNIQUE INDEX codes_serial_idx ON codes (serial);

-- SSCC serial references are allocated from a counter per company prefix, so
-- containers never collide; they are signed, so being guessable gains nothing.
CREATE TABLE sscc_counters (
    company_prefix  text PRIMARY KEY,
    extension_digit smallint NOT NULL,
    next_ref        bigint NOT NULL
);
