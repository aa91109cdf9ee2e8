-- SSCC serial references are drawn at random like item serials (PRODUCT.md: serials must be
-- unguessable); the counter that handed them out in sequence is no longer used.
DROP TABLE IF EXISTS sscc_counters;
