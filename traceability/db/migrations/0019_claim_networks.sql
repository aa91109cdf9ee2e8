-- The network a loyalty claim came from (the check's `client_net`): the daily limit of
-- claims per network counts over all the consumer ids a machine may make up.
ALTER TABLE loyalty_claims ADD COLUMN client_net text;
CREATE INDEX loyalty_claims_network_idx ON loyalty_claims (client_net, claimed_at)
    WHERE client_net IS NOT NULL;
