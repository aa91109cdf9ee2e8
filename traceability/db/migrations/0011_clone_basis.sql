-- What a stored clone finding was decided under (risk_engine.consumer.clone_basis): the
-- thresholds and witness rules that made it final. A finding made under other ones is not
-- trusted: the code's checks are read in full again, and a finding made then replaces it.
-- Findings stored before this column existed have none, so each is re-read once.
ALTER TABLE codes ADD COLUMN clone_basis text;
