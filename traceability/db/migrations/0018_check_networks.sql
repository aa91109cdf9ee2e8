-- The network a consumer check came from, as a keyed hash of the client's address
-- (scan_api/verify/networks.py): made-up consumer ids from one machine are one witness.
-- NULL for staff scans, checks from loopback, and checks stored before this column.
ALTER TABLE scan_events ADD COLUMN client_net text;
