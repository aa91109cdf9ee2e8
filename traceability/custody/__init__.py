"""Custody: containment, inherited container events, and the chain of parties that held a code."""

from traceability.compiled import use_compiled

use_compiled()  # before any module here is imported: see traceability/compiled.py
