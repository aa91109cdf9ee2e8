"""Risk engine: pure rules over scan facts, alert de-duplication, the alert case workflow."""

from traceability.compiled import drop_stale

drop_stale()  # before any compiled module here is imported: see traceability/compiled.py
