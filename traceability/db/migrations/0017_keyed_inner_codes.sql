-- Inner codes are stored as HMAC-SHA256 under a key derived from the master key
-- (codegen/inner_codes.py): a plain SHA-256 of a short pin is recovered from a copy of the
-- database in moments. Hashes stored before stay plain and are compared as such.
ALTER TABLE codes ADD COLUMN inner_code_keyed boolean NOT NULL DEFAULT false;
