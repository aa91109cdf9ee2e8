"""Consumer verification (POST /v1/verify): verdict, check history, loyalty points."""

from traceability.compiled import drop_stale

drop_stale()  # before any compiled module here is imported: see traceability/compiled.py
