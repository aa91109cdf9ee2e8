-- Master data and access tokens.
-- Client-chosen ids: 1-64 characters of [A-Za-z0-9._-] (api.md), enforced here too.

CREATE DOMAIN client_id AS text
    CHECK (VALUE ~ '^[A-Za-z0-9._-]{1,64}$');

CREATE TABLE products (
    gtin            char(14) PRIMARY KEY CHECK (gtin ~ '^[0-9]{14}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    unit_value      numeric(14, 4) NOT NULL CHECK (unit_value >= 0),
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    inner_code_required boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE parties (
    id              client_id PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('plant', 'dealer', 'retailer')),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    parent_id       client_id REFERENCES parties (id),
    lat             double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon             double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    suspended_at    timestamptz,
    suspension_reason text,
    blacklisted_at  timestamptz,
    blacklist_reason text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX parties_parent_idx ON parties (parent_id);

-- Every suspension, lift and blacklisting, append-only.
CREATE TABLE party_sanctions (
    id              bigserial PRIMARY KEY,
    party_id        client_id NOT NULL REFERENCES parties (id),
    action          text NOT NULL CHECK (action IN ('suspend', 'lift', 'blacklist')),
    reason          text,
    actor           text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX party_sanctions_party_idx ON party_sanctions (party_id, at);

CREATE TABLE territories (
    id              client_id PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    geometry        jsonb NOT NULL,
    min_lon         double precision NOT NULL,
    min_lat         double precision NOT NULL,
    max_lon         double precision NOT NULL,
    max_lat         double precision NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE party_territories (
    party_id        client_id NOT NULL REFERENCES parties (id),
    territory_id    client_id NOT NULL REFERENCES territories (id),
    gtins           char(14)[],  -- NULL: every product
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (party_id, territory_id)
);
CREATE INDEX party_territories_territory_idx ON party_territories (territory_id);

CREATE TABLE tokens (
    id              uuid PRIMARY KEY,
    name            client_id NOT NULL,
    role            text NOT NULL CHECK (role IN ('admin', 'line', 'logistics', 'compliance')),
    party_id        client_id REFERENCES parties (id),
    secret_hash     bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    CHECK (role NOT IN ('line', 'logistics') OR party_id IS NOT NULL)
);
