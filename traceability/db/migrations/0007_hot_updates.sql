-- Commissioning updates every code row once. Leave room in each page so those updates are
-- HOT (no index maintenance): commissioned_at is not indexed.
ALTER TABLE codes SET (fillfactor = 85);
