"""HTTP: the trace of one code (GET /v1/codes/{code}/trace)."""
