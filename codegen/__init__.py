"""Sealtrace code generation: GS1 identities, triple-sealed Digital Link payloads, QR rendering.

Everything in this package is pure (no I/O, no database): routers and services build the
inputs (keys, batch lookups) and call these functions.
"""
