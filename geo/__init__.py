"""Geometry helpers: territory validation and point-in-territory tests."""

from traceability.compiled import drop_stale

drop_stale()  # before any compiled module here is imported: see traceability/compiled.py
