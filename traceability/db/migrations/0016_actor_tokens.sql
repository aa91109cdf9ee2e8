-- Audit lines name the token an action was taken with: token names are not unique, so
-- "compliance:alice" alone could be any of several people. NULL for the system itself (the
-- risk engine) and for lines written before this column.
ALTER TABLE alert_history ADD COLUMN actor_token_id uuid;
ALTER TABLE party_sanctions ADD COLUMN actor_token_id uuid;
