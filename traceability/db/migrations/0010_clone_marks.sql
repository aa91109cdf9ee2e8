-- A code whose consumer checks have shown it cloned (checked by too many people, or far
-- apart) keeps that finding: evidence only grows, so every later check would find it again.
-- Later checks read the finding, the first check and a running count instead of every check
-- of the code: a cloned code printed on thousands of fakes no longer costs more with each
-- check (docs/consumer-verification.md, "Cloned codes").
ALTER TABLE codes
    ADD COLUMN clone_reasons text[],       -- the verdict's clone reasons, in verdict order
    ADD COLUMN clone_checks integer,       -- consumer checks of the code so far
    ADD COLUMN clone_first_event uuid;     -- the code's first consumer check
