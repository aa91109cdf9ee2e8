"""Geometry helpers: territory validation and point-in-territory tests."""

from traceability.compiled import use_compiled

use_compiled()  # before any module here is imported: see traceability/compiled.py
