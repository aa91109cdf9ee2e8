"""Risk engine: pure rules over scan facts, alert de-duplication, the alert case workflow."""

from traceability.compiled import use_compiled

use_compiled()  # before any module here is imported: see traceability/compiled.py
