-- The escalation level after each case action: a second "escalate" went from escalated to
-- escalated in the history, which did not say it reached headquarters.
ALTER TABLE alert_history
    ADD COLUMN to_level text CHECK (to_level IN ('regional', 'headquarters'));
