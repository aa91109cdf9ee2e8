"""Risk engine: pure rules over scan facts, alert de-duplication, the alert case workflow."""
