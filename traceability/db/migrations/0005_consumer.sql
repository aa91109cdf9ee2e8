-- Consumer verification and loyalty (issue 5).

-- The inner code (printed inside the package or under the cap) is stored only as
-- sha256 of its canonical form (scan_api/verify/models.py: pin_hash); NULL when the
-- code has none. Pins are random and issued elsewhere; never derived from a key.
ALTER TABLE codes
    ADD COLUMN inner_code_hash bytea CHECK (inner_code_hash IS NULL OR length(inner_code_hash) = 32);
