"""Scans at the nine checkpoints: verification, lifecycle, aggregation, custody."""
