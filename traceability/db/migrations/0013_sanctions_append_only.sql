-- Suspensions, lifts and blacklistings are a record of who acted, when and why: like an
-- alert's case history, no statement may change or remove them (0001 said append-only; only
-- the API kept to it).
CREATE FUNCTION party_sanctions_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'party_sanctions is append-only';
END
$$;
CREATE TRIGGER party_sanctions_no_update BEFORE UPDATE OR DELETE ON party_sanctions
    FOR EACH ROW EXECUTE FUNCTION party_sanctions_is_append_only();
CREATE TRIGGER party_sanctions_no_truncate BEFORE TRUNCATE ON party_sanctions
    FOR EACH STATEMENT EXECUTE FUNCTION party_sanctions_is_append_only();
