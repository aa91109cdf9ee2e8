-- Suspensions, lifts and blacklistings are a record of who acted, when and why: like an
-- alert's case history, no statement may change or remove them (0001 said append-only; only
-- the API kept to it). One trigger function for any append-only table, naming it.
CREATE FUNCTION refuse_change_to_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER party_sanctions_no_update BEFORE UPDATE OR DELETE ON party_sanctions
    FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
CREATE TRIGGER party_sanctions_no_truncate BEFORE TRUNCATE ON party_sanctions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only();
