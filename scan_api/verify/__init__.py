"""Consumer verification (POST /v1/verify): verdict, check history, loyalty points."""

from traceability.compiled import use_compiled

use_compiled()  # before any module here is imported: see traceability/compiled.py
